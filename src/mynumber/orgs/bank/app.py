"""A bank (``/bank/<code>``): its accounts, and one question it answers for signed callers —
``POST /api/accounts/verify``: does this account exist, is it open, is it held by this name?
Payers send it 総合振込 files (``POST /api/transfers``, :mod:`mynumber.orgs.bank.transfers`)
and get a result file back; as paying bank it forwards records addressed to other banks
over the Zengin network, and as receiving bank it credits the records other paying banks
forward to it (``POST /api/zengin/credits``, :mod:`mynumber.orgs.bank.credits`).

The answer is yes or no and why not (口座名義の確認). There is deliberately no route for a
balance or a transaction (domain-reference §7.1: the government never learns them). The
bank's own clerks, signed in with their card, open and close accounts at the counter
(``POST /api/accounts``, ``POST /api/accounts/close``; recorded in the bank's access log
under the account's id, the bank's own key for its holder); its back office opens many at
once (``POST /api/accounts/bulk``, the demo seeding). ``GET /healthz`` is public.
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
from sqlalchemy.exc import IntegrityError

from mynumber import errors
from mynumber.orgs.bank import credits, store, transfers
from mynumber.orgs.bank.deps import Clerk, Closer
from mynumber.orgs.bank.model import ROLES
from mynumber.orgs.bank.network import ZenginNetwork
from mynumber.payments import DepositType, account_number, bank, branch, to_zengin_kana
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate, retrying
from mynumber.platform.ids import new_id
from mynumber.platform.policy import public
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


class OpenIn(BaseModel):
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    deposit_type: str = Field(
        default="1", pattern=r"^[1249]$", description="1 普通, 2 当座, 4 貯蓄"
    )
    account_number: str | None = Field(
        default=None, pattern=r"^[0-9]{1,7}$", description="drawn by the bank when left out"
    )
    holder_kana: str = Field(min_length=1, max_length=60, repr=False)


class OpenedOut(BaseModel):
    id: str = Field(description="the bank's own id for the account")
    branch_code: str
    deposit_type: str
    account_number: str
    holder_kana: str


class OpenManyIn(BaseModel):
    accounts: list[OpenIn] = Field(min_length=1, max_length=10_000)


class OpenedManyOut(BaseModel):
    accounts: list[OpenedOut]


class CloseIn(BaseModel):
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    deposit_type: str = Field(pattern=r"^[1249]$")
    account_number: str = Field(pattern=r"^[0-9]{1,7}$")


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

    def open_accounts(self, accounts: list[dict[str, str]]) -> list[str]:
        """The back office opens accounts (``branch_code``, ``deposit_type``, ``holder_kana``
        and optionally ``account_number``, else one is drawn); returns their numbers."""
        now = datetime.now(UTC)
        rows = [self._row(a, now) for a in accounts]
        if rows:
            retrying(self.engine, lambda conn: conn.execute(store.accounts.insert(), rows))
        return [r["number"] for r in rows]

    def open_account(self, account: dict[str, str]) -> dict[str, Any]:
        """A clerk opens one account; its row. A number already in use is a conflict."""
        row = self._row(account, datetime.now(UTC))
        try:
            with self.engine.begin() as conn:
                conn.execute(store.accounts.insert(), row)
        except IntegrityError:
            raise errors.Conflict(
                "this account number is already in use at this branch", code="account_exists"
            ) from None
        return row

    def open_many(self, accounts: list[dict[str, str]]) -> list[dict[str, Any]]:
        """The back office opens accounts in one transaction; their rows. A number already
        in use (or given twice) is a conflict and nothing is opened."""
        now = datetime.now(UTC)
        rows = [self._row(a, now) for a in accounts]
        try:
            with self.engine.begin() as conn:
                conn.execute(store.accounts.insert(), rows)
        except IntegrityError:
            raise errors.Conflict(
                "an account number is already in use at its branch", code="account_exists"
            ) from None
        return rows

    def close_account(self, branch_code: str, deposit_type: str, number: str) -> str:
        """Close an account; the bank's id for it."""
        br, kind, number = self._key(branch_code, deposit_type, number)
        a = store.accounts.c
        where = (a.branch_code == br, a.deposit_type == kind, a.number == number)
        with self.engine.begin() as conn:
            found = conn.scalar(select(a.id).where(*where))
            if found is None:
                raise errors.NotFound("no such account", code=NO_SUCH_ACCOUNT)
            conn.execute(
                update(store.accounts)
                .where(*where, a.status == "open")
                .values(status="closed", closed_at=datetime.now(UTC))
            )
        return str(found)

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
    signed = Depends(signed_by(lambda caller: caller != org, who="another organisation"))
    app = new_app(
        title=f"{info.name}銀行 ({info.code})",
        description="A bank: it answers only whether an account exists, is open and is held "
        "by a name, and receives 総合振込 files and the Zengin network's credits. No balance "
        "and no transaction is ever offered.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)

    @app.post("/api/accounts", response_model=OpenedOut, status_code=201, tags=["counter"])
    def open_account(body: OpenIn, acting: Clerk) -> OpenedOut:
        """口座開設 at the counter (a clerk): the number is drawn unless given."""
        row = service.open_account(body.model_dump(exclude_none=True))
        staff.log(acting, action="accounts.open", purpose="counter", person=row["id"])
        return OpenedOut(
            id=row["id"],
            branch_code=row["branch_code"],
            deposit_type=row["deposit_type"],
            account_number=row["number"],
            holder_kana=row["holder_kana"],
        )

    @app.post("/api/accounts/bulk", response_model=OpenedManyOut, status_code=201, tags=["counter"])
    def open_accounts(body: OpenManyIn, acting: Clerk) -> OpenedManyOut:
        """口座開設 by the back office, many at once, all or none (numbers drawn unless given)."""
        rows = service.open_many([a.model_dump(exclude_none=True) for a in body.accounts])
        with staff.unit_of_work() as conn:
            for row in rows:
                staff.record(
                    conn,
                    actor=acting.session,
                    role=acting.role,
                    action="accounts.open",
                    purpose="counter",
                    person=row["id"],
                )
        return OpenedManyOut(
            accounts=[
                OpenedOut(
                    id=row["id"],
                    branch_code=row["branch_code"],
                    deposit_type=row["deposit_type"],
                    account_number=row["number"],
                    holder_kana=row["holder_kana"],
                )
                for row in rows
            ]
        )

    @app.post("/api/accounts/close", status_code=204, tags=["counter"])
    def close_account(body: CloseIn, acting: Closer) -> None:
        """解約 at the counter (a clerk): the account stays on file, closed."""
        closed = service.close_account(body.branch_code, body.deposit_type, body.account_number)
        staff.log(acting, action="accounts.close", purpose="counter", person=closed)

    @app.post("/api/accounts/verify", response_model=VerifyOut)
    def verify(body: VerifyIn, _: Annotated[str, signed]) -> VerifyOut:
        """口座確認 (signed callers only): yes, or no and why not."""
        verdict = service.verify(body)
        return VerifyOut(ok=verdict.ok, reason=verdict.reason)

    credited = credits.Credits(engine=engine, code=code)
    intake = transfers.Transfers(engine=engine, credits=credited, network=ZenginNetwork(ctx))
    app.include_router(transfers.router(ctx, intake), prefix="/api")
    app.include_router(credits.router(ctx, credited), prefix="/api")

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.accounts))
        return {"org": org, "ok": True, "accounts": count}

    app.state.engine = engine
    app.state.bank = service
    app.state.health = healthz
    return app
