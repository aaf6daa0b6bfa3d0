"""The insurers' plain rules: who they are (保険者番号), their staff's roles, and what an
eligibility record says.

保険者番号 (services-reference §1): 8 digits — 法別番号 2, 都道府県 2, 保険者 3, check 1 — for
健康保険組合 and 協会けんぽ; 6 digits for 国民健康保険 (都道府県 2, 保険者 3, check 1). The
check-digit rule is not public: the numbers below are synthetic demo values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jaconv

from mynumber.platform.staff.model import Role, Roles

#: 受付担当: takes in records (filings, members) keyed by My Number, and issues the
#: 資格確認書 / 資格情報のお知らせ.
ROLES = Roles.of(
    Role(
        "intake",
        "受付担当 (intake staff)",
        frozenset({"records.intake", "notices.send", "documents.issue"}),
    ),
)


@dataclass(frozen=True, slots=True)
class InsurerPlan:
    """One insurer of the deployment: its organisation name, 保険者番号 and kind."""

    org: str
    number: str
    name: str
    kind: str  # kenpo (健康保険組合) | kyokai (協会けんぽ) | kokuho (市町村国保)

    def __post_init__(self) -> None:
        digits = 6 if self.kind == "kokuho" else 8
        if len(self.number) != digits or not self.number.isdigit():
            raise ValueError(f"a {self.kind} insurer number has {digits} digits")


#: The deployment's insurers (demo values: synthetic numbers, 法別 06 組合 / 01 協会).
PLANS: tuple[InsurerPlan, ...] = (
    InsurerPlan("insurer", "06139994", "みなと健康保険組合 (demo)", "kenpo"),
    InsurerPlan("insurer-kyokai", "01130018", "全国健康保険協会 東京支部 (demo)", "kyokai"),
    InsurerPlan("insurer-kokuho", "139993", "千代田区国民健康保険 (demo)", "kokuho"),
)
BY_ORG = {p.org: p for p in PLANS}

#: 一部負担金の割合 (%), 健康保険法 Art. 74 / 国保法 Art. 42: 30 % by default; 20 % before
#: school age and from 70 to 74; 10 % or 30 % from 75 (後期高齢者, not an insurer here).
RATIOS = (10, 20, 30)


def default_ratio(birth_date: dt.date | None, today: dt.date) -> int:
    """The usual co-payment ratio by age (income-based exceptions are the insurer's)."""
    if birth_date is None:
        return 30
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    if age < 6 or age >= 70:
        return 20
    return 30


def half_width_kana(kana: str) -> str:
    """NameKana in the answer is half-width katakana (services-reference §1)."""
    return jaconv.z2h(kana, kana=True, ascii=True, digit=True)
