"""Mynaportal's web app (``/portal``): login with the card, わたしの情報 and やりとり履歴
through the linkage hub, 公金受取口座, notices.

On first start the portal files its notice with J-LIS as a 利用者証明検証者 and keeps the
OCSP credential in ``DATA/portal/jlis-verifier.credential`` (done on the first login, so
that J-LIS need not be up when the portal starts).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from mynumber.orgs.portal import (
    accounts,
    applications,
    benefit_applications,
    deliveries,
    events,
    insurance_card,
    linkage,
    oidc_operator,
    oidc_web,
    proxies,
    record_access,
    signing,
    store,
)
from mynumber.orgs.portal.clients import JlisPortalClient
from mynumber.orgs.portal.deps import HEALTH
from mynumber.orgs.portal.inbox import Inbox, NoticeCipher
from mynumber.orgs.portal.insurance_card import InsuranceCard
from mynumber.orgs.portal.model import ROLES
from mynumber.orgs.portal.oidc_release import BasicItemsRelease
from mynumber.orgs.portal.oidc_service import oidc_provider
from mynumber.orgs.portal.services import Portal
from mynumber.orgs.portal.web import Pages, api_router, page_router
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Receivers, receiver_router
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient
from mynumber.platform.limits import RateLimit
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, templates_for

ORG = "portal"


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.portal.migrations")
    folder = ctx.settings.data_dir / ORG
    jlis = JlisPortalClient(ctx.directory, ctx.identity, folder / "jlis-verifier.credential")
    inbox = Inbox(engine=engine, cipher=NoticeCipher(secret_bytes(folder / "notices.key")))
    portal = Portal(
        engine=engine,
        jlis=jlis,
        inbox=inbox,
        ocsp_max_age=dt.timedelta(seconds=ctx.settings.portal_ocsp_max_age),
    )
    pages = Pages(
        portal=portal,
        templates=templates_for(Path(__file__).with_name("templates")),
        base_url=ctx.settings.base_url,
        csrf_key=secret_bytes(folder / "csrf.key"),
        phone_url=ctx.settings.base_url + "/phone",
        login_limit=RateLimit.per_minute(
            ctx.settings.login_rate_per_minute, ctx.settings.login_burst
        ),
    )
    app = new_app(
        title="マイナポータル (Mynaportal)",
        description="デジタル庁 (Digital Agency): log in with the My Number card "
        "(challenge–response with the user-authentication key), notices, わたしの情報; "
        "an OpenID Connect provider for private services (``/portal/.well-known/"
        "openid-configuration``).",
    )
    app.include_router(api_router(pages))
    app.include_router(page_router(pages))
    app.include_router(events.event_router(portal))  # the QR login's server-sent events
    sign_requests = signing.SignRequests(engine=engine, jlis=jlis)
    app.include_router(signing.api_router(sign_requests))
    app.include_router(signing.page_router(pages, sign_requests))
    link = linkage.HubLink(
        engine=engine,
        jlis=jlis,
        hub=ServiceClient(ctx.directory, "hub", ctx.identity),
        keys=EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys),
    )
    app.include_router(linkage.page_router(pages, link))
    registry = ServiceClient(ctx.directory, "accounts", ctx.identity)
    public_fund = accounts.PublicFundAccounts(link=link, registry=registry)
    app.include_router(accounts.page_router(pages, public_fund))
    office = ServiceClient(ctx.directory, "benefits", ctx.identity)
    one_click = benefit_applications.PortalBenefitApplications(
        link=link, office=office, accounts=public_fund
    )
    app.include_router(benefit_applications.page_router(pages, one_click))
    # deliveries through the hub: agencies' notices into お知らせ; other modules register
    # their procedures on app.state.receivers
    receivers = Receivers(org=ORG, keys=link.keys)
    receivers["*_notice"] = deliveries.NoticeReceiver(engine=engine, inbox=inbox)
    app.include_router(receiver_router(ctx, receivers))
    app.include_router(deliveries.page_router(pages, inbox))
    e_applications = applications.PortalApplications(
        engine=engine, signing=sign_requests, link=link, inbox=inbox
    )
    receivers[applications.DECISION] = e_applications
    app.include_router(applications.page_router(pages, e_applications))
    # 本人確認情報の提供状況の開示: municipalities' access-log entries, by the portal's code
    accesses = record_access.RecordAccesses(engine=engine)
    receivers[record_access.PROCEDURE] = accesses
    app.include_router(record_access.page_router(pages, accesses))
    # マイナ保険証: 利用登録 and the views of the person's drug data
    app.include_router(insurance_card.page_router(pages, InsuranceCard(ctx, engine=engine)))
    release = BasicItemsRelease(signing=sign_requests, link=link, sign_ca=jlis.sign_ca)
    oidc = oidc_web.OidcPages(pages, oidc_provider(ctx, engine), release)
    app.include_router(oidc_web.router(oidc))
    app.include_router(oidc_operator.router(oidc.provider.clients))
    # 代理人: the pages that show a person's data show the principal's to a proxy
    proxy_rights = proxies.Proxies(engine=engine, name_of=proxies.names_via(link))
    e_applications.proxies = proxy_rights  # 代理人 apply with an apply right
    pages.subject = proxy_rights.subject
    pages.context_hooks.append(proxy_rights.switcher)
    app.include_router(proxies.page_router(pages, proxy_rights))

    @app.get("/healthz", dependencies=[HEALTH])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            accounts = conn.scalar(select(func.count()).select_from(store.accounts))
        return {"org": ORG, "ok": True, "accounts": accounts}

    app.state.engine = engine
    app.state.portal = portal
    app.state.link = link
    app.state.signing = sign_requests
    app.state.applications = e_applications
    app.state.receivers = receivers
    app.state.record_accesses = accesses
    app.state.oidc = oidc.provider
    app.state.proxies = proxy_rights
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app
