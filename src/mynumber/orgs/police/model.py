"""The police's plain rules: the commission, how a licence is held and what it costs, how
long a renewal runs, who may take the online renewal course, the staff's roles.

Sourced (``services-reference.md`` §2): the three ways to hold a licence and their fees, the
¥1,500 for adding a licence to a card outside renewal, the online course for 優良/一般
holders under 70 with a face check against the licence photo, one-stop address change only
for card-only holders. **This project's choices** (not public or simplified): the renewal
periods below, the fee for adding a plastic licence outside renewal, the face-match
threshold, the course's chapters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from mynumber.platform.staff.model import Role, Roles

Holding = Literal["card", "plastic", "both"]
Category = Literal["優良", "一般", "違反", "初回"]
FeeKind = Literal["first", "renewal", "add_card", "add_plastic"]

HOLDINGS: tuple[Holding, ...] = ("card", "plastic", "both")
CATEGORIES: tuple[Category, ...] = ("優良", "一般", "違反", "初回")
HOLDING_NAMES: dict[Holding, str] = {
    "card": "マイナ免許証のみ",
    "plastic": "従来の免許証のみ",
    "both": "マイナ免許証と従来の免許証の2枚持ち",
}


@dataclass(frozen=True, slots=True)
class Commission:
    """A prefectural 公安委員会 and its two-digit code (the licence number's first two)."""

    code: int
    name: str

    @property
    def org(self) -> str:
        return "police"


#: The demo commission: 東京都公安委員会, code 30 (as on Tokyo licences).
TOKYO = Commission(30, "東京都公安委員会")

#: First issue and renewal fees per holding (¥, services-reference §2).
FEES: dict[tuple[Holding, Literal["first", "renewal"]], int] = {
    ("card", "first"): 1_550,
    ("card", "renewal"): 2_100,
    ("plastic", "first"): 2_350,
    ("plastic", "renewal"): 2_850,
    ("both", "first"): 2_450,
    ("both", "renewal"): 2_950,
}
#: Adding the licence to a card outside renewal (sourced).
ADD_TO_CARD = 1_500
#: Getting a plastic licence as well, outside renewal: this project's choice (the
#: plastic-only first-issue fee; the real fee was not found).
ADD_PLASTIC = 2_350

#: Years a renewed licence runs, by category (this project's simplification: 優良 and 一般 5,
#: 違反 and 初回 3), ending one month after the holder's birthday in the last year.
RENEWAL_YEARS: dict[Category, int] = {"優良": 5, "一般": 5, "違反": 3, "初回": 3}
#: The online course is for 優良 and 一般 holders under this age at renewal.
ONLINE_COURSE_AGE = 70
ONLINE_COURSE_CATEGORIES: frozenset[str] = frozenset({"優良", "一般"})
#: The face check's threshold on the device's match score (0-1): this project's choice, the
#: same as the eligibility system's for the clinic's reader.
FACE_THRESHOLD = 0.90
#: The online course's chapters: each must be watched (this project's choice).
COURSE_CHAPTERS = ("交通事故の現状", "安全運転の基本", "道路交通法の改正点", "高齢運転者への配慮")

#: 窓口 (counter): licences, holding, renewal at the counter, writing to the card; 照会
#: (enquiry): read only.
ROLES = Roles.of(
    Role(
        "counter",
        "免許窓口 (licence counter)",
        frozenset({"licences.read", "licences.issue", "licences.write"}),
    ),
    Role("enquiry", "照会 (enquiry)", frozenset({"licences.read"})),
)


class Refusal(Exception):
    """A rule says no: ``code`` names it."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fee(holding: Holding, kind: Literal["first", "renewal"]) -> int:
    return FEES[(holding, kind)]


def change_fee(old: Holding, new: Holding) -> int:
    """What a change of holding costs outside renewal: adding the card ¥1,500, adding a
    plastic licence :data:`ADD_PLASTIC`, giving one up nothing."""
    if old == new:
        raise Refusal("the licence is already held this way", "same_holding")
    amount = 0
    if old == "plastic":
        amount += ADD_TO_CARD
    if old == "card":
        amount += ADD_PLASTIC
    return amount


def on_card(holding: str) -> bool:
    return holding in ("card", "both")


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def renewed_until(birth: dt.date, valid_until: dt.date, category: Category) -> dt.date:
    """The new validity: one month after the birthday in the year ``RENEWAL_YEARS`` after
    the old validity's year."""
    year = valid_until.year + RENEWAL_YEARS[category]
    month = birth.month + 1
    if month == 13:
        year, month = year + 1, 1
    day = min(birth.day, 28) if month == 2 else min(birth.day, 30)
    return dt.date(year, month, day)


def online_course_refusal(category: str, birth: dt.date, valid_until: dt.date) -> str | None:
    """Why a holder may not take the online course (None: they may)."""
    if category not in ONLINE_COURSE_CATEGORIES:
        return "the online course is for 優良 and 一般 holders"
    if age_on(birth, valid_until) >= ONLINE_COURSE_AGE:
        return "the online course is for holders under 70 at renewal"
    return None


def same_person(licence_name: str, signer_name: str) -> bool:
    """Names compared without spaces (full- or half-width)."""

    def norm(name: str) -> str:
        return "".join(name.replace("\u3000", " ").split())

    return norm(licence_name) == norm(signer_name)
