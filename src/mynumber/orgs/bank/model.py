"""A bank's plain rules: the roles of its staff (see ``platform/staff``), how banks are
named, when a holder name is the same name, and whether a transfer may be credited to an
account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mynumber.payments import MAX_COUNT, RECORD_LENGTH, ResultCode, Transfer, bank
from mynumber.platform.staff.model import Role, Roles

#: 窓口担当: opens and closes accounts, registers public-fund accounts at the counter.
ROLES = Roles.of(
    Role("clerk", "窓口担当 (bank clerk)", frozenset({"accounts.open", "accounts.close"})),
)

#: Why a verification said no (machine-readable, shown to the registering person).
NO_SUCH_ACCOUNT = "no_such_account"
CLOSED = "account_closed"
NAME_MISMATCH = "holder_name_mismatch"

#: Organisations that may send transfer files (the benefit office; other payers can join).
PAYERS = ("benefits",)
#: Records per network call (the paying bank sends a receiving bank's records in slices).
FORWARD_SLICE = 20_000
#: What a file id (the payer's Idempotency-Key) may look like.
FILE_ID = re.compile(r"^[0-9A-Za-z._:-]{1,64}$")
#: The largest 総合振込 file: header, MAX_COUNT data records, trailer, end, each with CRLF.
MAX_BYTES = (MAX_COUNT + 3) * (RECORD_LENGTH + 2)

#: An account as a credit checks it: (id, status, holder kana).
AccountState = tuple[str, str, str]


def org_name(code: str) -> str:
    """``0001`` → ``bank-0001`` (served at ``/bank/0001``)."""
    return f"bank-{bank(code).code}"


def bank_of(org: str) -> str | None:
    """``bank-0005`` → ``0005``; None for an organisation that is not a bank."""
    code = org.removeprefix("bank-")
    return code if code != org and re.fullmatch(r"[0-9]{4}", code) else None


def same_name(a: str, b: str) -> bool:
    """Two holder names in Zengin kana are the same name (spaces between names ignored),
    as the bank's 口座名義の確認 compares them."""
    return a.replace(" ", "") == b.replace(" ", "")


@dataclass(frozen=True, slots=True)
class Verdict:
    """口座名義の確認: yes, or no and why not (one of the reasons above)."""

    ok: bool
    reason: str | None = None


def credit_result(account: AccountState | None, transfer: Transfer) -> ResultCode:
    """Whether ``transfer`` may be credited to ``account`` (None: no such account here)."""
    if account is None:
        return ResultCode.NO_SUCH_ACCOUNT
    _, status, kana = account
    if status != "open":
        return ResultCode.ACCOUNT_CLOSED
    if not same_name(kana, transfer.payee_name):
        return ResultCode.NAME_MISMATCH
    return ResultCode.CREDITED
