"""The rules of the resident registry, in plain Python.

The four basic items (基本4情報: name, address, date of birth, sex) and the household are
what a 住民票 records; this module validates them and knows the demo municipalities.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mynumber import jst
from mynumber.errors import InvalidInput
from mynumber.platform.staff.model import Role, Roles
from mynumber.text import clean

if TYPE_CHECKING:
    from mynumber.pki import BasicItems as CertificateItems


class Sex(StrEnum):
    """ISO 5218 codes, as the card's text AP stores them."""

    MALE = "1"
    FEMALE = "2"
    NOT_APPLICABLE = "9"

    @property
    def label(self) -> str:
        return {"1": "男 male", "2": "女 female", "9": "適用不能 n/a"}[self.value]


class Status(StrEnum):
    ACTIVE = "active"
    MOVING = "moving"  # claimed by a move-out that has not finished
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"


RELATIONSHIPS = (
    "世帯主",
    "妻",
    "夫",
    "子",
    "父",
    "母",
    "孫",
    "兄",
    "姉",
    "弟",
    "妹",
    "同居人",
    "その他",
)


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # 全国地方公共団体コード, 6 digits with its check digit
    prefecture: str
    name: str
    name_en: str
    towns: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.prefecture}{self.name}"

    @property
    def org(self) -> str:
        return f"municipality-{self.code}"


def local_government_check_digit(base5: str) -> int:
    """Check digit of a 5-digit local government code (weights 6..2, modulus 11)."""
    remainder = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), base5, strict=True)) % 11
    return (11 - remainder) % 10


_KNOWN = (
    Municipality(
        "131016",
        "東京都",
        "千代田区",
        "Chiyoda",
        (
            "丸の内",
            "大手町",
            "霞が関",
            "永田町",
            "麹町",
            "神田神保町",
            "一番町",
            "有楽町",
            "飯田橋",
            "九段南",
            "九段北",
            "神田小川町",
        ),
    ),
    Municipality(
        "131041",
        "東京都",
        "新宿区",
        "Shinjuku",
        (
            "西新宿",
            "歌舞伎町",
            "四谷",
            "高田馬場",
            "大久保",
            "百人町",
            "神楽坂",
            "市谷本村町",
            "新宿",
            "早稲田町",
            "戸山",
            "北新宿",
        ),
    ),
    Municipality(
        "131024",
        "東京都",
        "中央区",
        "Chuo",
        ("銀座", "日本橋", "築地", "月島", "勝どき", "晴海", "八丁堀", "新川", "佃", "湊"),
    ),
    Municipality(
        "271004",
        "大阪府",
        "大阪市",
        "Osaka",
        ("梅田", "中之島", "難波", "天王寺", "本町", "心斎橋", "京橋", "天満", "福島", "西九条"),
    ),
    Municipality(
        "011002",
        "北海道",
        "札幌市",
        "Sapporo",
        (
            "大通西",
            "北一条西",
            "すすきの",
            "円山",
            "真駒内",
            "琴似",
            "月寒",
            "麻生町",
            "平岸",
            "新琴似",
        ),
    ),
)
MUNICIPALITIES = {m.code: m for m in _KNOWN}


def municipality(code: str) -> Municipality:
    """The municipality with this code; an unknown one is an :class:`InvalidInput`."""
    try:
        return MUNICIPALITIES[code]
    except KeyError as exc:
        raise InvalidInput(f"unknown municipality code {code}", field="municipality") from exc


_KANA = re.compile(r"^[\u30a1-\u30fc\u3000 ]+$")

#: The earliest date of birth the registry takes. No law sets one; this project chose
#: 1900-01-01 (nobody registered today was born before it) to refuse typing slips.
EARLIEST_BIRTH = date(1900, 1, 1)


def _text(value: str, field: str, *, max_length: int) -> str:
    return clean(
        value, field=field, max_length=max_length, form="NFKC" if field.endswith("kana") else "NFC"
    )


def check_date(
    on: date, *, field: str, birth: date, today: date, not_before: date | None = None
) -> date:
    """``on`` (a registration, move or death) when it falls between the person's birth (and
    ``not_before``, e.g. the registration a move follows) and ``today``, the municipality's
    clock; :class:`InvalidInput` naming ``field`` otherwise."""
    if on > today:
        raise InvalidInput(f"{field} is in the future", field=field)
    if on < birth:
        raise InvalidInput(f"{field} is before the date of birth", field=field)
    if not_before is not None and on < not_before:
        raise InvalidInput(f"{field} is before the resident was registered here", field=field)
    return on


@dataclass(frozen=True, slots=True)
class BasicItems:
    """The four basic items of one person, validated. ``repr`` shows no personal data."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: Sex
    address: str

    def __post_init__(self) -> None:
        for field, limit in (("family_name", 30), ("given_name", 30), ("address", 200)):
            object.__setattr__(self, field, _text(getattr(self, field), field, max_length=limit))
        for field in ("family_name_kana", "given_name_kana"):
            value = _text(getattr(self, field), field, max_length=60)
            if not _KANA.match(value):
                raise InvalidInput(f"{field} must be written in katakana", field=field)
            object.__setattr__(self, field, value)
        if self.birth_date > jst.today():
            raise InvalidInput("the date of birth is in the future", field="birth_date")
        if self.birth_date < EARLIEST_BIRTH:
            raise InvalidInput(
                f"the date of birth is before {EARLIEST_BIRTH.isoformat()}", field="birth_date"
            )
        object.__setattr__(self, "sex", Sex(self.sex))

    def __repr__(self) -> str:
        return "BasicItems(<personal data>)"

    @property
    def name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}"

    @property
    def name_kana(self) -> str:
        return f"{self.family_name_kana}\u3000{self.given_name_kana}"


def age_on(birth: date, on: date) -> int:
    """Completed years of age on a date (a 29 February birthday counts on 28 February)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- staff roles (each route asks for one permission; see platform/staff) -------------------

#: 窓口担当: the counter — registrations, moves, deaths, card issuance, looking people up.
#: 審査担当: e-applications and what their review needs. 監督者: corrections and number
#: re-issue (a second supervisor approves). 税務担当: resident tax and linkage enrolment.
#: データ管理: the paged export of residents with their My Numbers that the demo seeding
#: uses (this project's choice; see ``export.py``).
ROLES = Roles.of(
    Role(
        "clerk",
        "窓口担当 (counter clerk)",
        frozenset(
            {
                "residents.read",
                "residents.register",
                "residents.move",
                "residents.death",
                "cards.issue",
                "kiosk.read",
                "seals.register",
                "koseki.record",
                "care.record",
            }
        ),
    ),
    Role(
        "reviewer",
        "審査担当 (reviewer)",
        frozenset({"applications.read", "applications.decide", "linkage.income", "residents.read"}),
    ),
    Role(
        "supervisor",
        "監督者 (supervisor)",
        frozenset({"residents.read", "numbers.reissue", "numbers.approve", "linkage.read"}),
    ),
    Role(
        "tax_clerk",
        "税務担当 (resident-tax clerk)",
        frozenset({"taxes.record", "linkage.enrol", "linkage.read"}),
    ),
    Role("data_steward", "データ管理 (data steward)", frozenset({"residents.export"})),
)

#: Why a staff member opens one person's record (asked before it is shown, kept in the
#: access log, shown to the person on Mynaportal). ``application:<id>`` names the
#: e-application under review. The list is this project's choice.
PURPOSES = {
    "counter": "窓口での届出・証明 (a counter visit)",
    "inquiry": "本人からの問い合わせ (the person's own inquiry)",
    "correction": "職権による記載の修正 (a correction)",
    "application": "電子申請の審査 (an e-application under review)",
    "search": "検索 (a search)",
}
PURPOSE_PATTERN = r"^(counter|inquiry|correction|application:[0-9A-Za-z_-]{1,40})$"


def _same_day(year: int, on: date) -> date:
    """``on``'s month and day in ``year`` (29 February becomes the 28th in a common year)."""
    try:
        return on.replace(year=year)
    except ValueError:
        return on.replace(year=year, day=28)


@dataclass(frozen=True, slots=True)
class BirthRange:
    """Births whose age on a date lies in an age range: ``after`` < birth ≤ ``until``."""

    after: date | None
    until: date | None


def births_for_ages(as_of: date, min_age: int | None, max_age: int | None) -> BirthRange:
    """The exact birth-date bounds of :func:`~mynumber.orgs.municipality.model.age_on`
    ranges, so the filter runs in SQL.

    Age ≥ a ⇔ (birth year, month, day) ≤ (as_of.year − a, as_of.month, as_of.day); when
    that day is 29 February of a common year, ≤ 28 February is the same set of dates.
    Age ≤ m ⇔ not age ≥ m + 1.
    """
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InvalidInput("min_age is greater than max_age", field="min_age")
    until = None if min_age is None else _same_day(as_of.year - min_age, as_of)
    after = None if max_age is None else _same_day(as_of.year - max_age - 1, as_of)
    return BirthRange(after, until)


# --- e-applications (電子申請) ----------------------------------------------------------

#: The e-applications a municipality takes, and whether each must be signed.
KINDS: dict[str, tuple[str, bool]] = {
    "child_allowance_claim": ("児童手当 認定請求 / Child allowance claim", True),
    "nursery_admission": ("保育所等 入所申込 / Nursery admission", True),
    "pregnancy_notification": ("妊娠届 / Pregnancy notification", False),
    "child_rearing_allowance_status": (
        "児童扶養手当 現況届 / Child-rearing allowance status",
        True,
    ),
    # 介護ワンストップ (介護保険法 Art. 27, 32; 施行規則 Art. 83-9)
    "care_certification": ("要介護・要支援認定の申請 / Long-term care certification", True),
    "care_plan_notification": ("居宅サービス計画作成依頼届出 / Care-plan notification", False),
}
ITEMS = ("application",)
DECISION = "application_decision"
STATUS = {
    "received": "受付 / Received",
    "approved": "承認 / Approved",
    "rejected": "却下 / Rejected",
    "returned": "差戻し / Returned",
}
DECISIONS = {"approved", "rejected", "returned"}

#: Children a child allowance claim form names at most (child1 … child3).
MAX_CHILDREN = 3


@dataclass(frozen=True, slots=True)
class ChildCheck:
    """One claimed child against the registry: found by name and birth date among the
    active residents here, in the claimant's household, and within the child period."""

    child: int  # 1, 2, 3: the form's row
    name: str
    birth_date: date | None
    resident_id: str | None  # the resident found (None: nobody with that name and birth)
    on_registry: bool
    in_household: bool
    age: int | None
    eligible_age: bool
    period_ends: date | None

    @property
    def passed(self) -> bool:
        return self.on_registry and self.in_household and self.eligible_age

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        for key in ("birth_date", "period_ends"):
            values[key] = None if values[key] is None else values[key].isoformat()
        return values | {"passed": self.passed}


def compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def differing_items(items: CertificateItems, resident: Any) -> list[str]:
    """Which of the four basic items differ from the registry's record (empty: all match)."""
    differ = []
    if compact(items.name) != compact(f"{resident.family_name}{resident.given_name}"):
        differ.append("name")
    if items.birth_date != resident.birth_date:
        differ.append("birth_date")
    if str(items.gender.value) != str(resident.sex):
        differ.append("sex")
    if compact(items.address) != compact(resident.address):
        differ.append("address")
    return differ


#: The events that tie a card (its manufacture number) to a resident here: handed over
#: here, or brought along on a move-in (the card stays valid when its holder moves).
CARD_EVENTS = ("card_issued", "card_moved")  # an event kind is at most 12 characters


# --- 介護保険: the municipality's insured persons and their 要介護・要支援認定 --------------

#: 介護保険被保険者番号: 10 digits (the municipality's own numbering; the digits' meaning is
#: not public — this project takes any 10 digits).
CARE_INSURED_NUMBER = re.compile(r"^[0-9]{10}\Z")
#: 第1号被保険者 from 65, 第2号 from 40 to 64 (介護保険法 Art. 9).
FIRST_CATEGORY_AGE, SECOND_CATEGORY_AGE = 65, 40
CARE_CATEGORIES = {"1": "第1号被保険者 (65歳以上)", "2": "第2号被保険者 (40〜64歳)"}
#: The levels a 認定 decides (介護保険法 Art. 7, 要介護認定等基準時間 省令): 非該当 (自立) too.
CARE_LEVELS = {
    "support1": "要支援1",
    "support2": "要支援2",
    "care1": "要介護1",
    "care2": "要介護2",
    "care3": "要介護3",
    "care4": "要介護4",
    "care5": "要介護5",
    "none": "非該当",
}
#: 認定有効期間 in months (施行規則 Art. 38, 41, 55 as amended): new and change applications
#: 6 (3 to 12), renewals 12 (3 to 48). The period starts on the application day (認定の効力は
#: 申請日に遡る, Art. 27(8)) and runs to the end of the month so many months on (the first
#: month's remainder comes on top, as the rule counts whole months).
CARE_PERIOD_MONTHS = {"new": (6, 3, 12), "change": (6, 3, 12), "renewal": (12, 3, 48)}


def care_category(birth_date: date, today: date) -> str:
    """第1号 (65+) or 第2号 (40-64); raise under 40 (nobody is insured then)."""
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    if age >= FIRST_CATEGORY_AGE:
        return "1"
    if age >= SECOND_CATEGORY_AGE:
        return "2"
    raise InvalidInput("介護保険の被保険者は40歳以上です / insured from 40", field="birth_date")


def care_period(request: str, applied_on: date, months: int | None = None) -> tuple[date, date]:
    """The 認定有効期間 of a decision on an application of ``request`` (new, renewal,
    change) made on ``applied_on``: from that day to the end of the month ``months`` on."""
    if request not in CARE_PERIOD_MONTHS:
        raise InvalidInput("the request is new, renewal or change", field="request")
    default, shortest, longest = CARE_PERIOD_MONTHS[request]
    chosen = default if months is None else months
    if not shortest <= chosen <= longest:
        raise InvalidInput(
            f"認定有効期間は{shortest}〜{longest}か月です / {shortest} to {longest} months",
            field="months",
        )
    month = applied_on.month - 1 + chosen
    year, month = applied_on.year + month // 12, month % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return applied_on, date.fromordinal(following.toordinal() - 1)


def care_level(level: str) -> str:
    if level not in CARE_LEVELS:
        raise InvalidInput(f"the level is one of {', '.join(CARE_LEVELS)}", field="care_level")
    return level


def care_notice(level: str, period: tuple[date, date]) -> str:
    """What the decision notice says of a 認定 (the person reads it on Mynaportal)."""
    if level == "none":
        return "認定結果: 非該当 / Not certified (no care need found)"
    return (
        f"認定結果: {CARE_LEVELS[level]}（認定有効期間 {period[0].isoformat()}〜"
        f"{period[1].isoformat()}） / Certified {CARE_LEVELS[level]} from "
        f"{period[0].isoformat()} to {period[1].isoformat()}"
    )
