"""The benefit office (``/benefits``), composed here; its routes (:mod:`.web`) are thin —
parse, one call, schema.

- staff (signed in, by role): ``POST /api/programmes`` (planner), ``POST
  /api/programmes/{id}/approve`` (approver, not the maker), ``POST
  /api/programmes/{id}/run`` (planner; a round in the background, approved programmes only),
  ``GET /api/programmes`` and ``GET /api/programmes/{id}/status`` (either role);
- ``GET /api/programmes/{id}`` (Mynaportal, signed): what the portal shows a resident;
- ``POST /api/deliveries`` (the hub only): one-click applications from Mynaportal;
- staff pages ``/`` and ``/programmes/{id}`` (either role): programmes, and a run as it
  goes (phase, counts, files, results; the page refreshes itself), with an approve button;
- ``/healthz`` (public).

What staff make, approve and run is recorded in the office's access log. A route's use
case works in the request's unit of work; what runs outside a request (a delivery's
receiver, the health report, a run's many short steps) gets its units from ``unit`` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.benefits import web
from mynumber.orgs.benefits.clients import APPLICATION_PROCEDURE, Clients
from mynumber.orgs.benefits.model import ORG, ROLES
from mynumber.orgs.benefits.run import PaymentRun, Rounds
from mynumber.orgs.benefits.services import BenefitApplications, Programmes
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Answer, Receivers
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app

TITLE = "給付金事務局 (Benefit Office, demo)"


@dataclass(frozen=True, slots=True)
class BenefitServices(OrgServices):
    """The benefit office's services, as the federation and the tests reach them."""

    programmes: Programmes
    runner: PaymentRun
    clients: Clients


def create_app(ctx: OrgContext) -> FastAPI:
    """The office: its database, services and clients, the receiver of applications, its
    routes."""
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.benefits.migrations")

    def unit() -> UnitOfWork:  # a unit of work for what runs outside a request's
        return UnitOfWork(engine)

    clients = Clients(ctx)
    programmes = Programmes(served=ctx.settings.municipalities)
    applications = BenefitApplications()
    runner = PaymentRun(
        units=unit,
        clients=clients,
        folder=ctx.settings.data_dir / ORG / "files",
        number_key=secret_bytes(ctx.settings.data_dir / ORG / "number.key"),
    )

    receivers = Receivers(org=ORG, keys=clients.keys)
    receivers[APPLICATION_PROCEDURE] = lambda d: Answer(
        accepted=applications.receive(unit(), d.delivery_id, d.codes, d.messages)
    )

    app = new_app(
        title=TITLE,
        description="A designated public benefit (特定公的給付) paid push-type: eligibility "
        "from the municipalities, accounts through the linkage hub, Zengin 総合振込 files "
        "to each bank, notices through Mynaportal.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(
        web.router(
            ctx,
            programmes=programmes,
            rounds=Rounds(runner),
            receivers=receivers,
            staff=staff,
        )
    )
    expose(
        app,
        BenefitServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: web.health(programmes, unit()),
            programmes=programmes,
            runner=runner,
            clients=clients,
        ),
    )
    return app
