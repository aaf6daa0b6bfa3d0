"""Bank and branch codes, checked against the ``zengin_code`` package, and account numbers.

``zengin_code`` carries the 全銀協 bank and branch code list (about 1,100 banks and 29,000
branches), with names in kanji and full-width katakana; the kana here are already turned
into Zengin half-width kana. Lookups are cached: the list is loaded once per process.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

import zengin_code

from mynumber.errors import InvalidInput
from mynumber.payments.kana import to_zengin_kana

__all__ = ["Bank", "Branch", "DepositType", "account_number", "bank", "branch"]

_DIGITS = re.compile(r"[0-9]+")


class DepositType(enum.Enum):
    """預金種目, one digit (全銀協 総合振込 data record, pos 43; domain-reference §10).

    The header record (依頼人の口座) takes only 1, 2 and 9.
    """

    ORDINARY = "1"  # 普通
    CURRENT = "2"  # 当座
    SAVINGS = "4"  # 貯蓄
    OTHER = "9"  # その他


@dataclass(frozen=True, slots=True)
class Bank:
    """A bank (金融機関): 4-digit code, name, and name in Zengin kana."""

    code: str
    name: str
    kana: str


@dataclass(frozen=True, slots=True)
class Branch:
    """A branch (支店): its bank, 3-digit code, name, and name in Zengin kana."""

    bank: Bank
    code: str
    name: str
    kana: str


def _code(value: str, width: int, *, field: str) -> str:
    if len(value) != width or not _DIGITS.fullmatch(value):
        raise InvalidInput(f"{field} must be {width} digits", field=field, code="malformed_code")
    return value


@functools.cache
def bank(code: str) -> Bank:
    """The bank with this 4-digit code; ``InvalidInput`` (field ``bank_code``) if none."""
    _code(code, 4, field="bank_code")
    found = zengin_code.Bank.all.get(code)
    if found is None:
        raise InvalidInput(f"no bank has code {code}", field="bank_code", code="unknown_bank")
    return Bank(code=code, name=found.name, kana=to_zengin_kana(found.kana, field="bank_code"))


@functools.cache
def branch(bank_code: str, branch_code: str) -> Branch:
    """A branch by bank and 3-digit branch code; ``InvalidInput`` naming the bad code."""
    owner = bank(bank_code)
    _code(branch_code, 3, field="branch_code")
    found = zengin_code.Bank.all[bank_code].branches.get(branch_code)
    if found is None:
        raise InvalidInput(
            f"bank {bank_code} has no branch {branch_code}",
            field="branch_code",
            code="unknown_branch",
        )
    return Branch(
        bank=owner,
        code=branch_code,
        name=found.name,
        kana=to_zengin_kana(found.kana, field="branch_code"),
    )


def account_number(value: str) -> str:
    """An account number as Zengin writes it: up to 7 digits, zero-padded to 7."""
    if not 1 <= len(value) <= 7 or not _DIGITS.fullmatch(value):
        raise InvalidInput(
            "account_number must be 1 to 7 digits", field="account_number", code="malformed_code"
        )
    return value.zfill(7)
