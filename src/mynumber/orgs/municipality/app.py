"""A municipality (``/municipality-<code>``), composed here; its routes are in :mod:`.web`.

The registry's JSON API under ``/api`` and its staff pages; cards, the seeding export and
benefit eligibility under ``/api``; linkage through the hub and the intermediate server;
notices; e-applications received from Mynaportal (the delivery receiver) and their staff
pages; the disclosure of the access log to each person's Mynaportal.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.municipality.clients import (
    JlisIssuanceClient,
    LgpkiClient,
    PeerMunicipalityClient,
)
from mynumber.orgs.municipality.model import ROLES, Municipality
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.municipality.services.applications import MunicipalityApplications, register
from mynumber.orgs.municipality.services.disclosure import Disclosure
from mynumber.orgs.municipality.services.kiosk import KioskIssuing
from mynumber.orgs.municipality.services.linkage import Linkage, build_linkage
from mynumber.orgs.municipality.services.mayor import MayorKeys
from mynumber.orgs.municipality.services.notices import ResidentNotices
from mynumber.orgs.municipality.web import (
    applications,
    card_counter,
    cards,
    care,
    disclosure,
    eligibility,
    export,
    health,
    holder_items,
    kiosk,
    linkage,
    notices,
    pages,
    residents,
)
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Receivers
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.notices import Notices
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app
from mynumber.platform.web.deliveries import receiver_router

MIGRATIONS = "mynumber.orgs.municipality.migrations"


@dataclass(frozen=True, slots=True)
class MunicipalityServices(OrgServices):
    """A municipality's services, as the federation and the tests reach them."""

    registry: ResidentRegistry
    linkage: Linkage
    disclosure: Disclosure
    applications: MunicipalityApplications
    kiosk: KioskIssuing


def build_registry(ctx: OrgContext, municipality: Municipality) -> ResidentRegistry:
    """The registry service with its clients wired."""
    identity = ctx.identity
    return ResidentRegistry(
        municipality=municipality,
        jlis=JlisIssuanceClient(ctx.directory, identity),
        peer=lambda code: PeerMunicipalityClient(ctx.directory, identity, code),
    )


def create_app(ctx: OrgContext, municipality: Municipality) -> FastAPI:
    engine = create_org_engine(ctx.settings, municipality.org)
    migrate(engine, MIGRATIONS)

    def unit() -> UnitOfWork:  # a unit of work for what runs outside a request's
        return UnitOfWork(engine)

    registry = build_registry(ctx, municipality)
    app = new_app(
        title=f"{municipality.full_name} ({municipality.name_en})",
        description="住民基本台帳 — the resident registry of one municipality.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(residents.router(registry, staff), prefix="/api")
    app.include_router(cards.router(registry, staff), prefix="/api")
    app.include_router(card_counter.router(ctx, registry, staff), prefix="/api")
    app.include_router(export.router(staff=staff), prefix="/api")
    app.include_router(eligibility.router(ctx), prefix="/api")
    app.include_router(holder_items.router(ctx, code=municipality.code))
    link = build_linkage(ctx, municipality=municipality)
    registry.enrol = link.enrol_registered  # 符号取得 at registration and move-in
    registry.moved = link.tell_police_of_move  # マイナ免許証: one-stop address change
    app.include_router(linkage.router(ctx, linkage=link, staff=staff, unit=unit))
    app.include_router(care.router(staff))
    # 本人確認情報の提供状況の開示: staff reads and changes go to the person's Mynaportal
    disclosed = Disclosure(staff=staff, linkage=link)
    disclosure.install(app, disclosure=disclosed, staff=staff, unit=unit)
    resident_notices = ResidentNotices(linkage=link, notices=Notices(ctx))
    app.include_router(notices.router(org=ctx.org, service=resident_notices))
    # e-applications from Mynaportal, delivered through the hub; staff review pages
    e_applications = MunicipalityApplications(
        municipality=municipality,
        linkage=link,
        jlis=JlisVerifierClient(
            ctx.directory,
            ctx.identity,
            ctx.settings.data_dir / municipality.org / "jlis-verifier.credential",
            register_path="/verifiers/municipality",  # 署名検証者
        ),
    )
    receivers = Receivers(org=municipality.org, keys=link.keys)
    register(receivers, e_applications, unit)
    app.include_router(receiver_router(ctx, receivers))
    app.include_router(applications.page_router(e_applications, municipality, staff))
    # コンビニ交付: certificates for J-LIS's relay, signed by the mayor under LGPKI
    issuing = KioskIssuing(
        municipality=municipality,
        mayor=MayorKeys(
            ctx.settings.data_dir / municipality.org,
            municipality,
            LgpkiClient(ctx.directory, ctx.identity),
        ),
        verify_url=f"{ctx.settings.base_url}/municipality/{municipality.code}/verify",
    )
    app.include_router(kiosk.router(issuing, staff))
    app.include_router(pages.router(registry, staff))

    healthz = health.report(municipality.org, registry, unit)
    app.include_router(health.router(healthz))

    expose(
        app,
        MunicipalityServices(
            org=municipality.org,
            engine=engine,
            staff=staff,
            health=healthz,
            registry=registry,
            linkage=link,
            disclosure=disclosed,
            applications=e_applications,
            kiosk=issuing,
        ),
    )
    return app
