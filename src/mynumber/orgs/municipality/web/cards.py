"""The municipality's counter for My Number cards (交付申請 and 交付).

The resident applies and receives the card in one step here: the municipality checks the
record is current, sends J-LIS the four basic items and the My Number with the PINs the
resident chose (signed, over J-LIS's API), and hands back the card image (the rules are in
:meth:`ResidentRegistry.issue_card`; this is the route).
"""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated

from fastapi import APIRouter, Body

from mynumber.errors import InvalidInput
from mynumber.orgs.municipality.schemas import CardApplicationIn, CardHandedOver, CardSummary
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.municipality.web.deps import CardIssuer
from mynumber.platform.staff.services import Staff
from mynumber.platform.web.uow import Work


def router(registry: ResidentRegistry, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["cards"])

    @api.post("/residents/{resident_id}/card", response_model=CardHandedOver, status_code=201)
    def apply_for_card(
        resident_id: str,
        body: Annotated[CardApplicationIn, Body()],
        acting: CardIssuer,
        uow: Work,
    ) -> CardHandedOver:
        """交付申請 and 交付: J-LIS issues the resident's card; the image comes back.

        A resident who moved out or died gets 409. Under 15 the card has no signing
        certificate (see ``summary.note``). ``face_only``: a 顔認証マイナンバーカード, without
        any PIN.
        """
        pins = (
            None
            if body.face_only
            else body.model_dump(include={"auth_pin", "sign_password", "text_pin", "juki_pin"})
        )
        if body.face_only and any(
            (body.auth_pin, body.sign_password, body.text_pin, body.juki_pin)
        ):
            raise InvalidInput("a face-only card takes no PIN", field="auth_pin")
        if not body.face_only and body.auth_pin is None:
            raise InvalidInput(
                "the auth PIN is needed (or ask for a face-only card)", field="auth_pin"
            )
        issued = registry.issue_card(
            uow, resident_id, pins, body.idempotency_key, generation=body.generation
        )
        staff.log(acting, action="cards.issue", purpose="counter", person=resident_id)
        summary = CardSummary.model_validate(issued["summary"])
        return CardHandedOver(
            resident_id=resident_id, summary=summary, card_image=issued["card_image"]
        )

    return api
