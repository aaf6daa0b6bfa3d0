"""A bank's accounts: the back office and the counter open and close them, and a signed
caller asks whether one exists, is open and is held by a name (口座名義の確認). Each use
case works in the :class:`~mynumber.platform.uow.UnitOfWork` its caller gives."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.orgs.bank.model import CLOSED, NAME_MISMATCH, NO_SUCH_ACCOUNT, Verdict, same_name
from mynumber.payments import DepositType, account_number, bank, branch, to_zengin_kana
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork


class Bank:
    """One bank's accounts (in the caller's unit of work on the bank's database)."""

    def __init__(self, *, code: str) -> None:
        self.code = bank(code).code

    def _key(self, branch_code: str, deposit_type: str, number: str) -> tuple[str, str, str]:
        branch(self.code, branch_code)
        return branch_code, DepositType(deposit_type).value, account_number(number)

    def _row(self, a: dict[str, str], now: datetime) -> dict[str, Any]:
        number = a.get("account_number") or f"{secrets.randbelow(10**7):07d}"
        br, kind, number = self._key(a["branch_code"], a.get("deposit_type", "1"), number)
        return {
            "id": new_id(),
            "branch_code": br,
            "deposit_type": kind,
            "number": number,
            "holder_kana": to_zengin_kana(a["holder_kana"], field="holder_kana")[:30],
            "status": "open",
            "opened_at": now,
            "closed_at": None,
        }

    def open_accounts(self, uow: UnitOfWork, accounts: list[dict[str, str]]) -> list[str]:
        """The back office opens accounts (``branch_code``, ``deposit_type``, ``holder_kana``
        and optionally ``account_number``, else one is drawn); returns their numbers."""
        now = datetime.now(UTC)
        rows = [self._row(a, now) for a in accounts]
        if rows:
            uow.run(lambda conn: conn.execute(store.accounts.insert(), rows))
        return [r["number"] for r in rows]

    def open_account(self, uow: UnitOfWork, account: dict[str, str]) -> dict[str, Any]:
        """A clerk opens one account; its row. A number already in use is a conflict."""
        row = self._row(account, datetime.now(UTC))
        try:
            with uow as conn:
                conn.execute(store.accounts.insert(), row)
                uow.commit()
        except IntegrityError:
            raise errors.Conflict(
                "this account number is already in use at this branch", code="account_exists"
            ) from None
        return row

    def open_many(self, uow: UnitOfWork, accounts: list[dict[str, str]]) -> list[dict[str, Any]]:
        """The back office opens accounts in one transaction; their rows. A number already
        in use (or given twice) is a conflict and nothing is opened."""
        now = datetime.now(UTC)
        rows = [self._row(a, now) for a in accounts]
        try:
            with uow as conn:
                conn.execute(store.accounts.insert(), rows)
                uow.commit()
        except IntegrityError:
            raise errors.Conflict(
                "an account number is already in use at its branch", code="account_exists"
            ) from None
        return rows

    def close_account(
        self, uow: UnitOfWork, branch_code: str, deposit_type: str, number: str
    ) -> str:
        """Close an account; the bank's id for it."""
        br, kind, number = self._key(branch_code, deposit_type, number)
        a = store.accounts.c
        where = (a.branch_code == br, a.deposit_type == kind, a.number == number)
        with uow as conn:
            found = conn.scalar(select(a.id).where(*where))
            if found is None:
                raise errors.NotFound("no such account", code=NO_SUCH_ACCOUNT)
            conn.execute(
                update(store.accounts)
                .where(*where, a.status == "open")
                .values(status="closed", closed_at=datetime.now(UTC))
            )
            uow.commit()
        return str(found)

    def verify(
        self, uow: UnitOfWork, *, branch_code: str, deposit_type: str, number: str, holder_kana: str
    ) -> Verdict:
        """口座名義の確認: exists, open, held by this name — or which of these fails."""
        br, kind, number = self._key(branch_code, deposit_type, number)
        name = to_zengin_kana(holder_kana, field="holder_kana")
        a = store.accounts.c
        with uow as conn:
            row = conn.execute(
                select(a.status, a.holder_kana).where(
                    a.branch_code == br, a.deposit_type == kind, a.number == number
                )
            ).first()
        if row is None:
            return Verdict(False, NO_SUCH_ACCOUNT)
        if row.status != "open":
            return Verdict(False, CLOSED)
        if not same_name(row.holder_kana, name):
            return Verdict(False, NAME_MISMATCH)
        return Verdict(True)

    def count(self, uow: UnitOfWork) -> int:
        """How many accounts the bank keeps (for the health report)."""
        with uow as conn:
            return int(conn.scalar(select(func.count()).select_from(store.accounts)) or 0)
