"""The counter's card operations after issue: reissue (再交付, normal or 特急) and lifting a
suspension (一時停止の解除), in person with the card.

Reissue (services-reference §6 and its corrections): ¥1,000 normally, in 1–2 months;
特急発行 (from 2024-12-02) ¥2,000, in about a week, only for a lost, stolen or damaged card,
a child under 1, an arrival from abroad or a full 追記欄; a card lost outside or stolen needs
the police's receipt number (受理番号). Without certificates each costs ¥200 less; this
project always issues the certificates. J-LIS makes the new card and cancels (廃止) the
earlier one, revoking all its certificates (see ``orgs/jlis/cards``). This project's choice:
the card is made at once and handed over in the same request; the answer carries the lead
time and the date the real channel would have it ready.

PIN reset at the counter: the clerk checks the holder's identity and passes the chip's
challenge to J-LIS; the counter's reader sets the new PIN with J-LIS's answer
(``orgs/jlis/pin_reset``).

Lifting a suspension: never by telephone — the holder comes to the counter with the card.
The municipality holds no card (PINs go only to the card, on a device): the counter asks
for a challenge, the holder's card signs it with the user-authentication key on the
counter's reader after the holder's PIN, and the municipality checks the signature and the
certificate's chain to J-LIS (not its status: the suspension holds it). J-LIS then checks
that the certificate is on a card of this resident (by the keyed hash of the resident code)
and makes the held certificates good again. The challenge is stateless (this project's
choice): random bytes, the resident and an expiry five minutes ahead, under the
municipality's own MAC key.
"""

import base64
import binascii
import datetime as dt
import hmac
import os
import struct
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from cryptography import x509
from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from mynumber import jst
from mynumber.errors import Conflict, InvalidInput, Unauthorized, Unavailable
from mynumber.orgs.municipality.schemas import (
    CardApplicationIn,
    CardCertificate,
    CardHandedOver,
    CardSummary,
)
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.municipality.web.deps import CardIssuer
from mynumber.pki import CertificateError, Purpose, verify_signed
from mynumber.pki.mobile import is_mobile
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work

Kind = Literal["normal", "express"]
Reason = Literal[
    "lost",
    "lost_outside",
    "stolen",
    "damaged",
    "under_one",
    "arrival",
    "full_endorsement",
    "other",
]

#: Reasons that allow 特急発行 [O] (city.kokubunji.tokyo.jp; services-reference §6).
EXPRESS_REASONS = frozenset(
    {"lost", "lost_outside", "stolen", "damaged", "under_one", "arrival", "full_endorsement"}
)
#: Reasons for which the police's receipt number (受理番号) is needed [O].
POLICE_REASONS = frozenset({"lost_outside", "stolen"})


@dataclass(frozen=True, slots=True)
class Channel:
    fee_yen: int
    fee_without_certificates_yen: int
    lead_time: str
    ready_within: dt.timedelta


#: Fees and lead times [O] (services-reference §6; corrections to domain-reference).
CHANNELS: dict[str, Channel] = {
    "normal": Channel(1_000, 800, "1–2か月 / 1–2 months", dt.timedelta(days=60)),
    "express": Channel(2_000, 1_800, "約1週間 / about a week", dt.timedelta(days=7)),
}


def check_reissue(kind: str, reason: str, police_receipt: str | None) -> Channel:
    """The channel for a reissue, or :class:`InvalidInput` naming the rule broken."""
    if kind == "express" and reason not in EXPRESS_REASONS:
        raise InvalidInput(
            "特急発行 is only for a lost, stolen or damaged card, a child under 1, an arrival "
            "or a full 追記欄",
            field="kind",
        )
    if reason in POLICE_REASONS and not police_receipt:
        raise InvalidInput(
            "a card lost outside or stolen needs the police's receipt number (受理番号)",
            field="police_receipt",
        )
    return CHANNELS[kind]


class ReissueIn(CardApplicationIn):
    kind: Kind = Field(default="normal", description="normal (通常) or express (特急発行)")
    reason: Reason = Field(description="why the card is reissued")
    police_receipt: str | None = Field(
        default=None, pattern=r"^[0-9A-Za-z-]{1,40}$", description="遺失届・盗難届の受理番号"
    )


class ReissueOut(CardHandedOver):
    kind: str
    fee_yen: int
    fee_without_certificates_yen: int
    lead_time: str
    ready_by: dt.date = Field(description="when the real channel would have the card ready")
    replaced: list[str] = Field(description="earlier cards cancelled; their certificates revoked")


#: How long a counter challenge may be answered (this project's choice).
CHALLENGE_TTL = dt.timedelta(minutes=5)
_NONCE = 16


def new_challenge(key: bytes, resident_id: str, now: dt.datetime) -> bytes:
    """Random bytes, the expiry (Unix seconds) and a MAC binding both to the resident."""
    body = os.urandom(_NONCE) + struct.pack(">Q", int((now + CHALLENGE_TTL).timestamp()))
    return body + hmac.digest(key, resident_id.encode() + body, "sha256")[:16]


def check_challenge(key: bytes, resident_id: str, challenge: bytes, now: dt.datetime) -> None:
    """Raise :class:`InvalidInput` unless ``challenge`` is ours, for this resident, unexpired."""
    body, mac = challenge[:-16], challenge[-16:]
    expected = hmac.digest(key, resident_id.encode() + body, "sha256")[:16]
    if len(body) != _NONCE + 8 or not hmac.compare_digest(mac, expected):
        raise InvalidInput("not a counter challenge for this resident", field="challenge")
    (expiry,) = struct.unpack(">Q", body[_NONCE:])
    if now.timestamp() >= expiry:
        raise InvalidInput("the challenge expired: ask for another", field="challenge")


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64", field=field) from exc


class ChallengeOut(BaseModel):
    challenge: str = Field(description="base64; the card signs it with its user-auth key")
    expires_in: int = Field(description="seconds")


class ResumeAtCounterIn(BaseModel):
    """The card's answer at the counter's reader: signature and user-auth certificate."""

    challenge: str = Field(max_length=200, description="as the counter was given it")
    signature: str = Field(max_length=1024, description="base64, over the challenge bytes")
    certificate: str = Field(max_length=8192, description="base64 DER, read from the card")


class ResumeAtCounterOut(BaseModel):
    resident_id: str
    manufacture_number: str
    status: str
    good: list[str]
    note: str | None = None


class PinResetIn(BaseModel):
    """A PIN reset at the counter: the chip's challenge (from the counter's reader), after
    the clerk checked the holder's identity. The new PIN never comes here: the reader sets
    it on the card with J-LIS's cryptogram."""

    manufacture_number: str = Field(pattern=r"^[A-Z0-9]{13}$")
    pin: Literal["auth", "sign", "text", "juki"]
    card_challenge: str = Field(max_length=64, description="base64 of GET CHALLENGE")
    identity_checked_with: Literal["card_photo", "passport", "driver_licence", "two_documents"] = (
        Field(description="how the clerk identified the holder (本人確認)")
    )


class CryptogramOut(BaseModel):
    pin: str
    cryptogram: str


class CardAtCounterIn(BaseModel):
    card_image: str = Field(max_length=2_000_000, description="the card, read at the counter")


class EndorsementOut(BaseModel):
    """An entry of the card's 追記欄."""

    date: dt.date
    kind: str
    text: str
    municipality: str


class CardRewriteOut(BaseModel):
    manufacture_number: str
    card_image: str
    certificates: list[CardCertificate]
    revoked: list[str]
    card_expires_on: dt.date | None = None
    endorsement: EndorsementOut | None = Field(
        default=None, description="the 追記欄 entry written (address change)"
    )
    endorsements: int = Field(default=0, description="entries in the 追記欄 now")
    endorsement_full: bool = Field(
        default=False, description="no room left: a new card, 特急発行 within 30 days"
    )


def router(ctx: OrgContext, registry: ResidentRegistry, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["cards"])
    jlis = ServiceClient(ctx.directory, "jlis", ctx.identity)
    key_path = ctx.settings.data_dir / ctx.org / "counter-challenge.key"

    def challenge_key() -> bytes:
        return secret_bytes(key_path)

    def staff_authority() -> Any:
        """J-LIS as the staff sign-in knows it: its user-authentication root, fetched once."""
        if staff.authority is None:
            raise Unavailable("J-LIS's root is not known here", code="no_jlis")
        return staff.authority

    def check_full_endorsement(uow: UnitOfWork, resident_id: str, kind: str) -> None:
        """A reissue because the 追記欄 is full: J-LIS says whether the holder's card is
        full and since when; 特急発行 is applied for within 30 days of it filling [O]."""
        resident = registry.get(uow, resident_id)
        status = jlis.request(
            "POST", "/cards/endorsement-status", {"resident_code": resident.resident_code}
        )
        if not status["full"]:
            raise Conflict(
                f"the card's 追記欄 is not full ({status['entries']} entries)",
                code="endorsement_not_full",
            )
        until = dt.date.fromisoformat(str(status["express_until"]))
        if kind == "express" and jst.today() > until:
            raise Conflict(
                f"特急発行 for a full 追記欄 is applied for within 30 days of its filling "
                f"(until {until:%Y-%m-%d}); a normal reissue is still possible",
                code="express_window_closed",
            )

    @api.post("/residents/{resident_id}/card/reissue", response_model=ReissueOut, status_code=201)
    def reissue_card(
        resident_id: str, body: Annotated[ReissueIn, Body()], acting: CardIssuer, uow: Work
    ) -> ReissueOut:
        """再交付: a new card (normal or 特急) with its fee and lead time; J-LIS cancels the
        earlier card and revokes its certificates, so it logs in nowhere any more."""
        channel = check_reissue(body.kind, body.reason, body.police_receipt)
        if body.reason == "full_endorsement":
            check_full_endorsement(uow, resident_id, body.kind)
        pins = body.model_dump(include={"auth_pin", "sign_password", "text_pin", "juki_pin"})
        issued = registry.issue_card(uow, resident_id, pins, body.idempotency_key)
        summary = issued["summary"]
        staff.log(
            acting,
            action="cards.reissue",
            purpose="counter",
            person=resident_id,
            detail={
                "kind": body.kind,
                "reason": body.reason,
                "fee_yen": channel.fee_yen,
                "police_receipt": body.police_receipt,
                "replaced": summary.get("replaced", []),
            },
        )
        return ReissueOut(
            resident_id=resident_id,
            summary=CardSummary.model_validate(summary),
            card_image=issued["card_image"],
            kind=body.kind,
            fee_yen=channel.fee_yen,
            fee_without_certificates_yen=channel.fee_without_certificates_yen,
            lead_time=channel.lead_time,
            ready_by=jst.today() + channel.ready_within,
            replaced=list(summary.get("replaced", [])),
        )

    @api.post("/residents/{resident_id}/card/resume-challenge", response_model=ChallengeOut)
    def resume_challenge(resident_id: str, acting: CardIssuer, uow: Work) -> ChallengeOut:
        """A challenge for the holder's card to sign at the counter (一時停止の解除)."""
        registry.get(uow, resident_id)  # 404 for no such resident
        made = new_challenge(challenge_key(), resident_id, dt.datetime.now(dt.UTC))
        return ChallengeOut(
            challenge=base64.b64encode(made).decode(),
            expires_in=int(CHALLENGE_TTL.total_seconds()),
        )

    @api.post("/residents/{resident_id}/card/resume", response_model=ResumeAtCounterOut)
    def resume_card(
        resident_id: str, body: ResumeAtCounterIn, acting: CardIssuer, uow: Work
    ) -> ResumeAtCounterOut:
        """一時停止の解除 at the counter: the holder in person, the card signing the challenge."""
        resident = registry.get(uow, resident_id)
        now = dt.datetime.now(dt.UTC)
        challenge = _b64(body.challenge, "challenge")
        check_challenge(challenge_key(), resident_id, challenge, now)
        try:
            cert = x509.load_der_x509_certificate(_b64(body.certificate, "certificate"))
        except ValueError as exc:
            raise InvalidInput("the certificate is not DER X.509", field="certificate") from exc
        try:  # a card of either generation
            verify_signed(
                cert, challenge, _b64(body.signature, "signature"),
                staff_authority().auth_roots(), now, purpose=Purpose.AUTH,
            )  # fmt: skip
        except CertificateError as exc:
            raise Unauthorized(
                f"the card's answer is refused: {exc.message}", code=exc.code
            ) from exc
        if is_mobile(cert):
            # services-reference §6: a suspension is lifted in person with the card
            raise Unauthorized(
                "一時停止の解除はカードで行います（スマホ用電子証明書は使えません） / a suspension "
                "is lifted with the card itself, not the phone's own certificate",
                code="card_required",
            )
        answer = jlis.request(
            "POST",
            "/cards/resume",
            {"resident_code": resident.resident_code, "auth_serial": f"{cert.serial_number:x}"},
        )
        staff.log(
            acting,
            action="cards.resume",
            purpose="counter",
            person=resident_id,
            detail={"manufacture_number": answer["manufacture_number"]},
        )
        return ResumeAtCounterOut(
            resident_id=resident_id,
            manufacture_number=answer["manufacture_number"],
            status=answer["status"],
            good=answer["good"],
            note=answer.get("note"),
        )

    @api.post("/residents/{resident_id}/card/pin-reset", response_model=CryptogramOut)
    def reset_pin(
        resident_id: str, body: PinResetIn, acting: CardIssuer, uow: Work
    ) -> CryptogramOut:
        """暗証番号の初期化 at the counter: J-LIS's cryptogram for the card's challenge, after the
        identity check; the counter's reader then sets the new PIN on the card."""
        resident = registry.get(uow, resident_id)
        answer = jlis.request(
            "POST",
            "/cards/pin-reset",
            {
                "resident_code": resident.resident_code,
                "manufacture_number": body.manufacture_number,
                "pin": body.pin,
                "card_challenge": body.card_challenge,
            },
        )
        staff.log(
            acting,
            action="cards.pin_reset",
            purpose="counter",
            person=resident_id,
            detail={"pin": body.pin, "identity_checked_with": body.identity_checked_with},
        )
        return CryptogramOut(pin=answer["pin"], cryptogram=answer["cryptogram"])

    def rewrite(uow: UnitOfWork, path: str, resident_id: str, card_image: str) -> dict[str, Any]:
        holder = registry.card_holder(uow, resident_id)
        return dict(jlis.request("POST", path, holder | {"card_image": card_image}))

    @api.post("/residents/{resident_id}/card/renew", response_model=CardRewriteOut)
    def renew_card(
        resident_id: str, body: CardAtCounterIn, acting: CardIssuer, uow: Work
    ) -> CardRewriteOut:
        """電子証明書の更新: from 3 months before the certificates end; free."""
        answer = rewrite(uow, "/cards/renew", resident_id, body.card_image)
        staff.log(acting, action="cards.renew", purpose="counter", person=resident_id)
        return CardRewriteOut.model_validate(answer)

    @api.post("/residents/{resident_id}/card/face-only", response_model=CardRewriteOut)
    def make_face_only(
        resident_id: str, body: CardAtCounterIn, acting: CardIssuer, uow: Work
    ) -> CardRewriteOut:
        """顔認証マイナンバーカードへの切替 (on request): J-LIS removes every PIN from the
        card and revokes its signing certificate. Back to PINs: ``card/pin-reset`` sets one
        (the chip takes a PIN where none is set)."""
        holder = registry.card_holder(uow, resident_id)
        answer = jlis.request(
            "POST",
            "/cards/face-only",
            {"card_image": body.card_image, "resident_code": holder["resident_code"]},
        )
        staff.log(acting, action="cards.face_only", purpose="counter", person=resident_id)
        return CardRewriteOut.model_validate(answer)

    @api.post("/residents/{resident_id}/card/address", response_model=CardRewriteOut)
    def change_address(
        resident_id: str, body: CardAtCounterIn, acting: CardIssuer, uow: Work
    ) -> CardRewriteOut:
        """住所変更 on the card: an entry in the 追記欄 and the registry's current address in
        the text AP (sealed by J-LIS over both) and a new signing certificate; the auth
        certificate stays. Refused when the card already carries the address (no move) or
        its 追記欄 is full (a new card: 特急発行 within 30 days)."""
        answer = rewrite(uow, "/cards/address", resident_id, body.card_image)
        staff.log(
            acting,
            action="cards.address",
            purpose="counter",
            person=resident_id,
            detail={
                "manufacture_number": answer["manufacture_number"],
                "endorsements": answer.get("endorsements"),
            },
        )
        return CardRewriteOut.model_validate(answer)

    return api
