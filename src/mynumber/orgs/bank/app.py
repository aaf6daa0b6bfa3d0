"""A bank (``/bank/<code>``): its accounts, and one question it answers for signed callers —
``POST /api/accounts/verify``: does this account exist, is it open, is it held by this name?
Payers send it 総合振込 files (``POST /api/transfers``, :mod:`mynumber.orgs.bank.transfers`)
and get a result file back; as paying bank it forwards records addressed to other banks
over the Zengin network, and as receiving bank it credits the records other paying banks
forward to it (``POST /api/zengin/credits``, :mod:`mynumber.orgs.bank.credits`).

The answer is yes or no and why not (口座名義の確認). There is deliberately no route for a
balance or a transaction (domain-reference §7.1: the government never learns them); accounts
are opened and closed by the bank's own back office (:class:`Bank`), not over this API.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select, update

from mynumber import errors
from mynumber.orgs.bank import credits, store, transfers
from mynumber.orgs.bank.model import ROLES
from mynumber.orgs.bank.network import ZenginNetwork
from mynumber.payments import DepositType, account_number, bank, branch, to_zengin_kana
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate, retrying
from mynumber.platform.ids import new_id
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, signed_by

#: Why a verification said no (machine-readable, shown to the registering person).
NO_SUCH_ACCOUNT = "no_such_account"
CLOSED = "account_closed"
NAME_MISMATCH = "holder_name_mismatch"


def org_name(code: str) -> str:
    """``0001`` → ``bank-0001`` (served at ``/bank/0001``)."""
    return f"bank-{bank(code).code}"


def same_name(a: str, b: str) -> bool:
    """Two holder names in Zengin kana are the same name (spaces between names ignored)."""
    return a.replace(" ", "") == b.replace(" ", "")


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str | None = None


class VerifyIn(BaseModel):
    branch_code: str = Field(max_length=3)
    deposit_type: str = Field(max_length=1)
    account_number: str = Field(max_length=7)
    holder_kana: str = Field(max_length=60, repr=False)


class VerifyOut(BaseModel):
    ok: bool = Field(description="the account exists, is open and is held by this name")
    reason: str | None = Field(
        default=None, description=f"why not: {NO_SUCH_ACCOUNT}, {CLOSED} or {NAME_MISMATCH}"
    )


class Bank:
    """One bank's accounts over its own database."""

    def __init__(self, *, engine: Engine, code: str) -> None:
        self.engine = engine
        self.code = bank(code).code

    def _key(self, branch_code: str, deposit_type: str, number: str) -> tuple[str, str, str]:
        branch(self.code, branch_code)
        return branch_code, DepositType(deposit_type).value, account_number(number)

    def open_accounts(self, accounts: list[dict[str, str]]) -> list[str]:
        """The back office opens accounts (``branch_code``, ``deposit_type``, ``holder_kana``
        and optionally ``account_number``, else one is drawn); returns their numbers."""
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        for a in accounts:
            number = a.get("account_number") or f"{secrets.randbelow(10**7):07d}"
            br, kind, number = self._key(a["branch_code"], a.get("deposit_type", "1"), number)
            rows.append(
                {
                    "id": new_id(),
                    "branch_code": br,
                    "deposit_type": kind,
                    "number": number,
                    "holder_kana": to_zengin_kana(a["holder_kana"], field="holder_kana")[:30],
                    "status": "open",
                    "opened_at": now,
                    "closed_at": None,
                }
            )
        if rows:
            retrying(self.engine, lambda conn: conn.execute(store.accounts.insert(), rows))
        return [r["number"] for r in rows]

    def close_account(self, branch_code: str, deposit_type: str, number: str) -> None:
        br, kind, number = self._key(branch_code, deposit_type, number)
        a = store.accounts.c
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(store.accounts)
                .where(a.branch_code == br, a.deposit_type == kind, a.number == number)
                .values(status="closed", closed_at=datetime.now(UTC))
            ).rowcount
        if not changed:
            raise errors.NotFound("no such account", code=NO_SUCH_ACCOUNT)

    def verify(self, body: VerifyIn) -> Verdict:
        """口座名義の確認: exists, open, held by this name — or which of these fails."""
        br, kind, number = self._key(body.branch_code, body.deposit_type, body.account_number)
        name = to_zengin_kana(body.holder_kana, field="holder_kana")
        a = store.accounts.c
        with self.engine.connect() as conn:
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


def create_app(ctx: OrgContext, code: str) -> FastAPI:
    info = bank(code)
    org = org_name(code)
    engine = create_org_engine(ctx.settings, org)
    migrate(engine, "mynumber.orgs.bank.migrations")
    service = Bank(engine=engine, code=code)
    signed = Depends(signed_by(lambda caller: caller != org))
    app = new_app(
        title=f"{info.name}銀行 ({info.code})",
        description="A bank: it answers only whether an account exists, is open and is held "
        "by a name, and receives 総合振込 files and the Zengin network's credits. No balance "
        "and no transaction is ever offered.",
    )

    @app.post("/api/accounts/verify", response_model=VerifyOut)
    def verify(body: VerifyIn, _: Annotated[str, signed]) -> VerifyOut:
        """口座確認 (signed callers only): yes, or no and why not."""
        verdict = service.verify(body)
        return VerifyOut(ok=verdict.ok, reason=verdict.reason)

    credited = credits.Credits(engine=engine, code=code)
    intake = transfers.Transfers(engine=engine, credits=credited, network=ZenginNetwork(ctx))
    app.include_router(transfers.router(ctx, intake), prefix="/api")
    app.include_router(credits.router(ctx, credited), prefix="/api")

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.accounts))
        return {"org": org, "ok": True, "accounts": count}

    app.state.engine = engine
    app.state.bank = service
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app
