"""The tax office: filings in (``POST /api/filings``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with income sealed to the requester.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
The shape is every agency's (:mod:`mynumber.platform.agency`); here are its own parts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import Connection, RowMapping, and_, bindparam, select

from mynumber.orgs.tax import store
from mynumber.orgs.tax.model import ROLES
from mynumber.platform.agency import Agency, Intake, Numbered, upsert_members
from mynumber.platform.context import OrgContext
from mynumber.platform.db import chunked
from mynumber.platform.web.agency import create_agency_app

ORG = "tax"


class Filing(Numbered):
    """確定申告 / 源泉徴収票: a year's income, filed with the taxpayer's My Number."""

    year: int = Field(ge=1990, le=2100)
    income_yen: int = Field(ge=0, le=10**12)  # a trillion yen: far above any income


def file(conn: Connection, known: list[tuple[str, Any]], now: datetime) -> None:
    """Enrol the taxpayers; a later filing for the same year replaces the earlier."""
    codes = list(dict.fromkeys(code for code, _ in known))
    upsert_members(conn, store.taxpayers, {code: {} for code in codes}, now)
    taxpayers = store.taxpayers.c
    ids: dict[str, str] = {}
    for part in chunked(codes):
        found = select(taxpayers.code, taxpayers.id).where(taxpayers.code.in_(part))
        ids.update((str(code), str(id_)) for code, id_ in conn.execute(found))
    rows = {(ids[code], f.year): f.income_yen for code, f in known}
    t = store.incomes
    conn.execute(
        t.delete().where(and_(t.c.taxpayer_id == bindparam("t"), t.c.year == bindparam("y"))),
        [{"t": tid, "y": year} for tid, year in rows],
    )
    conn.execute(
        t.insert(),
        [
            {"taxpayer_id": tid, "year": year, "income_yen": amount, "filed_at": now}
            for (tid, year), amount in rows.items()
        ],
    )


def income(conn: Connection, taxpayer: RowMapping) -> list[dict[str, int]]:
    """所得: the income of every year filed, newest first."""
    t = store.incomes.c
    years = conn.execute(
        select(t.year, t.income_yen).where(t.taxpayer_id == taxpayer["id"]).order_by(t.year.desc())
    )
    return [{"year": year, "income_yen": amount} for year, amount in years]


AGENCY = Agency(
    org=ORG,
    title="税務署 (tax office)",
    description="Income per year from filings; its intermediate server answers the hub.",
    roles=ROLES,
    migrations="mynumber.orgs.tax.migrations",
    members=store.taxpayers,
    intake=Intake(
        path="/api/filings",
        field="filings",
        record=Filing,
        taken="filed",
        summary="確定申告 / 源泉徴収票: income filed with the taxpayer's My Number.",
        write=file,
        per_person=False,  # each filing counts
    ),
    projections={"income": income},
)


def create_app(ctx: OrgContext) -> FastAPI:
    return create_agency_app(ctx, AGENCY)
