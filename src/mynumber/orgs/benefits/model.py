"""The rules of a benefit programme, in plain Python: what a programme is, who is paid
how much, and what each payee is told.

A programme pays a fixed amount per eligible person, or per household to its head
(世帯主) — the amount times the household's eligible members, as the 2020 特別定額給付金
paid ¥100,000 per person into the household head's account (domain-reference §7.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac

from mynumber import jst
from mynumber.errors import Conflict, Forbidden, InvalidInput
from mynumber.payments import (
    MAX_AMOUNT,
    DepositType,
    ResultCode,
    account_number,
    branch,
    to_zengin_kana,
)
from mynumber.platform.staff.model import Role, Roles

ORG = "benefits"

PER = ("person", "household")
#: 受取人名 when a registry name has no Zengin character at all (フメイ, "unknown").
UNKNOWN_NAME = "ﾌﾒｲ"
MAX_AGE = 150
_CODE = re.compile(r"[0-9]{6}")

#: The office's own account at a demo bank: 依頼人 of every Zengin header (demo values).
PAYER_NAME = to_zengin_kana("キュウフキンジムキョク", field="payer_name")
PAYER_CODE = "0000000001"
PAYER_BANK = "0001"
PAYER_BRANCH = "001"
PAYER_DEPOSIT_TYPE = DepositType.ORDINARY.value
PAYER_ACCOUNT = "0000001"

#: Why a transfer failed, as the bank's result code says, and what the payee should do.
FAILURES: dict[str, tuple[str, str]] = {
    ResultCode.NO_SUCH_ACCOUNT.name.lower(): (
        "口座が見つかりませんでした / The bank has no such account",
        "公金受取口座を確認・変更するか、この給付金の受取口座を申請してください / "
        "Check or change your public-fund account, or name an account for this payment.",
    ),
    ResultCode.ACCOUNT_CLOSED.name.lower(): (
        "口座が解約されていました / The account is closed",
        "公金受取口座を変更するか、この給付金の受取口座を申請してください / "
        "Change your public-fund account, or name an account for this payment.",
    ),
    ResultCode.NAME_MISMATCH.name.lower(): (
        "口座名義がご本人と一致しませんでした / The account is not in your own name",
        "ご本人名義の口座を登録するか申請してください（ご家族の口座には振り込めません） / "
        "Register or name an account in your own name (not a family member's).",
    ),
    "bank_not_connected": (
        "この金融機関には振り込めませんでした / This bank cannot be paid into",
        "ほかの金融機関の口座を申請してください / Name an account at another bank.",
    ),
}
OTHER_FAILURE = (
    "振込ができませんでした / The transfer could not be made",
    "この給付金の受取口座を申請してください / Name an account for this payment.",
)


class NotApproved(Conflict):
    """A run of a programme nobody approved yet."""

    code = "programme_not_approved"


class OwnProgramme(Forbidden):
    """The staff member who made a programme asked to approve it (four eyes: another must)."""

    code = "approver_made_programme"


def check_approver(*, maker: str | None, approver: str) -> None:
    """Another staff member than the maker approves; :class:`OwnProgramme` otherwise.

    Holding both roles, or every permission (the local administrator), changes nothing."""
    if maker is not None and maker == approver:
        raise OwnProgramme("the staff member who made a programme may not approve it")


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme as created: validated once, then fixed (a run depends on it)."""

    name: str
    amount: int
    per: str
    municipalities: tuple[str, ...]
    as_of: date
    min_age: int | None = None
    max_age: int | None = None

    @classmethod
    def checked(
        cls,
        *,
        name: str,
        amount: int,
        per: str,
        municipalities: Iterable[str],
        as_of: date,
        min_age: int | None = None,
        max_age: int | None = None,
        served: Iterable[str] | None = None,
    ) -> Programme:
        """A programme, or :class:`InvalidInput` naming the first field at fault.

        ``served``: the municipalities of the deployment (eligibility comes from them).
        """
        name = name.strip()
        if not 1 <= len(name) <= 100 or not name.isprintable():
            raise InvalidInput("name must be 1 to 100 printable characters", field="name")
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"amount must be 1 to {MAX_AMOUNT} yen", field="amount")
        if per not in PER:
            raise InvalidInput("per must be person or household", field="per")
        codes = tuple(dict.fromkeys(municipalities))
        if not codes:
            raise InvalidInput("name at least one municipality", field="municipality")
        known = None if served is None else set(served)
        for code in codes:
            if not _CODE.fullmatch(code):
                raise InvalidInput("a municipality code is 6 digits", field="municipality")
            if known is not None and code not in known:
                raise InvalidInput(f"municipality {code} is not served here", field="municipality")
        if not isinstance(as_of, date):
            raise InvalidInput("as_of must be a date", field="as_of")
        if as_of > jst.today():
            raise InvalidInput("as_of (the base date) is in the future", field="as_of")
        for label, age in (("min_age", min_age), ("max_age", max_age)):
            if age is not None and not 0 <= age <= MAX_AGE:
                raise InvalidInput(f"{label} must be 0 to {MAX_AGE}", field=label)
        if min_age is not None and max_age is not None and min_age > max_age:
            raise InvalidInput("min_age is above max_age", field="min_age")
        return cls(name, amount, per, codes, as_of, min_age, max_age)

    def admits(self, age: int) -> bool:
        """Whether a person of this age on ``as_of`` is eligible."""
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


@dataclass(frozen=True, slots=True)
class Eligible:
    """An eligible person as the office keeps them: its own code, never a number."""

    code: str = field(repr=False)
    municipality: str
    household: str = field(repr=False)
    head: bool
    kana: str = field(repr=False)
    age: int


@dataclass(frozen=True, slots=True)
class Payee:
    code: str = field(repr=False)
    municipality: str
    household: str = field(repr=False)
    name: str = field(repr=False)  # Zengin kana, at most 30 characters
    members: int
    amount: int


def number_fingerprints(key: bytes, numbers: Iterable[str]) -> list[str]:
    """What the office keeps instead of each My Number it enrolled: a keyed hash under its
    own key (HMAC-SHA256, the first 16 bytes in hex), so its codes are found again without
    keeping a number. The key is set up once and its HMAC state copied for each number
    (``cryptography``'s copy costs half the standard library's: 0.8 µs a number)."""
    copy = hmac.HMAC(key, hashes.SHA256()).copy
    out = []
    for n in numbers:
        mac = copy()
        mac.update(n.encode())
        out.append(mac.finalize()[:16].hex())
    return out


def payee_name(kana: str) -> str:
    """受取人名: the person's kana as the registry records it, in Zengin kana (C(30)).

    A character with no Zengin form is left out rather than stopping the whole run (the
    bank then compares the name as it stands, and says so if it differs).
    """
    try:
        name = to_zengin_kana(kana, field="kana")
    except InvalidInput:
        name = "".join(_zengin_or_nothing(c) for c in kana)
    name = " ".join(name.split())[:30].rstrip(" ")
    return name or UNKNOWN_NAME


def _zengin_or_nothing(character: str) -> str:
    try:
        return to_zengin_kana(character, field="kana")
    except InvalidInput:
        return ""


def payees(programme: Programme, people: Iterable[Eligible]) -> list[Payee]:
    """Who is paid and how much, from the eligible people.

    Per person: each one. Per household: the head (世帯主), the amount times the eligible
    members; a household whose head is not among them (moved out before the date) is paid
    to its eldest eligible member. Deterministic: the same people give the same payees.
    """
    eligible = sorted(
        (p for p in people if programme.admits(p.age)),
        key=lambda p: (p.municipality, p.household, not p.head, -p.age, p.code),
    )
    if programme.per == "person":
        return [
            Payee(p.code, p.municipality, p.household, payee_name(p.kana), 1, programme.amount)
            for p in eligible
        ]
    households: dict[tuple[str, str], list[Eligible]] = {}
    for p in eligible:
        households.setdefault((p.municipality, p.household), []).append(p)
    paid = []
    for members in households.values():
        head = members[0]  # sorted: the head first, else the eldest
        paid.append(
            Payee(
                head.code,
                head.municipality,
                head.household,
                payee_name(head.kana),
                len(members),
                programme.amount * len(members),
            )
        )
    return paid


def failure(reason: str | None) -> tuple[str, str]:
    """(why, what to do) for a failed transfer's reason."""
    return FAILURES.get(reason or "", OTHER_FAILURE)


def notice(kind: str, *, programme: str, programme_id: str, **facts: object) -> dict[str, str]:
    """The お知らせ a payee gets: credited, failed or no registered account."""
    link = f"/portal/benefits/{programme_id}"
    if kind == "credited":
        bank = facts["bank"]
        amount = int(str(facts["amount"]))
        return {
            "title": f"{programme} をお振込みしました / {programme} paid",
            "body": f"{amount:,}円を {bank} の口座にお振込みしました。"
            f" / ¥{amount:,} was paid into your account at {bank}.",
        }
    if kind == "failed":
        why, todo = failure(str(facts.get("reason") or ""))
        return {
            "title": f"{programme} をお振込みできませんでした / {programme} could not be paid",
            "body": f"{why}。{todo}",
            "link": link,
        }
    return {
        "title": f"{programme} の受取口座をお知らせください / Tell us where to pay {programme}",
        "body": "公金受取口座が登録されていません。下のリンクから、登録済みの口座を使うか、"
        "この給付金の受取口座を申請できます。 / No public-fund account is registered: "
        "use the link to apply with one click.",
        "link": link,
    }


#: An account a payment goes to: (bank, branch, deposit type, 7-digit number).
Account = tuple[str, str, str, str]

#: The deposit types a benefit is paid into: 普通, 当座, 貯蓄.
PAYABLE_DEPOSIT_TYPES = (
    DepositType.ORDINARY.value,
    DepositType.CURRENT.value,
    DepositType.SAVINGS.value,
)


def checked_account(
    bank_code: object, branch_code: object, kind: object, number: object
) -> Account:
    """Bank, branch, deposit type and number as the registry checks them (codes in the
    Zengin list, 普通/当座/貯蓄, up to 7 digits); InvalidInput naming the field."""
    bank_code, branch_code, kind = str(bank_code), str(branch_code), str(kind)
    branch(bank_code, branch_code)
    if kind not in PAYABLE_DEPOSIT_TYPES:
        raise InvalidInput("deposit_type must be 1, 2 or 4", field="deposit_type")
    return bank_code, branch_code, kind, account_number(str(number))


def check_account(account: dict[str, Any]) -> dict[str, str]:
    """:func:`checked_account` of an account given by name (deposit type 1 if none)."""
    bank_code, branch_code, kind, number = checked_account(
        account["bank_code"],
        account["branch_code"],
        account.get("deposit_type", "1"),
        account.get("account_number", ""),
    )
    return {
        "bank_code": bank_code,
        "branch_code": branch_code,
        "deposit_type": kind,
        "account_number": number,
    }


# --- staff roles (see platform/staff) --------------------------------------------------------

#: 企画担当 makes programmes and starts their runs; 承認者 approves a programme, and must be
#: another person than the one who made it (a run refuses an unapproved programme). Both
#: see the staff pages. The split of duties is this project's choice (a maker–checker rule).
ROLES = Roles.of(
    Role(
        "planner",
        "企画担当 (programme planner)",
        frozenset({"programmes.read", "programmes.create", "programmes.run"}),
    ),
    Role(
        "approver",
        "承認者 (programme approver)",
        frozenset({"programmes.read", "programmes.approve"}),
    ),
)
