"""The municipality's counter for My Number cards (交付申請 and 交付).

The resident applies and receives the card in one step here: the municipality checks the
record is current, sends J-LIS the four basic items and the My Number with the PINs the
resident chose (signed, over J-LIS's API), and hands back the card image. It notes the
card's manufacture number in the record's history; PINs are never stored or logged.
"""

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field
from sqlalchemy import select

from mynumber.errors import Conflict, NotFound
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.services import Registry


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


def router(registry: Registry) -> APIRouter:
    api = APIRouter(tags=["cards"])

    @api.post("/residents/{resident_id}/card", response_model=CardHandedOver, status_code=201)
    def apply_for_card(
        resident_id: str, body: Annotated[CardApplicationIn, Body()]
    ) -> CardHandedOver:
        """交付申請 and 交付: J-LIS issues the resident's card; the image comes back.

        A resident who moved out or died gets 409. Under 15 the card has no signing
        certificate (see ``summary.note``).
        """
        r = store.residents.c
        with registry.engine.connect() as conn:
            row = (
                conn.execute(select(store.residents).where(r.id == resident_id)).mappings().first()
            )
        if row is None:
            raise NotFound("no such resident", code="resident_not_found")
        if row["status"] != "active":
            raise Conflict("this resident no longer lives here", code="not_active")
        if row["my_number"] is None:
            raise Conflict("this resident has no My Number yet", code="no_number")
        application: dict[str, Any] = {
            "items": {
                "name": f"{row['family_name']}\u3000{row['given_name']}",
                "address": row["address"],
                "birth_date": row["birth_date"].isoformat(),
                "sex": row["sex"],
            },
            "my_number": row["my_number"],
            "pins": {
                "auth_pin": body.auth_pin,
                "sign_password": body.sign_password,
                "text_pin": body.text_pin,
                "juki_pin": body.juki_pin,
            },
            "idempotency_key": body.idempotency_key,
        }
        issued = registry.jlis.issue_card(application)
        summary = CardSummary.model_validate(issued["summary"])
        with registry.engine.begin() as conn:
            conn.execute(
                store.events.insert().values(
                    resident_id=resident_id,
                    kind="card_issued",
                    on=date.today(),
                    detail=json.dumps({"manufacture_number": summary.manufacture_number}),
                    recorded_at=datetime.now(UTC),
                )
            )
        return CardHandedOver(
            resident_id=resident_id, summary=summary, card_image=issued["card_image"]
        )

    return api
