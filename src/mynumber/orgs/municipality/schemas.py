"""The resident registry's request and response bodies. A My Number leaves only masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mynumber.number import mask
from mynumber.orgs.municipality.model import BasicItems, Sex
from mynumber.platform.notices import MAX_NOTICES, Notice


class BasicItemsIn(BaseModel):
    family_name: str = Field(max_length=30, examples=["佐藤"])
    given_name: str = Field(max_length=30, examples=["花子"])
    family_name_kana: str = Field(max_length=60, examples=["サトウ"])
    given_name_kana: str = Field(max_length=60, examples=["ハナコ"])
    birth_date: date
    sex: Sex

    def items(self, address: str) -> BasicItems:
        return BasicItems(
            family_name=self.family_name,
            given_name=self.given_name,
            family_name_kana=self.family_name_kana,
            given_name_kana=self.given_name_kana,
            birth_date=self.birth_date,
            sex=self.sex,
            address=address,
        )


class RegisterIn(BasicItemsIn):
    """A birth (出生届) or a first registration; join a household or start one at an address."""

    address: str | None = Field(default=None, max_length=200)
    household_id: str | None = None
    relationship: str = "世帯主"
    reason: str = Field(default="birth", pattern="^(birth|move_in)$")
    registered_on: date | None = None
    idempotency_key: str | None = Field(default=None, max_length=64)


class ResidentOut(BaseModel):
    id: str
    municipality: str
    resident_code: str
    my_number_masked: str | None
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: Sex
    address: str
    household_id: str
    relationship: str
    status: str
    registered_on: date
    registered_reason: str
    moved_from: str | None
    left_on: date | None
    moved_to: str | None


class ResidentList(BaseModel):
    total: int
    residents: list[ResidentOut]


class MoveIn(BaseModel):
    to: str = Field(pattern=r"^\d{6}$", description="the receiving municipality's code")
    address: str = Field(max_length=200)
    moved_on: date | None = None
    whole_household: bool = False


class ReissueIn(BaseModel):
    reason: str = Field(default="leak", pattern=r"^[a-z_]{1,20}$")


class DeathIn(BaseModel):
    died_on: date


class SearchIn(BaseModel):
    """Search by identifier in a body, so a My Number never travels in a URL."""

    my_number: str | None = None
    resident_code: str | None = None


class TransferMember(BasicItemsIn):
    resident_code: str
    my_number: str | None
    relationship: str
    #: the manufacture numbers of the person's cards, which stay valid after the move (so
    #: the new municipality knows the card, e.g. for コンビニ交付)
    cards: list[Annotated[str, Field(pattern="^[A-Z0-9]{1,13}$")]] = Field(
        default_factory=list, max_length=10
    )


class Transfer(BaseModel):
    """転出証明: what the old municipality sends the new one when people move."""

    moved_from: str
    moved_on: date
    address: str = Field(max_length=200)
    members: list[TransferMember] = Field(min_length=1, max_length=20)


class TransferResult(BaseModel):
    residents: list[ResidentOut]


class HouseholdOut(BaseModel):
    id: str
    address: str
    members: list[ResidentOut]


def masked(number: str | None) -> str | None:
    return None if number is None else mask(number)


class ReissueRequestOut(BaseModel):
    """A re-issue waiting for a second supervisor's approval."""

    id: str
    resident_id: str
    reason: str
    requested_by: str
    status: str


# --- the intermediate server and the linkage ------------------------------------------


class EnrolIn(BaseModel):
    resident_ids: list[str] | None = Field(
        default=None, max_length=10_000, description="none: every active resident not enrolled"
    )


class EnrolOut(BaseModel):
    enrolled: int


#: The largest assessment taken, in yen: this project's bound (no resident owes ¥1 trillion),
#: well inside the BIGINT column, so a huge amount is a 422 and never a database error.
MAX_AMOUNT_YEN = 10**12


class ResidentTax(BaseModel):
    resident_id: str = Field(min_length=1, max_length=16)
    year: int = Field(ge=1990, le=2100)
    amount_yen: int = Field(ge=0, le=MAX_AMOUNT_YEN)


class ResidentTaxesIn(BaseModel):
    records: list[ResidentTax] = Field(max_length=10_000)


class IncomeOut(BaseModel):
    exchange_id: str
    provider: str
    procedure: str
    income: list[dict[str, int]] = Field(description="所得金額 per year, newest first")


# --- cards -------------------------------------------------------------------------------


class CardApplicationIn(BaseModel):
    """The PINs the resident sets at the counter (a legal representative for a minor)."""

    auth_pin: str | None = Field(
        default=None,
        repr=False,
        description="利用者証明用電子証明書: 4 digits (none for a face-only card)",
    )
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
    generation: Literal[1, 2] = Field(
        default=1, description="2: the next-generation card (this project's model of it)"
    )
    face_only: bool = Field(
        default=False,
        description="顔認証マイナンバーカード (on request): no PIN, no signing certificate; "
        "at a clinic's reader by face or by sight only",
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
    face_only: bool = False
    note: str | None = None
    certificates: list[CardCertificate]


class CardHandedOver(BaseModel):
    resident_id: str
    summary: CardSummary
    card_image: str = Field(description="the card image file's content (JSON, secrets sealed)")


# --- eligibility for a designated public benefit -------------------------------------------

#: The most people one eligibility page holds (this project's bound).
MAX_ELIGIBLE_PAGE = 200_000


class EligibleWho(BaseModel):
    """Who is asked for: the residents of a benefit on its base date, of the ages given."""

    programme: str = Field(min_length=1, max_length=60, description="the benefit's id")
    as_of: date = Field(description="基準日: residents registered here on this date")
    min_age: int | None = Field(default=None, ge=0, le=150, description="age on as_of, at least")
    max_age: int | None = Field(default=None, ge=0, le=150, description="age on as_of, at most")


class EligibleIn(EligibleWho):
    after: str | None = Field(
        default=None,
        max_length=16,
        pattern="^[0-9a-f]{1,16}$",
        description="the previous page's `next`; none for the first page",
    )
    upto: str | None = Field(
        default=None,
        max_length=16,
        pattern="^[0-9a-f]{1,16}$",
        description="the last id of the range read (one of `/eligible/bounds`); none: to the end",
    )
    limit: int = Field(default=100_000, ge=1, le=MAX_ELIGIBLE_PAGE)


#: The most ranges ``/eligible/bounds`` gives: a city of 3.7 million in ranges of 1,000 is
#: 3,700 of them (this project's bound).
MAX_BOUNDS = 10_000


class EligibleBoundsIn(EligibleWho):
    every: int = Field(ge=1, le=MAX_ELIGIBLE_PAGE, description="people in each range")


class EligibleBoundsOut(BaseModel):
    bounds: list[str] = Field(
        description="the id of every `every`-th eligible resident, in id order: the ranges "
        "(none, b1], (b1, b2] … (bn, none) are read with `after` and `upto`"
    )


class EligibleOut(BaseModel):
    sealed: str = Field(
        description='JWE to `benefits` of {"people": [{"my_number", "household", "head", '
        '"kana", "age"}], "next": cursor | null}'
    )


# --- the paged export for seeding ----------------------------------------------------------

#: The most residents one export page holds: this project's bound, one unit of work of log
#: entries.
MAX_EXPORT_PAGE = 5_000


class ExportIn(BaseModel):
    after: str | None = Field(
        default=None, max_length=16, description="the last id of the page before; none: start"
    )
    limit: int = Field(default=1_000, ge=1, le=MAX_EXPORT_PAGE)


class ExportedResident(BaseModel):
    id: str
    my_number: str = Field(repr=False)
    family_name_kana: str
    given_name_kana: str
    birth_date: date


class ExportOut(BaseModel):
    residents: list[ExportedResident]
    next: str | None = Field(description="``after`` for the next page; none: this was the last")


# --- notices ------------------------------------------------------------------------------


class ResidentNoticesIn(BaseModel):
    resident_ids: list[Annotated[str, Field(max_length=16)]] = Field(
        min_length=1, max_length=MAX_NOTICES
    )
    messages: list[Notice] = Field(min_length=1, max_length=MAX_NOTICES)


# --- 介護保険 被保険者 -------------------------------------------------------------------


class CareInsuredIn(BaseModel):
    resident_id: str = Field(min_length=1, max_length=16, pattern="^[0-9a-f]+$")
    insured_number: str = Field(pattern="^[0-9]{10}$", description="介護保険被保険者番号")
    qualified_on: date = Field(description="資格取得日 (the 40th or 65th birthday, a move in …)")


class CareInsuredOut(BaseModel):
    resident_id: str
    insured_number: str
    category: str = Field(description="1 第1号被保険者 (65+), 2 第2号 (40-64)")
    qualified_on: date
