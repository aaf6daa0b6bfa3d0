"""The registry's use cases: register, change, delete one account per person; answer the
hub for a paying agency.

Every registration is checked before it is kept: bank and branch codes against the Zengin
list, the account number's format, the name as Zengin kana, and then the bank itself is
asked whether the account exists, is open and is held in the registrant's own name — a
family member's account is refused (the 2023 audit found ~130,000 such registrations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from mynumber import errors
from mynumber.orgs.accounts import store
from mynumber.payments import DepositType, account_number, bank, branch, to_zengin_kana
from mynumber.platform.db import chunked, insert_ignoring_duplicates, retrying
from mynumber.platform.ids import new_id

ITEM = "public_fund_account"
#: 預金種目 a public-fund account may be: 普通, 当座, 貯蓄 (domain-reference §10 codes).
ACCOUNT_TYPES = frozenset({DepositType.ORDINARY, DepositType.CURRENT, DepositType.SAVINGS})

#: Codes per statement of a bulk lookup (SQLite allows 32,766 parameters).
BULK_SLICE = 30_000

#: What the bank said, as the person reads it.
REFUSALS = {
    "no_such_account": "the bank has no such account",
    "account_closed": "the account is closed",
    "holder_name_mismatch": "the account is not held in the registrant's own name: "
    "a public-fund account must be the person's own (a family member's account, "
    "a parent's for a child, cannot be registered)",
}

#: Enrols My Numbers at J-LIS for the registry's own codes (None: not a current number).
Enrol = Callable[[list[str]], list[str | None]]
#: Asks a bank (by code) about an account: (bank code, body) → {"ok": …, "reason": …}.
AskBank = Callable[[str, dict[str, str]], dict[str, Any]]


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


class AccountRegistry:
    """The 公金受取口座 registry's use cases: one account per person, checked with the bank."""

    def __init__(self, *, engine: Engine, enrol: Enrol, ask_bank: AskBank) -> None:
        self.engine = engine
        self.enrol = enrol
        self.ask_bank = ask_bank

    # --- who ------------------------------------------------------------------------------

    def code_for(self, my_number: str) -> str:
        """The registry's own code for the holder of ``my_number`` (via J-LIS and the hub)."""
        (code,) = self.enrol([my_number])
        if code is None:
            raise errors.NotFound("not a current My Number", code="unknown_number")
        return code

    def _holder(self, conn: Connection, code: str, *, create: bool) -> str | None:
        if create:
            insert_ignoring_duplicates(
                conn,
                store.holders,
                [{"id": new_id(), "code": code, "enrolled_at": datetime.now(UTC)}],
            )
        found = conn.scalar(select(store.holders.c.id).where(store.holders.c.code == code))
        return None if found is None else str(found)

    # --- register, change, delete ---------------------------------------------------------

    def confirm(self, account: Account) -> None:
        """Ask the account's bank; raise :class:`AccountRefused` with the bank's reason."""
        answer = self.ask_bank(
            account.bank_code,
            {
                "branch_code": account.branch_code,
                "deposit_type": account.deposit_type,
                "account_number": account.account_number,
                "holder_kana": account.holder_kana,
            },
        )
        if not answer.get("ok"):
            reason = str(answer.get("reason") or "refused")
            raise AccountRefused(
                f"the account was not confirmed: {REFUSALS.get(reason, reason)}",
                field="account",
                code=reason,
            )

    def register(self, code: str, account: Account, *, channel: str) -> dict[str, Any]:
        """A first registration; :class:`errors.Conflict` if the person already has one."""
        self.confirm(account)
        now = datetime.now(UTC)

        def work(conn: Connection) -> None:
            holder = self._holder(conn, code, create=True)
            r = store.registrations
            if conn.scalar(select(r.c.holder_id).where(r.c.holder_id == holder)) is not None:
                raise errors.Conflict(
                    "an account is already registered: change it instead (one per person)",
                    code="already_registered",
                )
            conn.execute(
                r.insert().values(
                    holder_id=holder,
                    **_columns(account),
                    channel=channel,
                    registered_at=now,
                    updated_at=now,
                )
            )

        retrying(self.engine, work)
        return self.show(code)

    def change(self, code: str, account: Account, *, channel: str) -> dict[str, Any]:
        """Replace the registered account; :class:`errors.NotFound` if there is none."""
        self.confirm(account)
        r = store.registrations
        with self.engine.begin() as conn:
            holder = self._holder(conn, code, create=False)
            changed = conn.execute(
                r.update()
                .where(r.c.holder_id == holder)
                .values(**_columns(account), channel=channel, updated_at=datetime.now(UTC))
            ).rowcount
        if not changed:
            raise errors.NotFound("no account is registered", code="not_registered")
        return self.show(code)

    def delete(self, code: str, *, at_bank: str | None = None) -> None:
        """抹消. ``at_bank`` (a bank's organisation): only an account held at that bank, as
        at the bank counter register and change take only accounts held there."""
        r = store.registrations
        with self.engine.begin() as conn:
            holder = self._holder(conn, code, create=False)
            held = conn.execute(select(r.c.bank_code).where(r.c.holder_id == holder)).scalar()
            if held is None:
                raise errors.NotFound("no account is registered", code="not_registered")
            if at_bank is not None and bank_org(held) != at_bank:
                raise errors.Forbidden(
                    "a bank deletes accounts held at itself only", code="not_this_bank"
                )
            conn.execute(r.delete().where(r.c.holder_id == holder, r.c.bank_code == held))

    def show(self, code: str) -> dict[str, Any]:
        """The registered account of the person behind ``code``; NotFound if none."""
        h, r = store.holders.c, store.registrations.c
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(store.registrations)
                    .join_from(store.registrations, store.holders, r.holder_id == h.id)
                    .where(h.code == code)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise errors.NotFound("no account is registered", code="not_registered")
        account = Account(
            row["bank_code"],
            row["branch_code"],
            row["deposit_type"],
            row["account_number"],
            row["holder_kana"],
        )
        return account.public() | {
            "channel": row["channel"],
            "registered_at": row["registered_at"],
            "updated_at": row["updated_at"],
        }

    def accounts_of(self, codes: list[str]) -> dict[str, dict[str, str]]:
        """一括情報提供: the registered account of each code that has one, in one join per
        slice of codes (what a paying agency's bulk exchange asks for)."""
        h, r = store.holders.c, store.registrations.c
        query = select(
            h.code, r.bank_code, r.branch_code, r.deposit_type, r.account_number, r.holder_kana
        ).join_from(store.registrations, store.holders, r.holder_id == h.id)
        found: dict[str, dict[str, str]] = {}
        with self.engine.connect() as conn:
            for part in chunked(codes, BULK_SLICE):
                for code, bank_code, branch_code, kind, number, kana in conn.execute(
                    query.where(h.code.in_(part))
                ):
                    found[code] = {
                        "bank_code": bank_code,
                        "branch_code": branch_code,
                        "deposit_type": kind,
                        "number": number,
                        "holder_kana": kana,
                    }
        return found

    def register_demo(self, entries: list[tuple[str, Account]]) -> int:
        """Seeding only: register accounts the demo banks have just opened in each holder's
        own name (so the bank round trip is skipped); numbers enrolled in bulk."""
        numbers = [n for n, _ in entries]
        codes: list[str | None] = []
        for part in chunked(numbers, 10_000):
            codes.extend(self.enrol(part))
        known = [(c, a) for c, (_, a) in zip(codes, entries, strict=True) if c is not None]
        if not known:
            return 0
        now = datetime.now(UTC)

        def work(conn: Connection) -> int:
            insert_ignoring_duplicates(
                conn,
                store.holders,
                [{"id": new_id(), "code": c, "enrolled_at": now} for c, _ in known],
            )
            ids: dict[str, str] = {}
            for part in chunked([c for c, _ in known]):
                ids.update(
                    conn.execute(
                        select(store.holders.c.code, store.holders.c.id).where(
                            store.holders.c.code.in_(part)
                        )
                    ).all()
                )
            rows = {
                ids[c]: {
                    "holder_id": ids[c],
                    **_columns(a),
                    "channel": "demo",
                    "registered_at": now,
                    "updated_at": now,
                }
                for c, a in known
            }
            insert_ignoring_duplicates(conn, store.registrations, list(rows.values()))
            return len(rows)

        return retrying(self.engine, work)


def _columns(account: Account) -> dict[str, str]:
    return {
        "bank_code": account.bank_code,
        "branch_code": account.branch_code,
        "deposit_type": account.deposit_type,
        "account_number": account.account_number,
        "holder_kana": account.holder_kana,
    }


def bank_org(code: str) -> str:
    """The organisation of bank ``code`` (``bank-0001``)."""
    return f"bank-{bank(code).code}"
