"""The linkage hub (``/hub``): its web API, composed here from :mod:`.web` (routes),
:mod:`.services`, :mod:`.bulk` and :mod:`.deliveries` (use cases), :mod:`.store` (tables).

- ``POST /codes`` (J-LIS only): agency codes for 取得番号, in bulk;
- ``POST /exchanges`` (any agency, signed): relay a permitted exchange;
- ``POST /exchanges/bulk`` (any agency, signed): the same for up to 10^5 people at once;
- ``POST /api/deliveries`` (any agency, signed): deliver a sealed notice, application or
  decision to another organisation (see ``deliveries``);
- ``GET /permitted`` (anyone): the permitted-exchange table;
- ``POST /records``, ``POST /records/export`` (an agency or the portal, presenting its own
  code for the person): the person's やりとり履歴;
- ``GET /log/head`` (anyone) and ``GET /log`` (the hub's operator, staff ``log.verify``):
  the hash chain.

The permitted-exchange table is shipped with the code (like the law's 別表第二): changing it
is a release, not a route (this project's choice), so no route changes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from mynumber.orgs.hub import bulk, web
from mynumber.orgs.hub.agency_codes import CodeScheme
from mynumber.orgs.hub.clients import Forwarder
from mynumber.orgs.hub.deliveries import Deliveries
from mynumber.orgs.hub.model import ORG, ROLES
from mynumber.orgs.hub.services import Hub
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.http import PROVIDE_DEADLINE
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app

#: How long the hub waits for a provider's intermediate server (shorter than its caller's).
PROVIDER_TIMEOUT = PROVIDE_DEADLINE
#: How long the hub waits for a recipient to take a delivery (up to 10,000 messages).
RECIPIENT_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class HubServices(OrgServices):
    """The hub's services, as the federation and the tests reach them."""

    hub: Hub
    deliveries: Deliveries


def create_app(ctx: OrgContext) -> FastAPI:
    """The hub: its database and code key, its services and forwarder, its routes."""
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.hub.migrations")
    scheme = CodeScheme(secret_bytes(ctx.settings.data_dir / "hub" / "codes.key"))

    forwarder = Forwarder(ctx.directory, ctx.identity)

    # the deadlines are read at each call, so a test (or an operator's patch) can move them
    def forward(provider: str, body: dict[str, Any]) -> Any:
        return forwarder.provide(provider, body, timeout=PROVIDER_TIMEOUT)

    def forward_bulk(provider: str, body: dict[str, Any]) -> Any:
        return forwarder.provide_bulk(provider, body, timeout=bulk.PROVIDER_TIMEOUT)

    def forward_delivery(recipient: str, body: dict[str, Any]) -> Any:
        return forwarder.deliver(recipient, body, timeout=RECIPIENT_TIMEOUT)

    hub = Hub(scheme=scheme, forward=forward)
    deliveries = Deliveries(hub=hub, forward=forward_delivery)

    app = new_app(
        title="情報提供ネットワークシステム (linkage hub)",
        description="Agency codes, the permitted-exchange table, the relay of sealed answers, "
        "and the hash-chained record of every exchange. Never a My Number, never the data.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(
        web.router(
            hub=hub,
            deliveries=deliveries,
            relay_bulk=bulk.BulkRelay(hub, forward_bulk),
            staff=staff,
        )
    )
    expose(
        app,
        HubServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: web.health(hub, UnitOfWork(engine)),
            hub=hub,
            deliveries=deliveries,
        ),
    )
    return app
