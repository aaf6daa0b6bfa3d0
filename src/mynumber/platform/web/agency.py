"""A provider agency's app: its intake route, the intermediate server's route, notices and
health, the same for every agency (see :mod:`mynumber.platform.agency`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from pydantic import Field, create_model

from mynumber.platform.agency import MAX_INTAKE, Agency, ProviderAgency
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app
from mynumber.platform.web.intermediate import provide_router
from mynumber.platform.web.notices import notices_router
from mynumber.platform.web.uow import Work


@dataclass(frozen=True, slots=True)
class AgencyServices(OrgServices):
    """A provider agency's services: the agency (its intake and its intermediate server)."""

    agency: ProviderAgency


def intake_router(agency: ProviderAgency, staff: Staff) -> APIRouter:
    """The agency's intake route: its intake staff (``records.intake``) feed it records;
    each call is recorded in the access log."""
    intake = agency.spec.intake
    name = intake.field.capitalize()
    many: Any = list[intake.record]  # type: ignore[name-defined]  # the record type is data here
    records: dict[str, Any] = {intake.field: (many, Field(max_length=MAX_INTAKE))}
    counts: dict[str, Any] = {
        intake.taken: (int, ...),
        "unknown": (
            int,
            Field(description=f"{intake.field} whose number is not a current My Number"),
        ),
    }
    body_model = create_model(f"{name}In", **records)
    out_model = create_model(f"{name}Out", **counts)
    router = APIRouter(tags=["intake"])

    def take(
        body: body_model,
        acting: Annotated[Acting, Depends(staff_permission("records.intake"))],
        uow: Work,
    ) -> dict[str, int]:
        taken, unknown = agency.take(uow, getattr(body, intake.field))
        staff.log(
            acting,
            action="records.intake",
            purpose="intake",
            detail={intake.taken: taken, "unknown": unknown},
        )
        return {intake.taken: taken, "unknown": unknown}

    router.add_api_route(
        intake.path, take, methods=["POST"], response_model=out_model, description=intake.summary
    )
    return router


def create_agency_app(ctx: OrgContext, spec: Agency) -> FastAPI:
    """The agency's app: intake, intermediate server, notices and health, on its database;
    it exposes its :class:`AgencyServices`."""
    app, services = agency_app(ctx, spec)
    expose(app, services)
    return app


def agency_app(ctx: OrgContext, spec: Agency) -> tuple[FastAPI, AgencyServices]:
    """The agency's app and its services, not yet exposed (an agency with more to expose,
    such as the insurer, extends them and exposes its own)."""
    engine = create_org_engine(ctx.settings, spec.org)
    migrate(engine, spec.migrations)
    server = IntermediateServer.of(ctx, frozenset(spec.projections))
    agency = ProviderAgency(spec, server=server)
    app = new_app(title=spec.title, description=spec.description)
    staff = install_staff(app, ctx, engine=engine, roles=spec.roles, title=spec.title)
    app.include_router(intake_router(agency, staff))
    # late-bound, so the agency's answer can be swapped (tests take the provider down)
    app.include_router(
        provide_router(ctx, lambda request: agency.provide(UnitOfWork(engine), request))
    )
    app.include_router(notices_router(ctx))  # お知らせ to Mynaportal, by our codes

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz(uow: Work) -> dict[str, object]:
        return agency.health(uow)

    services = AgencyServices(
        org=spec.org,
        engine=engine,
        staff=staff,
        health=lambda: agency.health(UnitOfWork(engine)),
        agency=agency,
    )
    return app, services
