"""J-LIS's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime

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
    my_number: str = Field(repr=False, description="written to the chip only; J-LIS keeps none")
    pins: CardPinsIn
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


class CertificateOut(BaseModel):
    hierarchy: str = Field(description="auth (利用者証明用) or sign (署名用)")
    serial: str = Field(description="hexadecimal")
    not_after: datetime
    ocsp_url: str
    crl_url: str


class CardSummary(BaseModel):
    manufacture_number: str
    expires_on: date
    security_code: str = Field(description="printed on the card face; part of visual PIN B")
    signing_certificate_issued: bool
    note: str | None = None
    certificates: list[CertificateOut]


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
    hub_code: str = Field(description="the portal's code for the person at the linkage hub")
