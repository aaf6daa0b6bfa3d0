"""Mynaportal's routers, one module per area; each route parses, checks the session (and
the CSRF token of a form), makes one service call and renders or answers JSON. What the
pages share is in :mod:`.pages`, who may call what in :mod:`.deps`."""

from __future__ import annotations

from mynumber.orgs.portal.web.applications import page_router as applications_pages
from mynumber.orgs.portal.web.benefit_claims import page_router as benefit_pages
from mynumber.orgs.portal.web.events import event_router
from mynumber.orgs.portal.web.login import api_router as login_api
from mynumber.orgs.portal.web.login import page_router as login_pages
from mynumber.orgs.portal.web.notices import page_router as notice_pages
from mynumber.orgs.portal.web.oidc import router as oidc_router
from mynumber.orgs.portal.web.oidc_operator import router as oidc_operator_router
from mynumber.orgs.portal.web.proxies import page_router as proxy_pages
from mynumber.orgs.portal.web.public_fund import page_router as public_fund_pages
from mynumber.orgs.portal.web.record_access import page_router as record_access_pages
from mynumber.orgs.portal.web.self_information import page_router as self_information_pages
from mynumber.orgs.portal.web.signing import api_router as sign_api
from mynumber.orgs.portal.web.signing import page_router as sign_pages

__all__ = [
    "applications_pages",
    "benefit_pages",
    "event_router",
    "login_api",
    "login_pages",
    "notice_pages",
    "oidc_operator_router",
    "oidc_router",
    "proxy_pages",
    "public_fund_pages",
    "record_access_pages",
    "self_information_pages",
    "sign_api",
    "sign_pages",
]
