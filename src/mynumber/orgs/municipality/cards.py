"""The municipality's counter for My Number cards (交付申請 and 交付).

The resident applies and receives the card in one step here: the municipality checks the
record is current, sends J-LIS the four basic items and the My Number with the PINs the
resident chose (signed, over J-LIS's API), and hands back the card image (the rules are in
:meth:`ResidentRegistry.issue_card`; this is the web layer).
"""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from mynumber.orgs.municipality.deps import CardIssuer
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.platform.staff.services import Staff


class CardApplicationIn(BaseModel):
    """The PINs the resident sets at the counter (a legal representative for a minor)."""

    auth_pin: str = Field(repr=False, description="利用者証明用電子証明書: 4 digits")
    sign_password: str | None = Field(
        default=None,
        repr=False,
        description="署名用電子証明書: 6-16 of A-Z 0-9 (none for a child under 15)",
    )
    text_pin: str | None = Field(default=None, repr=False, description="default: the auth PIN")
    juki_pin: str | None = Field(default=None, repr=False, description="default: the auth PIN")
    idempotency_key: str | None = Field(
        default=None, max_length=64, description="a retry with the same key is refused (409)"
    )


class CardCertificate(BaseModel):
    hierarchy: str
    serial: str
    not_after: datetime
    ocsp_url: str
    crl_url: str


class CardSummary(BaseModel):
    manufacture_number: str
    expires_on: date
    security_code: str
    signing_certificate_issued: bool
    note: str | None = None
    certificates: list[CardCertificate]


class CardHandedOver(BaseModel):
    resident_id: str
    summary: CardSummary
    card_image: str = Field(description="the card image file's content (JSON, secrets sealed)")


def router(registry: ResidentRegistry, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["cards"])

    @api.post("/residents/{resident_id}/card", response_model=CardHandedOver, status_code=201)
    def apply_for_card(
        resident_id: str, body: Annotated[CardApplicationIn, Body()], acting: CardIssuer
    ) -> CardHandedOver:
        """交付申請 and 交付: J-LIS issues the resident's card; the image comes back.

        A resident who moved out or died gets 409. Under 15 the card has no signing
        certificate (see ``summary.note``).
        """
        pins = body.model_dump(include={"auth_pin", "sign_password", "text_pin", "juki_pin"})
        issued = registry.issue_card(resident_id, pins, body.idempotency_key)
        staff.log(acting, action="cards.issue", purpose="counter", person=resident_id)
        summary = CardSummary.model_validate(issued["summary"])
        return CardHandedOver(
            resident_id=resident_id, summary=summary, card_image=issued["card_image"]
        )

    return api
