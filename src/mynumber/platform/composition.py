"""What an organisation's app exposes to the composition root above it: one frozen,
typed services object instead of attributes scattered on ``app.state``.

Each organisation declares its own subclass of :class:`OrgServices` beside its
``create_app`` (the services the federation, the command line and the tests may reach:
the registry, the hub, the runner …), builds it once its app is wired, and hands it over
with :func:`expose`::

    @dataclass(frozen=True, slots=True)
    class BankServices(OrgServices):
        bank: Bank

    def create_app(ctx: OrgContext, code: str) -> FastAPI:
        ...
        expose(app, BankServices(org=ctx.org, engine=engine, staff=staff,
                                 health=lambda: web.health(UnitOfWork(engine), accounts),
                                 bank=accounts))
        return app

The root reads it back typed with :func:`services_of` (``services_of(app,
BankServices).bank``). Every organisation's app exposes its services; an app that
exposes none is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy import Engine

from mynumber.platform.staff.services import Staff

S = TypeVar("S", bound="OrgServices")


@dataclass(frozen=True, slots=True)
class OrgServices:
    """What every organisation has: its name, its database, its staff, its health."""

    org: str
    engine: Engine
    staff: Staff
    health: Callable[[], dict[str, Any]]


def expose(app: FastAPI, services: S) -> S:
    """Hand ``services`` to the composition root (once per app)."""
    if getattr(app.state, "services", None) is not None:
        raise RuntimeError(f"{services.org} already exposes its services")
    app.state.services = services
    return services


def services_of(app: FastAPI, kind: type[S] = OrgServices) -> S:  # type: ignore[assignment]
    """The services ``app`` exposes, checked to be a ``kind``; an app that exposes none
    is refused (:class:`LookupError`)."""
    found = getattr(app.state, "services", None)
    if found is None:
        raise LookupError(f"{app.title} exposes no services")
    if not isinstance(found, kind):
        raise TypeError(f"{found.org} exposes {type(found).__name__}, not {kind.__name__}")
    return found
