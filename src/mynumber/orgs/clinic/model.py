"""A clinic's plain rules: its code, the demo institutions, its staff's roles."""

from __future__ import annotations

from dataclasses import dataclass

from mynumber.platform.staff.model import Role, Roles

#: 受付 (reception): confirms eligibility and reads drug data with consent; 薬剤師 (a
#: pharmacy's pharmacist): also submits dispensing claims.
ROLES = Roles.of(
    Role("reception", "受付 (reception)", frozenset({"clinic.confirm"})),
    Role("pharmacist", "薬剤師 (pharmacist)", frozenset({"clinic.confirm", "clinic.claim"})),
)


@dataclass(frozen=True, slots=True)
class Institution:
    """保険医療機関等コード: prefecture 2, 点数表 1 (1 medical, 3 dental, 4 pharmacy), 7 digits."""

    code: str
    name: str

    def __post_init__(self) -> None:
        if len(self.code) != 10 or not self.code.isdigit():
            raise ValueError("a medical institution code is 10 digits")

    @property
    def org(self) -> str:
        return f"clinic-{self.code}"

    @property
    def pharmacy(self) -> bool:
        return self.code[2] == "4"


#: The demo clinic and pharmacy (synthetic codes in 東京 13: demo values).
DEMO_INSTITUTIONS = (
    Institution("1311234567", "みなと内科クリニック (demo)"),
    Institution("1341234568", "みなと薬局 (demo)"),
)
BY_CODE = {i.code: i for i in DEMO_INSTITUTIONS}


def institution(code: str) -> Institution:
    return BY_CODE.get(code) or Institution(code, f"医療機関 {code}")
