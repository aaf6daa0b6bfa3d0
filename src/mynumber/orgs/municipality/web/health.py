"""A municipality's health, for monitoring: up, and how many people live here."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.platform.policy import public
from mynumber.platform.uow import UnitOfWork


def report(
    org: str, registry: ResidentRegistry, unit: Callable[[], UnitOfWork]
) -> Callable[[], dict[str, object]]:
    """The health report: the organisation, up, and its active residents (a count only),
    read in a unit of work ``unit`` makes."""

    def healthz() -> dict[str, object]:
        return {"org": org, "ok": True, "residents": registry.active_count(unit())}

    return healthz


def router(health: Callable[[], dict[str, object]]) -> APIRouter:
    api = APIRouter()
    api.add_api_route(
        "/healthz",
        health,
        methods=["GET"],
        dependencies=[public("health, for monitoring")],
        summary="Healthz",
    )
    return api
