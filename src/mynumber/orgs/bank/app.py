"""A bank (``/bank/<code>``): its accounts, and one question it answers for signed callers —
``POST /api/accounts/verify``: does this account exist, is it open, is it held by this name?
Payers send it 総合振込 files (``POST /api/transfers``, :mod:`.services.transfers`) and get
a result file back; as paying bank it forwards records addressed to other banks over the
Zengin network, and as receiving bank it credits the records other paying banks
forward to it (``POST /api/zengin/credits``, :mod:`.services.credits`).

The answer is yes or no and why not (口座名義の確認). There is deliberately no route for a
balance or a transaction (domain-reference §7.1: the government never learns them). The
bank's own clerks, signed in with their card, open and close accounts at the counter
(``POST /api/accounts``, ``POST /api/accounts/close``; recorded in the bank's access log
under the account's id, the bank's own key for its holder). ``GET /healthz`` is public.

The routes are in :mod:`.web`, the use cases in :mod:`.services`, the tables in
:mod:`.store`, the rules in :mod:`.model`; this module composes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.bank import web
from mynumber.orgs.bank.clients import ZenginNetwork
from mynumber.orgs.bank.model import ROLES, org_name
from mynumber.orgs.bank.services import Bank, Credits, Transfers
from mynumber.payments import bank
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app

__all__ = ["Bank", "create_app", "org_name"]


@dataclass(frozen=True, slots=True)
class BankServices(OrgServices):
    """A bank's services, as the federation and the tests reach them."""

    bank: Bank


def create_app(ctx: OrgContext, code: str) -> FastAPI:
    """Bank ``code``: its database, its services and the Zengin network, its routes."""
    info = bank(code)
    engine = create_org_engine(ctx.settings, org_name(code))
    migrate(engine, "mynumber.orgs.bank.migrations")
    accounts = Bank(code=code)
    credits = Credits(code=code)
    transfers = Transfers(credits=credits, network=ZenginNetwork(ctx))
    app = new_app(
        title=f"{info.name}銀行 ({info.code})",
        description="A bank: it answers only whether an account exists, is open and is held "
        "by a name, and receives 総合振込 files and the Zengin network's credits. No balance "
        "and no transaction is ever offered.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(web.router(bank=accounts, credits=credits, transfers=transfers, staff=staff))
    expose(
        app,
        BankServices(
            org=org_name(code),
            engine=engine,
            staff=staff,
            health=lambda: web.health(UnitOfWork(engine), accounts),
            bank=accounts,
        ),
    )
    return app
