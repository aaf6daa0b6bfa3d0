"""The tax office: filings in (``POST /api/filings``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with income sealed to the requester.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, and_, bindparam, func, select

from mynumber.orgs.tax import store
from mynumber.orgs.tax.model import ROLES
from mynumber.platform.context import OrgContext
from mynumber.platform.db import (
    chunked,
    create_org_engine,
    insert_ignoring_duplicates,
    migrate,
    retrying,
)
from mynumber.platform.ids import new_id
from mynumber.platform.intermediate import IntermediateServer, ProvideIn, provide_router
from mynumber.platform.notices import notices_router
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app

ORG = "tax"
ITEMS = frozenset({"income"})


class Filing(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    year: int = Field(ge=1990, le=2100)
    income_yen: int = Field(ge=0)


class FilingsIn(BaseModel):
    filings: list[Filing] = Field(max_length=10_000)


class FilingsOut(BaseModel):
    filed: int
    unknown: int = Field(description="filings whose number is not a current My Number")


class TaxOffice:
    def __init__(self, *, engine: Engine, server: IntermediateServer) -> None:
        self.engine = engine
        self.server = server

    def file(self, filings: list[Filing]) -> tuple[int, int]:
        """Record filings (a later one for the same year replaces the earlier)."""
        code_of = self.server.codes([f.my_number for f in filings])
        known = [f for f in filings if code_of[f.my_number] is not None]
        now = datetime.now(UTC)

        def work(conn: Any) -> None:
            codes = list({str(code_of[f.my_number]) for f in known})
            insert_ignoring_duplicates(
                conn,
                store.taxpayers,
                [{"id": new_id(), "code": c, "enrolled_at": now} for c in codes],
            )
            ids: dict[str, str] = {}
            for part in chunked(codes):
                ids.update(
                    conn.execute(
                        select(store.taxpayers.c.code, store.taxpayers.c.id).where(
                            store.taxpayers.c.code.in_(part)
                        )
                    ).all()
                )
            rows = {(ids[str(code_of[f.my_number])], f.year): f.income_yen for f in known}
            if not rows:
                return
            t = store.incomes
            conn.execute(
                t.delete().where(
                    and_(t.c.taxpayer_id == bindparam("t"), t.c.year == bindparam("y"))
                ),
                [{"t": tid, "y": year} for tid, year in rows],
            )
            conn.execute(
                t.insert(),
                [
                    {"taxpayer_id": tid, "year": year, "income_yen": amount, "filed_at": now}
                    for (tid, year), amount in rows.items()
                ],
            )

        retrying(self.engine, work)
        return len(known), len(filings) - len(known)

    def _incomes(self, code: str, items: frozenset[str]) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            taxpayer = conn.scalar(
                select(store.taxpayers.c.id).where(store.taxpayers.c.code == code)
            )
            if taxpayer is None:
                return None
            years = conn.execute(
                select(store.incomes.c.year, store.incomes.c.income_yen)
                .where(store.incomes.c.taxpayer_id == taxpayer)
                .order_by(store.incomes.c.year.desc())
            ).all()
        return {"income": [{"year": y, "income_yen": amount} for y, amount in years]}

    def provide(self, request: ProvideIn) -> str:
        """中間サーバー: the items asked for, about the person behind our code, sealed."""
        return self.server.answer(request, self._incomes)


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.tax.migrations")
    server = IntermediateServer.of(ctx, ITEMS)
    office = TaxOffice(engine=engine, server=server)
    app = new_app(
        title="税務署 (tax office)",
        description="Income per year from filings; its intermediate server answers the hub.",
    )

    @app.post("/api/filings", response_model=FilingsOut)
    def file(body: FilingsIn) -> FilingsOut:
        """確定申告 / 源泉徴収票: income filed with the taxpayer's My Number."""
        filed, unknown = office.file(body.filings)
        return FilingsOut(filed=filed, unknown=unknown)

    # late-bound, so the office's answer can be swapped (tests take the provider down)
    app.include_router(provide_router(ctx, lambda request: office.provide(request)))
    app.include_router(notices_router(ctx))  # お知らせ to Mynaportal, by our codes

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.taxpayers))
        return {"org": ORG, "ok": True, "taxpayers": count}

    app.state.engine = engine
    app.state.office = office
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app
