"""The pension service: members in (``POST /api/members``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with the pension record, sealed.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select

from mynumber.orgs.pension import store
from mynumber.orgs.pension.model import ROLES
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.intermediate import (
    IntermediateServer,
    ProvideIn,
    provide_router,
    upsert_by_code,
)
from mynumber.platform.notices import notices_router
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app

ORG = "pension"
ITEMS = frozenset({"pension"})


class Member(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    category: str = Field(pattern="^[123R]$", description="被保険者種別; R: receiving a pension")
    contribution_months: int = Field(ge=0, le=600)
    annual_benefit_yen: int | None = Field(default=None, ge=0)


class MembersIn(BaseModel):
    members: list[Member] = Field(max_length=10_000)


class MembersOut(BaseModel):
    enrolled: int
    unknown: int


class PensionService:
    def __init__(self, *, engine: Engine, server: IntermediateServer) -> None:
        self.engine = engine
        self.server = server

    def enrol(self, members: list[Member]) -> tuple[int, int]:
        """Record members (the newest record per person wins), keyed by our agency code."""
        code_of = self.server.codes([m.my_number for m in members])
        rows = {
            code: {
                "category": m.category,
                "contribution_months": m.contribution_months,
                "annual_benefit_yen": m.annual_benefit_yen,
            }
            for m in members
            if (code := code_of[m.my_number]) is not None
        }
        upsert_by_code(self.engine, store.members, rows)
        return len(rows), len(code_of) - len(rows)

    def _record(self, code: str, items: frozenset[str]) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(store.members).where(store.members.c.code == code))
            found = row.mappings().first()
        if found is None:
            return None
        keys = ("category", "contribution_months", "annual_benefit_yen")
        return {"pension": {k: found[k] for k in keys}}

    def provide(self, request: ProvideIn) -> str:
        return self.server.answer(request, self._record)


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.pension.migrations")
    server = IntermediateServer.of(ctx, ITEMS)
    service = PensionService(engine=engine, server=server)
    app = new_app(
        title="日本年金機構 (pension service)",
        description="Pension records; its intermediate server answers the hub.",
    )

    @app.post("/api/members", response_model=MembersOut)
    def enrol(body: MembersIn) -> MembersOut:
        """資格取得 / 記録: members with the My Number they gave."""
        enrolled, unknown = service.enrol(body.members)
        return MembersOut(enrolled=enrolled, unknown=unknown)

    app.include_router(provide_router(ctx, service.provide))
    app.include_router(notices_router(ctx))  # お知らせ to Mynaportal, by our codes

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.members))
        return {"org": ORG, "ok": True, "members": count}

    app.state.engine = engine
    app.state.service = service
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app
