"""The registry's use cases, each on a :class:`~mynumber.platform.uow.UnitOfWork` the
caller makes: register, change, delete one account per person; answer the hub for a paying
agency.

Every registration is checked before it is kept: bank and branch codes against the Zengin
list, the account number's format, the name as Zengin kana, and then the bank itself is
asked whether the account exists, is open and is held in the registrant's own name — a
family member's account is refused (the 2023 audit found ~130,000 such registrations).
The bank is asked before the unit of work opens: no transaction is held across the network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from mynumber import errors
from mynumber.orgs.accounts import handles, store
from mynumber.orgs.accounts.model import ITEM, REFUSALS, Account, AccountRefused, bank_org
from mynumber.platform.db import chunked, insert_ignoring_duplicates, listed, plain_rows
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

__all__ = [
    "BULK_FIELDS",
    "ITEM",
    "Account",
    "AccountRefused",
    "AccountRegistry",
    "AskBank",
    "Enrol",
    "account_of",
    "accounts_of",
    "bank_org",
]

#: The fields of an account in a bulk answer (一括情報提供), in the order of each person's
#: values: the columns of the answer, named once.
BULK_FIELDS = ("bank_code", "branch_code", "deposit_type", "number", "holder_kana")

#: Enrols My Numbers at J-LIS for the registry's own codes (None: not a current number).
Enrol = Callable[[list[str]], list[str | None]]
#: Asks a bank (by code) about an account: (bank code, body) → {"ok": …, "reason": …}.
AskBank = Callable[[str, dict[str, str]], dict[str, Any]]


class AccountRegistry:
    """The registry's use cases: J-LIS (through the hub) enrols numbers for its codes, the
    banks confirm accounts; the rows are in the caller's unit of work."""

    def __init__(self, *, enrol: Enrol, ask_bank: AskBank) -> None:
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

    def register(
        self, uow: UnitOfWork, code: str, account: Account, *, channel: str
    ) -> dict[str, Any]:
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

        uow.run(work)
        return self.show(uow, code)

    def change(
        self, uow: UnitOfWork, code: str, account: Account, *, channel: str
    ) -> dict[str, Any]:
        """Replace the registered account; :class:`errors.NotFound` if there is none."""
        self.confirm(account)
        r = store.registrations
        with uow as conn:
            holder = self._holder(conn, code, create=False)
            changed = conn.execute(
                r.update()
                .where(r.c.holder_id == holder)
                .values(**_columns(account), channel=channel, updated_at=datetime.now(UTC))
            ).rowcount
            if not changed:
                raise errors.NotFound("no account is registered", code="not_registered")
            uow.commit()
        return self.show(uow, code)

    def delete(self, uow: UnitOfWork, code: str, *, at_bank: str | None = None) -> None:
        """抹消. ``at_bank`` (a bank's organisation): only an account held at that bank, as
        at the bank counter register and change take only accounts held there."""
        r = store.registrations
        with uow as conn:
            holder = self._holder(conn, code, create=False)
            held = conn.execute(select(r.c.bank_code).where(r.c.holder_id == holder)).scalar()
            if held is None:
                raise errors.NotFound("no account is registered", code="not_registered")
            if at_bank is not None and bank_org(held) != at_bank:
                raise errors.Forbidden(
                    "a bank deletes accounts held at itself only", code="not_this_bank"
                )
            conn.execute(r.delete().where(r.c.holder_id == holder, r.c.bank_code == held))
            uow.commit()

    def show(self, uow: UnitOfWork, code: str) -> dict[str, Any]:
        """The registered account of the person behind ``code``; NotFound if none."""
        h, r = store.holders.c, store.registrations.c
        with uow as conn:
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

    def count(self, uow: UnitOfWork) -> int:
        """How many accounts are registered (for the health report)."""
        with uow as conn:
            return store.count_registrations(conn)

    def accounts_of(self, uow: UnitOfWork, codes: list[str]) -> dict[str, tuple[str, ...]]:
        """一括情報提供: the registered account of each code that has one, its values in the
        order of :data:`BULK_FIELDS`, in one statement (what a paying agency's bulk exchange
        asks for): the codes, in order, joined to the holders and their registrations."""
        h, r = store.holders.c, store.registrations.c
        with uow as conn:
            wanted = listed(conn, sorted(set(codes)))
            joined = wanted.outerjoin(store.holders, h.code == wanted.c.value).outerjoin(
                store.registrations, r.holder_id == h.id
            )
            rows = plain_rows(
                conn,
                select(
                    wanted.c.value,
                    *(r.bank_code, r.branch_code, r.deposit_type, r.account_number),
                    r.holder_kana,
                ).select_from(joined),
            )
            return {row[0]: row[1:] for row in rows if row[1] is not None}

    def register_demo(self, uow: UnitOfWork, entries: list[tuple[str, Account]]) -> int:
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

        return uow.run(work)


def _columns(account: Account) -> dict[str, str]:
    return {
        "bank_code": account.bank_code,
        "branch_code": account.branch_code,
        "deposit_type": account.deposit_type,
        "account_number": account.account_number,
        "holder_kana": account.holder_kana,
    }


def account_of(
    uow: UnitOfWork,
    *,
    registry: AccountRegistry,
    handle: handles.Handles,
    code: str,
    items: frozenset[str],
) -> dict[str, Any] | None:
    """情報提供: the registered account (None: not registered) and, for the portal's row
    only (the hub's table decides), a registration handle for the person."""
    try:
        shown = registry.show(uow, code)
    except errors.NotFound:
        if handles.ITEM not in items:
            return None
        shown = None
    data: dict[str, Any] = {}
    if ITEM in items:
        data[ITEM] = None
        if shown is not None:
            account = {k: v for k, v in shown.items() if k not in ("registered_at", "channel")}
            data[ITEM] = account | {"updated_at": shown["updated_at"].isoformat()}
    if handles.ITEM in items:
        data[handles.ITEM] = handle.issue(code)
    return data


def accounts_of(
    uow: UnitOfWork, *, registry: AccountRegistry, codes: list[str], items: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """一括情報提供 for a national payment: the account alone (no handle in bulk)."""
    if items != {ITEM}:
        raise errors.InvalidInput(f"a bulk request may ask for {ITEM} only", field="items")
    return registry.accounts_of(uow, codes)
