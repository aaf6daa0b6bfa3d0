"""The portal's health report: it answers, and how many accounts it holds."""

from __future__ import annotations

from fastapi import APIRouter

from mynumber.orgs.portal.services.login import Portal
from mynumber.orgs.portal.web.deps import HEALTH
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work

ORG = "portal"


def health(uow: UnitOfWork, portal: Portal) -> dict[str, object]:
    """Liveness and one count; no personal data."""
    return {"org": ORG, "ok": True, "accounts": portal.account_count(uow)}


def health_router(portal: Portal) -> APIRouter:
    api = APIRouter()

    @api.get("/healthz", dependencies=[HEALTH])
    def healthz(uow: Work) -> dict[str, object]:
        return health(uow, portal)

    return api
