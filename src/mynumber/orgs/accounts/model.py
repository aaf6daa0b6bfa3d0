"""The account registry's plain rules: what a public-fund account may be, which bank holds
it, and the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from dataclasses import dataclass

from mynumber import errors
from mynumber.payments import DepositType, account_number, bank, branch, to_zengin_kana
from mynumber.platform.staff.model import Role, Roles

#: 運用担当: looks after registrations (demo seeding, corrections).
ROLES = Roles.of(
    Role("operator", "運用担当 (registry operator)", frozenset({"accounts.register"})),
)

ITEM = "public_fund_account"
#: 預金種目 a public-fund account may be: 普通, 当座, 貯蓄 (domain-reference §10 codes).
ACCOUNT_TYPES = frozenset({DepositType.ORDINARY, DepositType.CURRENT, DepositType.SAVINGS})

#: What the bank said, as the person reads it.
REFUSALS = {
    "no_such_account": "the bank has no such account",
    "account_closed": "the account is closed",
    "holder_name_mismatch": "the account is not held in the registrant's own name: "
    "a public-fund account must be the person's own (a family member's account, "
    "a parent's for a child, cannot be registered)",
}


class AccountRefused(errors.InvalidInput):
    """The bank did not confirm the account; ``code`` says why."""


@dataclass(frozen=True, slots=True)
class Account:
    """A public-fund account as registered: checked codes, the holder's Zengin kana."""

    bank_code: str
    branch_code: str
    deposit_type: str
    account_number: str
    holder_kana: str = ""

    @classmethod
    def checked(
        cls,
        *,
        bank_code: str,
        branch_code: str,
        deposit_type: str,
        number: str,
        holder_kana: str,
    ) -> Account:
        branch(bank_code, branch_code)  # raises naming bank_code or branch_code
        try:
            kind = DepositType(deposit_type)
        except ValueError:
            kind = DepositType.OTHER
        if kind not in ACCOUNT_TYPES:
            raise errors.InvalidInput(
                "deposit_type must be 1 (普通), 2 (当座) or 4 (貯蓄)",
                field="deposit_type",
                code="malformed_code",
            )
        name = to_zengin_kana(holder_kana, field="holder_kana").strip()
        if not name or len(name) > 30:
            raise errors.InvalidInput("holder_kana must be 1 to 30 kana", field="holder_kana")
        return cls(bank_code, branch_code, kind.value, account_number(number), name)

    def public(self) -> dict[str, str]:
        b = branch(self.bank_code, self.branch_code)
        return {
            "bank_code": self.bank_code,
            "bank_name": b.bank.name,
            "branch_code": self.branch_code,
            "branch_name": b.name,
            "deposit_type": self.deposit_type,
            "account_number": self.account_number,
            "holder_kana": self.holder_kana,
        }


def bank_org(code: str) -> str:
    """The organisation of bank ``code`` (``bank-0001``)."""
    return f"bank-{bank(code).code}"


def at_bank(caller: str, account: Account) -> Account:
    """The account, if it is held at the bank ``caller`` (a bank registers only its own)."""
    if bank_org(account.bank_code) != caller:
        raise errors.Forbidden(
            "a bank registers accounts held at itself only", code="not_this_bank"
        )
    return account
