"""The eligibility system's routes: the hub delivers insurers' copies; Mynaportal registers
cards and reads the views; clinics and pharmacies confirm eligibility, read drug data with
consent and submit claims; a municipality resets a card's face lock. Each route parses, is
authorised by its signer, and makes one service call."""

# no `from __future__ import annotations`: FastAPI resolves the route annotations
import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from mynumber import errors
from mynumber.orgs.oqs import model
from mynumber.orgs.oqs.schemas import (
    ChallengeOut,
    ConfirmIn,
    RegisteredOut,
    RegistrationOut,
    SerialIn,
    ViewsOut,
)
from mynumber.orgs.oqs.services import CardConfirmation, EligibilitySystem, b64
from mynumber.platform.eligibility_wire import (
    BatchIn,
    BatchOut,
    ClaimIn,
    ClaimOut,
    DrugsOut,
    ReferenceIn,
)
from mynumber.platform.policy import public
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work

XML = "application/xml"
CLINIC = "clinic-"


def _is_clinic(org: str) -> bool:
    return (
        org.startswith(CLINIC) and model.INSTITUTION.fullmatch(org.removeprefix(CLINIC)) is not None
    )


#: Mynaportal, having signed the request.
FromPortal = Annotated[str, Depends(signed_by(lambda org: org == "portal", who="Mynaportal"))]
#: A clinic or pharmacy (``clinic-<10-digit institution code>``), having signed the request.
FromClinic = Annotated[
    str, Depends(signed_by(_is_clinic, who="a clinic or pharmacy (保険医療機関・薬局)"))
]
FromMunicipality = Annotated[
    str, Depends(signed_by(lambda org: org.startswith("municipality-"), who="a municipality"))
]


def institution(org: str) -> str:
    return org.removeprefix(CLINIC)


async def _xml_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > model.MAX_XML:
        raise errors.InvalidInput("the request is larger than 64 KiB", field="xml")
    return body


def _asked(body: ConfirmIn) -> CardConfirmation:
    return CardConfirmation(
        mode=body.mode,
        certificate=b64(body.certificate, "certificate"),
        challenge_id=body.challenge_id,
        signature=None if body.signature is None else b64(body.signature, "signature"),
        face_score=body.face_score,
        consent=frozenset(body.consent),
        file_id=body.file_id,
    )


def router(system: EligibilitySystem) -> APIRouter:
    api = APIRouter()

    @api.post("/api/registrations", response_model=RegistrationOut, tags=["Mynaportal"])
    def register(body: SerialIn, _: FromPortal, uow: Work) -> RegistrationOut:
        """マイナ保険証の利用登録: the card (its auth serial) linked through J-LIS."""
        has_records = system.register(uow, body.serial.lower())
        return RegistrationOut(registered=True, has_records=has_records)

    @api.post("/api/registrations/check", response_model=RegisteredOut, tags=["Mynaportal"])
    def registered(body: SerialIn, _: FromPortal, uow: Work) -> RegisteredOut:
        """Whether the card is registered as insurance card."""
        return RegisteredOut(registered=system.registered(uow, body.serial.lower()))

    @api.post("/api/views", response_model=ViewsOut, tags=["Mynaportal"])
    def views(body: SerialIn, _: FromPortal, uow: Work) -> ViewsOut:
        """Which institution viewed the person's drug data and when (for Mynaportal)."""
        return ViewsOut.model_validate({"views": system.views_of(uow, body.serial.lower())})

    @api.post("/api/registrations/reader", response_model=RegistrationOut, tags=["clinics"])
    def register_at_reader(body: ConfirmIn, clinic: FromClinic, uow: Work) -> RegistrationOut:
        """利用登録 at a clinic's reader (PIN mode: the card signed our challenge)."""
        has_records = system.register_at_reader(uow, institution(clinic), _asked(body))
        return RegistrationOut(registered=True, has_records=has_records)

    @api.post("/api/challenges", response_model=ChallengeOut, tags=["clinics"])
    def challenge(clinic: FromClinic, uow: Work) -> ChallengeOut:
        """A one-time challenge for the card to sign in PIN mode (good for 5 minutes)."""
        challenge_id, nonce = system.challenge(uow, institution(clinic))
        return ChallengeOut(challenge_id=challenge_id, nonce=base64.b64encode(nonce).decode())

    @api.post(
        "/api/confirmations",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
        tags=["clinics"],
    )
    def confirm(body: ConfirmIn, clinic: FromClinic, uow: Work) -> Response:
        """資格確認 with the card: the answer XML (ReferenceNumber in the body and in the
        ``X-Reference-Number`` header); a refusal is 403 with the reason's code."""
        reference, xml = system.confirm(uow, institution(clinic), _asked(body))
        return Response(xml, media_type=XML, headers={"X-Reference-Number": reference})

    @api.post(
        "/api/confirmations/insurance",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
        tags=["clinics"],
    )
    def confirm_insurance(
        clinic: FromClinic, body: Annotated[bytes, Depends(_xml_body)], uow: Work
    ) -> Response:
        """資格確認 without the card: a request XML (``OQSsiquc01req``) by the
        insurance-card data or by a registered 照会番号 in, the answer XML out."""
        query = model.parse_query(body)
        return Response(system.answer(uow, institution(clinic), query), media_type=XML)

    @api.post("/api/confirmations/batch", response_model=BatchOut, tags=["clinics"])
    def confirm_batch(body: BatchIn, clinic: FromClinic, uow: Work) -> BatchOut:
        """一括照会 (``OQSmuquc01req``): up to 100 request XML documents, each answered."""
        queries = [model.parse_query(text.encode("utf-8")) for text in body.requests]
        answers = system.answer_batch(uow, institution(clinic), queries)
        return BatchOut(answers=[a.decode("utf-8") for a in answers])

    @api.post(
        "/api/reference-numbers",
        response_class=Response,
        responses={200: {"content": {XML: {}}, "description": "the answer XML"}},
        tags=["clinics"],
    )
    def register_reference(
        clinic: FromClinic, body: Annotated[bytes, Depends(_xml_body)], uow: Work
    ) -> Response:
        """照会番号の登録 (``OQSsiimm01req``): the institution's number for a patient whose
        card it checked within 24 hours; the answer XML (an error answer when refused)."""
        request = model.parse_registration(body)
        return Response(
            system.register_reference(uow, institution(clinic), request), media_type=XML
        )

    @api.post("/api/drugs", response_model=DrugsOut, tags=["clinics"])
    def drugs(body: ReferenceIn, clinic: FromClinic, uow: Work) -> DrugsOut:
        """薬剤情報 of the person confirmed under the reference number: with consent, within
        24 hours; the view is shown to the person on Mynaportal."""
        return DrugsOut.model_validate(
            {"drugs": system.drugs(uow, institution(clinic), body.reference_number)}
        )

    @api.post("/api/claims", response_model=ClaimOut, tags=["clinics"])
    def claim(body: ClaimIn, clinic: FromClinic, uow: Work) -> ClaimOut:
        """調剤レセプト: a pharmacy's claim for what it dispensed to a person it confirmed."""
        taken = system.claim(
            uow,
            institution(clinic),
            body.reference_number,
            [d.model_dump() for d in body.drugs],
        )
        return ClaimOut(taken=taken)

    @api.post("/api/face-locks/reset", status_code=204, tags=["municipalities"])
    def reset_face(body: SerialIn, _: FromMunicipality, uow: Work) -> Response:
        """顔認証ロックの解除: the holder came to the municipality in person."""
        system.reset_face(uow, body.serial.lower())
        return Response(status_code=204)

    @api.get("/healthz", dependencies=[public("health, for monitoring: counts only")])
    def healthz(uow: Work) -> dict[str, Any]:
        return system.health(uow)

    return api
