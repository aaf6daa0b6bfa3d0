"""The reception terminal's routes (the clinic's staff): a challenge for the reader, the
confirmation with the reader's result, by insurance-card data (single and batch), drug
data with consent, a pharmacy's claims. Each staff call is recorded in the access log
(never with the patient's data); each route parses, is authorised, and makes one call of
the reception's use cases (:mod:`.services`), which ask the eligibility system."""

# no `from __future__ import annotations`: FastAPI resolves the route annotations
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from mynumber import errors
from mynumber.orgs.clinic.clients import XML
from mynumber.orgs.clinic.schemas import (
    ChallengeOut,
    ReaderResultIn,
    RegistrationOut,
)
from mynumber.orgs.clinic.services import Reception
from mynumber.platform.eligibility_wire import (
    BatchIn,
    BatchOut,
    ClaimIn,
    ClaimOut,
    DrugsOut,
    ReferenceIn,
)
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web.uow import Work

Receptionist = Annotated[Acting, Depends(staff_permission("clinic.confirm"))]
Pharmacist = Annotated[Acting, Depends(staff_permission("clinic.claim"))]
MAX_XML = 64 * 1024


async def _xml_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_XML:
        raise errors.InvalidInput("the request is larger than 64 KiB", field="xml")
    return body


def router(reception: Reception, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["reception"])
    institution = reception.institution

    def log(acting: Acting, action: str, **detail: Any) -> None:
        staff.log(acting, action=action, purpose="資格確認", detail=detail)

    @api.post("/api/reception/challenge", response_model=ChallengeOut)
    def challenge(acting: Receptionist) -> ChallengeOut:
        """A one-time challenge from the system for the card to sign (PIN mode)."""
        return reception.challenge()

    @api.post(
        "/api/reception/confirm",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
    )
    def confirm(body: ReaderResultIn, acting: Receptionist, uow: Work) -> Response:
        """資格確認 with the reader's result: the system's answer XML."""
        confirmed = reception.confirm(uow, body)
        log(acting, "clinic.confirm", mode=body.mode, reference=confirmed.reference)
        return Response(
            confirmed.xml, media_type=XML, headers={"X-Reference-Number": confirmed.reference}
        )

    @api.post("/api/reception/register", response_model=RegistrationOut)
    def register(body: ReaderResultIn, acting: Receptionist) -> RegistrationOut:
        """マイナ保険証の利用登録 at the reader (PIN mode, or face mode for a face-only card)."""
        answer = reception.register(body)
        log(acting, "clinic.register")
        return answer

    @api.post(
        "/api/reception/insurance",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
    )
    def insurance(acting: Receptionist, body: Annotated[bytes, Depends(_xml_body)]) -> Response:
        """資格確認 by the insurance-card data: request XML in, answer XML out."""
        answer = reception.by_insurance(body)
        log(acting, "clinic.confirm", mode="insurance")
        return Response(answer, media_type=XML)

    @api.post(
        "/api/reception/reference",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
    )
    def reference(acting: Receptionist, body: Annotated[bytes, Depends(_xml_body)]) -> Response:
        """照会番号の登録 (``OQSsiimm01req``): request XML in, answer XML out."""
        answer = reception.reference(body)
        log(acting, "clinic.reference")
        return Response(answer, media_type=XML)

    @api.post("/api/reception/batch", response_model=BatchOut)
    def batch(body: BatchIn, acting: Receptionist) -> BatchOut:
        """一括照会: up to 100 request XML documents."""
        answer = reception.batch(body)
        log(acting, "clinic.confirm", mode="batch", count=len(body.requests))
        return answer

    @api.post("/api/drugs", response_model=DrugsOut)
    def drugs(body: ReferenceIn, acting: Receptionist) -> DrugsOut:
        """薬剤情報 with the patient's consent (24 hours from the confirmation)."""
        found = reception.drugs(body)
        log(acting, "clinic.drugs", reference=body.reference_number)
        return found

    @api.post("/api/claims", response_model=ClaimOut)
    def claims(body: ClaimIn, acting: Pharmacist) -> ClaimOut:
        """調剤レセプト (a pharmacy only): what it dispensed to a person it confirmed."""
        taken = reception.claim(body)
        log(acting, "clinic.claim", reference=body.reference_number)
        return taken

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, Any]:
        return {"org": institution.org, "ok": True, "pharmacy": institution.pharmacy}

    return api
