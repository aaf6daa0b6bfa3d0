"""A health insurer: members in (``POST /api/members``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with eligibility, sealed.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select

from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.model import ROLES
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

ORG = "insurer"
ITEMS = frozenset({"eligibility"})
#: 保険者番号 of this demo insurer (8 digits: 法別番号 06 健康保険組合, 都道府県 13 東京; the
#: rest and the check digit are synthetic: a demo value).
INSURER_NUMBER = "06139994"


class Member(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    symbol: str = Field(max_length=20, description="記号")
    number: str = Field(max_length=20, description="番号")
    branch: str = Field(default="00", pattern="^[0-9]{2}$", description="枝番")
    valid_from: date
    valid_to: date | None = None


class MembersIn(BaseModel):
    members: list[Member] = Field(max_length=10_000)


class MembersOut(BaseModel):
    enrolled: int
    unknown: int


class Insurer:
    def __init__(self, *, engine: Engine, server: IntermediateServer) -> None:
        self.engine = engine
        self.server = server

    def enrol(self, members: list[Member]) -> tuple[int, int]:
        """Record members (the newest record per person wins), keyed by our agency code."""
        code_of = self.server.codes([m.my_number for m in members])
        rows = {
            code: m.model_dump(include={"symbol", "number", "branch", "valid_from", "valid_to"})
            for m in members
            if (code := code_of[m.my_number]) is not None
        }
        upsert_by_code(self.engine, store.members, rows)
        return len(rows), len(code_of) - len(rows)

    def _eligibility(self, code: str, items: frozenset[str]) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(store.members).where(store.members.c.code == code))
            found = row.mappings().first()
        if found is None:
            return None
        valid_to = found["valid_to"]
        return {
            "eligibility": {
                "insurer_number": INSURER_NUMBER,
                "symbol": found["symbol"],
                "number": found["number"],
                "branch": found["branch"],
                "valid_from": found["valid_from"].isoformat(),
                "valid_to": None if valid_to is None else valid_to.isoformat(),
                "eligible": valid_to is None or valid_to >= date.today(),
            }
        }

    def provide(self, request: ProvideIn) -> str:
        return self.server.answer(request, self._eligibility)


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.insurer.migrations")
    server = IntermediateServer.of(ctx, ITEMS)
    service = Insurer(engine=engine, server=server)
    app = new_app(
        title="健康保険組合 (health insurer)",
        description="Eligibility (保険者番号, 記号・番号, 資格); its intermediate server answers "
        "the hub.",
    )

    @app.post("/api/members", response_model=MembersOut)
    def enrol(body: MembersIn) -> MembersOut:
        """資格取得: members with the My Number they gave (番号法 Art. 14 提供の求め)."""
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
