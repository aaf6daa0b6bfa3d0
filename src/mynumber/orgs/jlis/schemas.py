"""J-LIS's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class NumbersIn(BaseModel):
    resident_codes: list[str] = Field(max_length=100_000)
    reserve: bool = Field(
        default=False,
        description="the codes are new: reserve each one nobody holds for the caller; "
        "any code already held comes back as taken",
    )


class NumbersOut(BaseModel):
    numbers: list[str | None] = Field(
        description="My Numbers in the order of the codes asked for; null for a taken code"
    )
    taken: list[str] = Field(
        default_factory=list, description="codes held already (by another, or when reserving)"
    )


class ReissueIn(BaseModel):
    resident_code: str
    old_number: str
    reason: str = Field(default="leak", max_length=40)


class ReissueOut(BaseModel):
    number: str


# --- JPKI: cards, revocation, verifiers ----------------------------------------------------


class CardItemsIn(BaseModel):
    """The four basic items as the card and the signing certificate carry them (no kana)."""

    name: str = Field(max_length=100, repr=False, examples=["佐藤\u3000花子"])
    address: str = Field(max_length=200, repr=False)
    birth_date: date = Field(repr=False)
    sex: str = Field(pattern="^[0129]$", description="ISO 5218", repr=False)


class CardPinsIn(BaseModel):
    """Initial PINs chosen at the counter. Never logged, never stored outside the chip."""

    auth_pin: str = Field(repr=False, description="利用者証明用: 4 digits")
    sign_password: str | None = Field(
        default=None, repr=False, description="署名用: 6-16 of A-Z 0-9; none under 15"
    )
    text_pin: str | None = Field(
        default=None, repr=False, description="券面事項入力補助用; default: the auth PIN"
    )
    juki_pin: str | None = Field(
        default=None, repr=False, description="住民基本台帳用; default: the auth PIN"
    )


class CardIssueIn(BaseModel):
    items: CardItemsIn
    stay_until: date | None = Field(
        default=None,
        repr=False,
        description="a foreign resident's end of the period of stay: the card ends then",
    )
    my_number: str = Field(repr=False, description="written to the chip only; J-LIS keeps none")
    pins: CardPinsIn | None = Field(
        default=None, description="the PINs chosen; none for a face-only card"
    )
    face_only: bool = Field(
        default=False,
        description="顔認証マイナンバーカード: no PIN, no signing certificate (from 2023-12-15)",
    )
    idempotency_key: str | None = Field(
        default=None,
        max_length=64,
        description="a retried request with the same key is refused (409), never issued twice",
    )
    resident_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{11}$",
        repr=False,
        description="住民票コード: J-LIS keeps only its keyed hash on the card, so the portal "
        "can be told whose card it is (開示システム用符号) without personal data",
    )
    generation: Literal[1, 2] = Field(
        default=1,
        description="1: today's card; 2: this project's model of the next-generation card "
        "(P-384 certificates of the auth-g2 / sign-g2 hierarchies)",
    )


class CertificateOut(BaseModel):
    hierarchy: str = Field(
        description="auth (利用者証明用) or sign (署名用); auth-g2 / sign-g2 on a generation-2 card"
    )
    serial: str = Field(description="hexadecimal")
    not_after: datetime
    ocsp_url: str
    crl_url: str


class CardSummary(BaseModel):
    manufacture_number: str
    expires_on: date
    security_code: str = Field(description="printed on the card face; part of visual PIN B")
    signing_certificate_issued: bool
    face_only: bool = Field(default=False, description='顔認証マイナンバーカード: "顔認証" printed')
    note: str | None = None
    certificates: list[CertificateOut]
    replaced: list[str] = Field(
        default_factory=list,
        description="the holder's earlier cards this card cancelled (廃止); their "
        "certificates are revoked",
    )


class CardIssueOut(BaseModel):
    summary: CardSummary
    card_image: str = Field(
        description="the card image, exactly the JSON a CardFile holds (sealed secrets)"
    )


class RevokeIn(BaseModel):
    reason: str = Field(
        default="unspecified",
        description="RFC 5280 reason: keyCompromise, affiliationChanged, superseded, "
        "cessationOfOperation, certificateHold, privilegeWithdrawn, unspecified",
    )


class SuspendIn(BaseModel):
    reason: str = Field(default="keyCompromise", description="RFC 5280 reason for the revocations")


class RevokedOut(BaseModel):
    hierarchy: str
    serial: str
    revoked_at: datetime
    reason: str


class SuspendOut(BaseModel):
    manufacture_number: str
    status: str
    revoked: list[RevokedOut]


class FreeAreaGrantIn(BaseModel):
    """Which approved issuer J-LIS grants a free-area session to (for the record)."""

    issuer: str = Field(min_length=1, max_length=100, examples=["DEMO 東京都公安委員会"])


class FreeAreaGrantOut(BaseModel):
    manufacture_number: str
    application: str
    session_key: str = Field(description="base64 of the 32-byte session key (one card)")


class FreeAreaApprovalIn(BaseModel):
    """A standing approval of a free-area issuer for one application."""

    issuer: str = Field(min_length=1, max_length=100, examples=["DEMO 株式会社デモ (社員証)"])
    application: Literal["employee", "licence"]


class FreeAreaApprovalOut(BaseModel):
    id: str
    issuer: str
    application: str
    approved_at: datetime
    withdrawn_at: datetime | None
    active: bool


class PoliceLinkIn(BaseModel):
    serial: str = Field(max_length=64, description="signing certificate serial, hexadecimal")


#: カード製造番号 as J-LIS issues it (13 of A-Z 0-9, this project's format).
CARD_NUMBER = r"^[A-Z0-9]{13}$"


class CallCentreSuspendIn(BaseModel):
    """What a caller to the 24/7 call centre says: the card and the basic items."""

    card_number: str = Field(pattern=CARD_NUMBER, description="カード製造番号 (manufacture number)")
    name: str = Field(min_length=1, max_length=100, repr=False, description="氏名 as on the card")
    birth_date: date | None = Field(default=None, repr=False, description="生年月日, if given")
    lost_outside: bool = Field(
        default=False, description="lost or stolen outside the home (a police matter)"
    )
    police_receipt: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z-]{1,40}$",
        description="遺失届・盗難届の受理番号, kept with the card for a loss outside",
    )


class CallCentreSuspendOut(SuspendOut):
    police_receipt_recorded: bool


class CancelIn(BaseModel):
    reason: str = Field(
        default="cessationOfOperation",
        description="RFC 5280 reason for the revocations (keyCompromise for a lost card)",
    )


class ResumeIn(BaseModel):
    """一時停止の解除 at the counter: the card proved itself there (its user-auth key)."""

    resident_code: str = Field(pattern=r"^[0-9]{11}$", repr=False)
    auth_serial: str = Field(
        pattern=r"^[0-9a-f]{1,40}$", description="the card's user-auth certificate (hex)"
    )


class ResumeOut(BaseModel):
    manufacture_number: str
    status: str
    good: list[str] = Field(description="hierarchies whose certificate is good again")
    note: str | None = None


class VerifierIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["デモ銀行 eKYC"])


class VerifierOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    active: bool
    credential: str | None = Field(
        default=None, description="shown once, at registration; J-LIS keeps only its hash"
    )


#: My Numbers per enrolment request (a benefit run enrols 10^5 people per call).
MAX_ENROL = 100_000


class EnrolIn(BaseModel):
    numbers: list[str] = Field(max_length=MAX_ENROL, repr=False)


class EnrolOut(BaseModel):
    codes: list[str | None] = Field(
        description="the caller's agency codes in the order of the numbers; null for a "
        "number that is not a current My Number"
    )


class ResolveIn(BaseModel):
    serial: str = Field(max_length=64, description="auth certificate serial, hexadecimal")


class ResolveOut(BaseModel):
    portal_code: str = Field(description="開示システム用符号: the portal's code for the person")
    municipality: str = Field(description="the municipality that handed over the card")
    card_status: str
    certificate_status: str


class HubCodeOut(BaseModel):
    hub_code: str = Field(description="the caller's code for the person at the linkage hub")


# --- LGPKI and the 証明書交付センター ------------------------------------------------------


class OfficialIn(BaseModel):
    """A municipality asks for its mayor's 職責証明書 (the key stays with it)."""

    public_key_pem: str = Field(min_length=100, max_length=2000)
    title: str = Field(min_length=1, max_length=40, description="the post, e.g. 千代田区長")
    holder: str = Field(min_length=1, max_length=60, description="who holds it")
    prefecture: str = Field(min_length=1, max_length=10)
    municipality: str = Field(min_length=1, max_length=40)


class OfficialOut(BaseModel):
    certificate_pem: str
    ca_pem: str


class KioskSessionOut(BaseModel):
    session: str
    challenge: str = Field(description="base64: what the card signs with its auth key")
    expires_at: datetime


class KioskRequestIn(BaseModel):
    """A kiosk's request: the card's answer to the challenge and what the person chose."""

    session: str = Field(min_length=1, max_length=32)
    store: str = Field(min_length=1, max_length=40)
    signature: str = Field(min_length=1, max_length=1024, description="base64")
    certificate_der: str = Field(min_length=1, max_length=8000, description="base64 auth cert")
    certificate: str = Field(
        pattern="^(juminhyo|juminhyo-kisai|inkan|shotoku|koseki|koseki-fuhyo)$"
    )
    members: str = Field(default="self", pattern="^(self|all)$")
    member_names: list[str] = Field(
        default_factory=list, max_length=10, description="household members asked for, by name"
    )
    honseki: str | None = Field(
        default=None, pattern="^[0-9]{6}$", description="the 本籍地 municipality, for 戸籍"
    )
    options: dict[str, bool] = Field(default_factory=dict, max_length=8)


class KioskIssuedOut(BaseModel):
    pdf: str = Field(description="base64 PDF, signed (PAdES) by the mayor")
    fee_yen: int
    verification_code: str
    municipality: str
    certificate: str


class FaceOnlyIn(BaseModel):
    """The counter's switch of a live card to a 顔認証マイナンバーカード."""

    card_image: str = Field(max_length=2_000_000, repr=False)
    resident_code: str = Field(pattern=r"^[0-9]{11}$", repr=False)


class CardRewriteIn(BaseModel):
    """The counter's rewrite of a live card (renewal, address change): the card, read there,
    and the holder's current items from the registry."""

    card_image: str = Field(max_length=2_000_000, repr=False)
    items: CardItemsIn
    resident_code: str = Field(pattern=r"^[0-9]{11}$", repr=False)
    my_number: str | None = Field(
        default=None, repr=False, description="for the text AP (address change only)"
    )


class EndorsementOut(BaseModel):
    """One entry of the card's 追記欄 (this project's layout, ``reader.cardfiles``)."""

    date: date
    kind: str = Field(description="address | name")
    text: str
    municipality: str


class CardRewriteOut(BaseModel):
    manufacture_number: str
    card_image: str
    certificates: list[CertificateOut]
    revoked: list[str] = Field(description="serials of the certificates replaced")
    card_expires_on: date | None = Field(
        default=None, description="the card's own expiry: no certificate runs past it"
    )
    endorsement: EndorsementOut | None = Field(
        default=None, description="the 追記欄 entry written (address change)"
    )
    endorsements: int = Field(default=0, description="entries in the 追記欄 now")
    endorsement_full: bool = Field(
        default=False, description="the 追記欄 is full: 特急発行 for 30 days"
    )


class EndorsementStatusIn(BaseModel):
    resident_code: str = Field(pattern=r"^[0-9]{11}$", repr=False)


class EndorsementStatusOut(BaseModel):
    """How full the 追記欄 of the holder's current card is (never what it says)."""

    manufacture_number: str
    entries: int
    full: bool
    full_on: date | None = None
    express_until: date | None = Field(
        default=None, description="the last day to apply for 特急発行 because it is full"
    )


class OqsCodeOut(BaseModel):
    code: str = Field(description="the eligibility system's hub code for the card holder")


class CardStatusOut(BaseModel):
    card_status: str = Field(description="active | suspended | revoked …")
    certificate_status: str = Field(description="good | revoked")
    card_serial: str | None = Field(
        default=None,
        description="for a smartphone's auth certificate: the auth serial (hex) of the card "
        "it was enrolled from and follows; none for a card's own certificate",
    )


class HolderCheckIn(BaseModel):
    """本人確認判定: an eligibility copy's items, to compare with the card holder's."""

    serial: str = Field(max_length=64, description="auth certificate serial, hexadecimal")
    name: str = Field(min_length=1, max_length=100)
    sex: str = Field(pattern="^[12]$")
    birth_date: date


class HolderCheckOut(BaseModel):
    matches: bool = Field(description="name, sex and birth date agree with the register")


# --- smartphone certificates (phones.py) ------------------------------------------------


class PhoneEnrolIn(BaseModel):
    """A phone's request for certificates, signed by the card (this project's protocol)."""

    kind: Literal["android", "iphone"]
    auth_public_key: str = Field(max_length=1000, description="DER SubjectPublicKeyInfo, base64")
    sign_public_key: str = Field(max_length=1000, description="DER SubjectPublicKeyInfo, base64")
    card_certificate: str = Field(
        max_length=8000, description="the card's signing certificate, DER base64"
    )
    card_signature: str = Field(
        max_length=1000,
        description="the card's signing key over mynumber.pki.mobile.enrolment_payload, base64",
    )
    liveness_checked: bool = Field(
        default=False, description="iPhone: the face-video liveness step was passed"
    )


class PhoneCertificateOut(BaseModel):
    hierarchy: str
    serial: str
    not_after: datetime
    certificate: str = Field(description="DER, base64")


class PhoneReplacedOut(BaseModel):
    hierarchy: str
    serial: str


class PhoneEnrolOut(BaseModel):
    device_id: str
    kind: str
    certificates: list[PhoneCertificateOut]
    replaced: list[PhoneReplacedOut] = Field(
        description="the earlier phone's certificates, revoked (one device per person)"
    )
