"""J-LIS's card routes: issuance for municipalities, suspension and revocation for them and
for J-LIS's own 24/7 operator (the call centre, signed in as staff; see ``deps``).

What the operator does to a card is recorded in J-LIS's access log under the card's
manufacture number, J-LIS's own key for its holder (never a My Number)."""

import base64
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam

from mynumber.errors import InvalidInput, Unavailable
from mynumber.orgs.jlis import free_area
from mynumber.orgs.jlis.cards import (
    CardIssuer,
    Holder,
    IssuedCard,
    Pins,
    RevokedCertificate,
    Rewritten,
)
from mynumber.orgs.jlis.deps import Canceller, Revoker, Suspender, VerifierManager
from mynumber.orgs.jlis.endorsements import endorsement_status
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.orgs.jlis.schemas import (
    CancelIn,
    CardIssueIn,
    CardIssueOut,
    CardRewriteIn,
    CardRewriteOut,
    CardSummary,
    CertificateOut,
    EndorsementOut,
    EndorsementStatusIn,
    EndorsementStatusOut,
    FaceOnlyIn,
    FreeAreaApprovalIn,
    FreeAreaApprovalOut,
    FreeAreaGrantIn,
    FreeAreaGrantOut,
    ResumeIn,
    ResumeOut,
    RevokedOut,
    RevokeIn,
    SuspendIn,
    SuspendOut,
)
from mynumber.pki import BasicItems, Gender
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.web.uow import Work

FACE_ONLY_NOTE = (
    "顔認証マイナンバーカード: no PIN and no signing certificate; at a clinic's reader by face "
    "or by sight only"
)
NO_SIGNING_NOTE = (
    "no signing certificate (署名用電子証明書): the holder is under 15 on the issue day"
)


def summary(issuer: CardIssuer, card: IssuedCard) -> CardSummary:
    return CardSummary(
        manufacture_number=card.manufacture_number,
        expires_on=card.expires_on,
        security_code=card.security_code,
        signing_certificate_issued=card.signing_certificate_issued,
        face_only=card.face_only,
        note=FACE_ONLY_NOTE
        if card.face_only
        else None
        if card.signing_certificate_issued
        else NO_SIGNING_NOTE,
        certificates=[
            CertificateOut(
                hierarchy=Hierarchy.of(purpose, card.generation).value,
                serial=f"{cert.serial_number:x}",
                not_after=cert.not_valid_after_utc,
                ocsp_url=issuer.ocsp_url(purpose, card.generation),
                crl_url=issuer.crl_url(purpose, card.generation),
            )
            for purpose, cert in card.certificates.items()
        ],
        replaced=list(card.replaced),
    )


def _revoked_out(r: RevokedCertificate) -> RevokedOut:
    return RevokedOut(
        hierarchy=r.hierarchy.value,
        serial=f"{r.serial:x}",
        revoked_at=r.revoked_at,
        reason=r.reason,
    )


def router(issuer: CardIssuer, *, from_municipality: DependsParam, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["cards"])

    def record(caller: str | Acting, action: str, card: str, reason: str) -> None:
        """An operator's act on a card goes in J-LIS's access log; a municipality records
        its own staff's acts in its own."""
        if isinstance(caller, Acting):
            purpose = "24/7 desk"
            staff.log(
                caller, action=action, purpose=purpose, person=card, detail={"reason": reason}
            )

    @api.post("/cards", response_model=CardIssueOut, status_code=201)
    def issue_card(
        body: CardIssueIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> CardIssueOut:
        """個人番号カードの発行: manufacture and personalise a card, issue its certificates.

        The four items and the My Number go into the certificates and the chip only; J-LIS
        records the card and the serials. Under 15: no signing certificate (see ``note``).
        """
        pins = body.pins
        if body.face_only != (pins is None):
            raise InvalidInput(
                "a face-only card takes no PINs; any other card needs them", field="pins"
            )
        card = issuer.issue(
            uow,
            municipality=municipality.removeprefix("municipality-"),
            holder=Holder(
                name=body.items.name,
                address=body.items.address,
                birth_date=body.items.birth_date,
                sex=body.items.sex,
                my_number=body.my_number,
                stay_until=body.stay_until,
            ),
            pins=None
            if pins is None
            else Pins(
                auth=pins.auth_pin, sign=pins.sign_password, text=pins.text_pin, juki=pins.juki_pin
            ),
            idempotency_key=body.idempotency_key,
            resident_code=body.resident_code,
            generation=body.generation,
        )
        return CardIssueOut(summary=summary(issuer, card), card_image=card.image.decode("utf-8"))

    @api.post("/cards/{manufacture_number}/suspend", response_model=SuspendOut)
    def suspend_card(
        manufacture_number: str,
        caller: Suspender,
        uow: Work,
        body: SuspendIn | None = None,
    ) -> SuspendOut:
        """一時停止 (lost or stolen card): every certificate of the card is revoked at once."""
        reason = (body or SuspendIn()).reason
        status, revoked = issuer.suspend(uow, manufacture_number, reason=reason)
        record(caller, "cards.suspend", manufacture_number, reason)
        return SuspendOut(
            manufacture_number=manufacture_number,
            status=status,
            revoked=[_revoked_out(r) for r in revoked],
        )

    @api.post(
        "/cards/{manufacture_number}/free-area/{application}", response_model=FreeAreaGrantOut
    )
    def grant_free_area(
        manufacture_number: str,
        application: Literal["employee", "licence"],
        body: FreeAreaGrantIn,
        acting: VerifierManager,
        uow: Work,
    ) -> FreeAreaGrantOut:
        """空き領域: J-LIS's operator grants an approved issuer (an employer, the police) the
        session key of one free-area application on one active, unexpired card (this
        project's model; the key opens that application only, :mod:`mynumber.card.freearea`).
        An issuer without a standing approval for the application gets none (403)."""
        free_area.require(uow, body.issuer, application)
        key = issuer.free_area_key(uow, manufacture_number, application)
        staff.log(
            acting,
            action="cards.free_area_grant",
            purpose="free-area approval",
            person=manufacture_number,
            detail={"application": application, "issuer": body.issuer},
        )
        return FreeAreaGrantOut(
            manufacture_number=manufacture_number,
            application=application,
            session_key=base64.b64encode(key).decode("ascii"),
        )

    @api.post("/free-area/approvals", response_model=FreeAreaApprovalOut, status_code=201)
    def approve_free_area(
        body: FreeAreaApprovalIn, acting: VerifierManager, uow: Work
    ) -> FreeAreaApprovalOut:
        """A standing approval: the issuer may be granted sessions on the application."""
        approval = free_area.approve(uow, body.issuer, body.application)
        staff.log(
            acting,
            action="free_area.approve",
            purpose="free-area approval",
            detail={"issuer": body.issuer, "application": body.application},
        )
        return FreeAreaApprovalOut.model_validate(approval)

    @api.get("/free-area/approvals", response_model=list[FreeAreaApprovalOut])
    def list_free_area_approvals(
        acting: VerifierManager, uow: Work, active: bool = False
    ) -> list[FreeAreaApprovalOut]:
        """Every approval (``?active=true``: those standing)."""
        return [
            FreeAreaApprovalOut.model_validate(a)
            for a in free_area.approvals(uow, active_only=active)
        ]

    @api.post("/free-area/approvals/{approval_id}/withdraw", response_model=FreeAreaApprovalOut)
    def withdraw_free_area(
        approval_id: str, acting: VerifierManager, uow: Work
    ) -> FreeAreaApprovalOut:
        """Withdraw an approval: no more session keys for that issuer."""
        if len(approval_id) > 16:
            raise InvalidInput("not an approval id", field="approval_id")
        approval = free_area.withdraw(uow, approval_id)
        staff.log(
            acting,
            action="free_area.withdraw",
            purpose="free-area approval",
            detail={"issuer": approval["issuer"], "application": approval["application"]},
        )
        return FreeAreaApprovalOut.model_validate(approval)

    @api.post("/cards/{manufacture_number}/cancel", response_model=SuspendOut)
    def cancel_card(
        manufacture_number: str, caller: Canceller, uow: Work, body: CancelIn | None = None
    ) -> SuspendOut:
        """廃止: the card ends for good, every certificate on it revoked; never lifted."""
        reason = (body or CancelIn()).reason
        status, revoked = issuer.cancel(uow, manufacture_number, reason=reason)
        record(caller, "cards.cancel", manufacture_number, reason)
        return SuspendOut(
            manufacture_number=manufacture_number,
            status=status,
            revoked=[_revoked_out(r) for r in revoked],
        )

    @api.post("/cards/resume", response_model=ResumeOut)
    def resume_card(
        body: ResumeIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> ResumeOut:
        """一時停止の解除: only the holder's municipality, at its counter where the card proved
        itself (never by telephone). The certificates the suspension held are good again."""
        if issuer.code_fingerprint is None:
            raise Unavailable("J-LIS keeps no holder codes here", code="no_holder_codes")
        mfg, status, good = issuer.resume(
            uow, body.auth_serial, code_fp=issuer.code_fingerprint(body.resident_code)
        )
        return ResumeOut(
            manufacture_number=mfg,
            status=status,
            good=good,
            note=None
            if "auth" in good
            else "the user-authentication certificate stays revoked: have new certificates "
            "issued at the counter",
        )

    def rewritten(done: Rewritten) -> CardRewriteOut:
        entry = done.endorsement
        return CardRewriteOut(
            manufacture_number=done.manufacture_number,
            card_image=done.image.decode("utf-8"),
            certificates=[
                CertificateOut(
                    hierarchy=Hierarchy.of(purpose, done.generation).value,
                    serial=f"{cert.serial_number:x}",
                    not_after=cert.not_valid_after_utc,
                    ocsp_url=issuer.ocsp_url(purpose, done.generation),
                    crl_url=issuer.crl_url(purpose, done.generation),
                )
                for purpose, cert in done.certificates.items()
            ],
            revoked=done.revoked,
            card_expires_on=done.card_expires_on,
            endorsement=None
            if entry is None
            else EndorsementOut(
                date=dt.datetime.strptime(entry.date, "%Y%m%d").date(),
                kind=entry.kind,
                text=entry.text,
                municipality=entry.municipality,
            ),
            endorsements=done.endorsements,
            endorsement_full=done.endorsement_full,
        )

    def code_fp(resident_code: str) -> str | None:
        return None if issuer.code_fingerprint is None else issuer.code_fingerprint(resident_code)

    @api.post("/cards/renew", response_model=CardRewriteOut)
    def renew_card(
        body: CardRewriteIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> CardRewriteOut:
        """電子証明書の更新 at the counter: from 3 months before the certificates end."""
        items = body.items
        holder_items = BasicItems(
            name=items.name,
            gender=Gender(int(items.sex)),
            birth_date=items.birth_date,
            address=items.address,
        )
        return rewritten(
            issuer.renew(
                uow,
                image=body.card_image.encode(),
                items=holder_items,
                code_fp=code_fp(body.resident_code),
            )
        )

    @api.post("/cards/face-only", response_model=CardRewriteOut)
    def make_face_only(
        body: FaceOnlyIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> CardRewriteOut:
        """顔認証マイナンバーカードへの切替: the PINs removed from the chip, the signing
        certificate revoked (back: the counter sets a PIN with 暗証番号の初期化)."""
        return rewritten(
            issuer.make_face_only(
                uow, image=body.card_image.encode(), code_fp=code_fp(body.resident_code)
            )
        )

    @api.post("/cards/address", response_model=CardRewriteOut)
    def change_address(
        body: CardRewriteIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> CardRewriteOut:
        """住所変更: the text AP rewritten and sealed again, a new signing certificate."""
        if body.my_number is None:
            raise InvalidInput("the text AP needs the My Number", field="my_number")
        holder = Holder(
            name=body.items.name,
            address=body.items.address,
            birth_date=body.items.birth_date,
            sex=body.items.sex,
            my_number=body.my_number,
        )
        return rewritten(
            issuer.change_address(
                uow,
                image=body.card_image.encode(),
                holder=holder,
                code_fp=code_fp(body.resident_code),
                municipality=municipality.removeprefix("municipality-"),
            )
        )

    @api.post("/cards/endorsement-status", response_model=EndorsementStatusOut)
    def card_endorsement_status(
        body: EndorsementStatusIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> EndorsementStatusOut:
        """How full the 追記欄 of the holder's current card is (a full one allows 特急発行
        for 30 days); the holder's municipality asks at a reissue."""
        if issuer.code_fingerprint is None:
            raise Unavailable("J-LIS keeps no holder codes here", code="no_holder_codes")
        status = endorsement_status(uow, issuer.code_fingerprint(body.resident_code))
        return EndorsementStatusOut(
            manufacture_number=status.manufacture_number,
            entries=status.entries,
            full=status.full,
            full_on=status.full_on,
            express_until=status.express_until,
        )

    @api.post("/cards/{manufacture_number}/revoke-signing", response_model=list[RevokedOut])
    def revoke_signing(
        manufacture_number: str,
        caller: Revoker,
        uow: Work,
        body: RevokeIn | None = None,
    ) -> list[RevokedOut]:
        """署名用電子証明書の失効: a basic item changed (a move, a new name); the card and its
        user-authentication certificate stay valid."""
        reason = body.reason if body else "affiliationChanged"
        revoked = issuer.revoke_signing(uow, manufacture_number, reason=reason)
        record(caller, "cards.revoke_signing", manufacture_number, reason)
        return [_revoked_out(r) for r in revoked]

    @api.post("/certificates/{serial}/revoke", response_model=RevokedOut)
    def revoke_certificate(serial: str, body: RevokeIn, caller: Revoker, uow: Work) -> RevokedOut:
        """失効: revoke one certificate (serial in hexadecimal)."""
        revoked = issuer.revoke(uow, serial, reason=body.reason)
        record(caller, "certificates.revoke", issuer.card_of(uow, serial), body.reason)
        return _revoked_out(revoked)

    return api
