"""The 公金受取口座 registry (``/accounts``, Digital Agency).

- ``POST /api/bank-counter/{register,change,delete}`` (a bank, signed): at the counter, with
  the My Number in the body as the real counter route does; the account registered, changed
  to or deleted must be at that bank;
- ``POST /api/portal/{register,change,delete}`` (Mynaportal, signed): for the person logged
  in, identified by a registration handle the portal got through the hub
  (:mod:`mynumber.orgs.accounts.handles`), never by a code of the portal's or a My Number;
- ``POST /intermediate/provide`` (the hub only): a paying agency's request for the person's
  ``public_fund_account``, sealed to it — agencies never ask by My Number;
- ``POST /intermediate/provide-bulk`` (the hub only): the same for up to 10^5 people at once
  (a benefit run), in columns: ``{"fields": ["bank_code", "branch_code", "deposit_type",
  "number", "holder_kana"], "results": [[value, …] | null, …]}``, the rows in the order of
  the codes, sealed to the paying agency.

Every route is signed by the organisation it serves, except ``GET /healthz`` (public); the
registry has no staff route (its operator role is kept for corrections to come).

The registry keeps its own agency code for each person (enrolled through J-LIS and the hub),
never a My Number. Nothing here, or at any bank, offers a balance or a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.accounts import handles, web
from mynumber.orgs.accounts.clients import Banks
from mynumber.orgs.accounts.model import ROLES
from mynumber.orgs.accounts.services import ITEM, AccountRegistry
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app

ORG = "accounts"


@dataclass(frozen=True, slots=True)
class AccountServices(OrgServices):
    """The account registry's services, as the federation and the tests reach them."""

    registry: AccountRegistry


def create_app(ctx: OrgContext) -> FastAPI:
    """The registry: its database, its services and clients, its routes (:mod:`.web`)."""
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.accounts.migrations")
    server = IntermediateServer.of(ctx, frozenset({ITEM, handles.ITEM}))

    def enrol(numbers: list[str]) -> list[str | None]:
        codes = server.codes(numbers)
        return [codes[n] for n in numbers]

    def unit() -> UnitOfWork:  # a unit of work for what runs outside a request's
        return UnitOfWork(engine)

    registry = AccountRegistry(enrol=enrol, ask_bank=Banks(ctx).ask)
    handle = handles.Handles(secret_bytes(ctx.settings.data_dir / ORG / "handle.key"))

    app = new_app(
        title="公金受取口座登録システム (public-fund account registry)",
        description="デジタル庁: one account per person, in the person's own name, checked "
        "with the bank; paying agencies get it through the linkage hub, never by My Number.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(
        web.router(ctx, registry=registry, handle=handle, server=server, staff=staff, unit=unit)
    )
    expose(
        app,
        AccountServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: web.health(unit(), registry),
            registry=registry,
        ),
    )
    return app
