"""A clinic or pharmacy (``/clinic/<10-digit code>``): the reception terminal's routes
(:mod:`.web`) over its use cases (:mod:`.services`), which ask the eligibility system
(:mod:`.clients`). The card reader is a device of
its own (:mod:`mynumber.devices.clinic`): the clinic receives its result, never a PIN."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.clinic import web
from mynumber.orgs.clinic.clients import Oqs
from mynumber.orgs.clinic.model import ROLES, Institution, institution
from mynumber.orgs.clinic.services import Reception
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app


@dataclass(frozen=True, slots=True)
class ClinicServices(OrgServices):
    """A clinic's or pharmacy's services: which institution it is, its reception."""

    institution: Institution
    reception: Reception


def org_name(code: str) -> str:
    return f"clinic-{code}"


def create_app(ctx: OrgContext, code: str) -> FastAPI:
    place = institution(code)
    engine = create_org_engine(ctx.settings, place.org)
    migrate(engine, "mynumber.orgs.clinic.migrations")
    app = new_app(
        title=f"{place.name} ({'薬局' if place.pharmacy else '医療機関'} {place.code})",
        description="Reception terminal (資格確認端末) of a clinic or pharmacy: online "
        "eligibility with the My Number card.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    reception = Reception(institution=place, oqs=Oqs(ctx))
    app.include_router(web.router(reception, staff))
    expose(
        app,
        ClinicServices(
            org=place.org,
            engine=engine,
            staff=staff,
            health=lambda: {"org": place.org, "ok": True},
            institution=place,
            reception=reception,
        ),
    )
    return app
