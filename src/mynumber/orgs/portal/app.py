"""Mynaportal's web app (``/portal``): login with the card, わたしの情報 and やりとり履歴
through the linkage hub, 公金受取口座, notices.

On first start the portal files its notice with J-LIS as a 利用者証明検証者 and keeps the
OCSP credential in ``DATA/portal/jlis-verifier.credential`` (done on the first login, so
that J-LIS need not be up when the portal starts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from mynumber.orgs.portal.clients.jlis import JlisPortalClient
from mynumber.orgs.portal.clients.offices import AccountRegistryClient, BenefitOfficeClient
from mynumber.orgs.portal.model import ROLES
from mynumber.orgs.portal.services import (
    applications,
    benefit_claims,
    notices,
    proxies,
    public_fund,
    record_access,
    self_information,
    signing,
)
from mynumber.orgs.portal.services.applications import ElectronicApplications
from mynumber.orgs.portal.services.inbox import Inbox, NoticeCipher
from mynumber.orgs.portal.services.insurance_card import InsuranceCard
from mynumber.orgs.portal.services.login import Portal
from mynumber.orgs.portal.services.oidc import OidcProvider, oidc_provider
from mynumber.orgs.portal.services.oidc_release import BasicItemsRelease
from mynumber.orgs.portal.services.proxies import Proxies
from mynumber.orgs.portal.services.record_access import RecordAccesses
from mynumber.orgs.portal.services.self_information import HubLink
from mynumber.orgs.portal.services.sign_transactions import SignTransactions
from mynumber.orgs.portal.services.signing import SignRequests
from mynumber.orgs.portal.web import (
    applications_pages,
    benefit_pages,
    event_router,
    login_api,
    login_pages,
    notice_pages,
    oidc_operator_router,
    oidc_router,
    proxy_pages,
    public_fund_pages,
    record_access_pages,
    self_information_pages,
    sign_api,
    sign_pages,
)
from mynumber.orgs.portal.web import insurance_card as insurance_card_pages
from mynumber.orgs.portal.web.deps import LoginNeeded
from mynumber.orgs.portal.web.health import health, health_router
from mynumber.orgs.portal.web.oidc import OidcPages
from mynumber.orgs.portal.web.pages import Pages, login_needed
from mynumber.orgs.portal.web.sign_transactions import router as sign_transactions_router
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Receivers
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient
from mynumber.platform.hub_client import HubClient
from mynumber.platform.limits import RateLimit
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, templates_for
from mynumber.platform.web.deliveries import receiver_router

ORG = "portal"


@dataclass(frozen=True, slots=True)
class PortalServices(OrgServices):
    """Mynaportal's services, as the federation and the tests reach them."""

    portal: Portal
    link: HubLink
    signing: SignRequests
    applications: ElectronicApplications
    receivers: Receivers
    record_accesses: RecordAccesses
    oidc: OidcProvider
    proxies: Proxies
    sign_transactions: SignTransactions


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
    app.add_exception_handler(LoginNeeded, login_needed)
    app.include_router(login_api(pages))
    app.include_router(login_pages(pages))
    app.include_router(event_router(portal))  # the QR login's server-sent events
    sign_requests = signing.SignRequests(engine=engine, jlis=jlis)
    app.include_router(sign_api(sign_requests))
    app.include_router(sign_pages(pages, sign_requests))
    hub_keys = EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys)
    hub_keys.ensure(ORG)  # providers seal their answers to us
    link = self_information.HubLink(
        engine=engine, jlis=jlis, hub=HubClient(ctx.directory, ctx.identity, hub_keys)
    )
    app.include_router(self_information_pages(pages, link))
    registry = AccountRegistryClient(ServiceClient(ctx.directory, "accounts", ctx.identity))
    fund_accounts = public_fund.PublicFundAccounts(link=link, registry=registry)
    app.include_router(public_fund_pages(pages, fund_accounts))
    office = BenefitOfficeClient(ServiceClient(ctx.directory, "benefits", ctx.identity))
    one_click = benefit_claims.BenefitClaims(link=link, office=office, accounts=fund_accounts)
    app.include_router(benefit_pages(pages, one_click))
    # deliveries through the hub: agencies' notices into お知らせ; other modules register
    # their procedures on the exposed services' receivers
    receivers = Receivers(org=ORG, keys=link.hub.keys)
    receivers["*_notice"] = notices.NoticeReceiver(engine=engine, inbox=inbox)
    app.include_router(receiver_router(ctx, receivers))
    app.include_router(notice_pages(pages, inbox))
    e_applications = applications.ElectronicApplications(
        engine=engine, signing=sign_requests, link=link, inbox=inbox
    )
    receivers[applications.DECISION] = e_applications
    app.include_router(applications_pages(pages, e_applications))
    # 本人確認情報の提供状況の開示: municipalities' access-log entries, by the portal's code
    accesses = record_access.RecordAccesses(engine=engine)
    receivers[record_access.PROCEDURE] = accesses
    app.include_router(record_access_pages(pages, accesses))
    # マイナ保険証: 利用登録 and the views of the person's drug data
    app.include_router(insurance_card_pages.page_router(pages, InsuranceCard(ctx, engine=engine)))
    release = BasicItemsRelease(signing=sign_requests, link=link, sign_roots=jlis.sign_roots)
    oidc = OidcPages(pages, oidc_provider(ctx, engine), release)
    app.include_router(oidc_router(oidc))
    app.include_router(oidc_operator_router(oidc.provider.clients))
    sign_transactions = SignTransactions(engine=engine, jlis=jlis)
    app.include_router(sign_transactions_router(oidc.provider, sign_transactions))
    # 代理人: the pages that show a person's data show the principal's to a proxy
    proxy_rights = proxies.Proxies(engine=engine, name_of=proxies.names_via(link))
    e_applications.proxies = proxy_rights  # 代理人 apply with an apply right
    pages.subject = proxy_rights.subject
    pages.context_hooks.append(proxy_rights.switcher)
    app.include_router(proxy_pages(pages, proxy_rights))

    app.include_router(health_router(portal))

    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    expose(
        app,
        PortalServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: health(portal),
            portal=portal,
            link=link,
            signing=sign_requests,
            applications=e_applications,
            receivers=receivers,
            record_accesses=accesses,
            oidc=oidc.provider,
            proxies=proxy_rights,
            sign_transactions=sign_transactions,
        ),
    )
    return app
