"""認定プラットフォーム事業者 (``/trustplatform``): a minister-certified platform operator,
registered with J-LIS as 署名検証者 and 利用者証明検証者, verifying JPKI signatures for
the private service providers behind it (a bank's housing loan, a real-estate firm, a
securities firm's account opening). See :mod:`.web` for its routes, :mod:`.pades` for the
contracts, :mod:`.tsa` for its RFC 3161 time-stamp authority.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.trustplatform import web
from mynumber.orgs.trustplatform.clients import JlisClient
from mynumber.orgs.trustplatform.model import NAME, ORG, ROLES
from mynumber.orgs.trustplatform.services import Platform
from mynumber.orgs.trustplatform.tsa import TimeStampAuthority
from mynumber.orgs.trustplatform.web import pages
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app


@dataclass(frozen=True, slots=True)
class TrustPlatformServices(OrgServices):
    """The platform operator's services: contracts, status checks, consents and eKYC."""

    platform: Platform


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.trustplatform.migrations")
    folder = ctx.settings.data_dir / ORG
    platform = Platform(
        jlis=JlisClient(ctx.directory, ctx.identity, folder / "jlis-verifier.credential"),
        tsa=TimeStampAuthority.load_or_create(folder / "tsa"),
    )
    app = new_app(
        title=NAME,
        description="署名検証・利用者証明検証を代行 (verifies JPKI signatures for private "
        "service providers): PAdES contracts with embedded revocation and time-stamps, "
        "現況確認, 犯収法 eKYC, an RFC 3161 TSA.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(web.router(platform=platform, staff=staff))
    app.include_router(pages.router(platform=platform, root="/" + ORG))
    expose(
        app,
        TrustPlatformServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: {"org": ORG, "ok": True},
            platform=platform,
        ),
    )
    return app
