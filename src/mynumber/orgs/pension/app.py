"""The pension service: members in (``POST /api/members``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with the pension record, sealed.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
The shape is every agency's (:mod:`mynumber.platform.agency`); here are its own parts.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import Connection, RowMapping

from mynumber.orgs.pension import store
from mynumber.orgs.pension.model import ROLES
from mynumber.platform.agency import Agency, Intake, Numbered
from mynumber.platform.context import OrgContext
from mynumber.platform.web.agency import create_agency_app

ORG = "pension"


class Member(Numbered):
    """資格取得 / 記録: a member's pension record, with the My Number they gave."""

    category: str = Field(pattern="^[123R]$", description="被保険者種別; R: receiving a pension")
    contribution_months: int = Field(ge=0, le=600)
    annual_benefit_yen: int | None = Field(default=None, ge=0)


def pension(conn: Connection, member: RowMapping) -> dict[str, Any]:
    """年金記録: category, months paid, and the yearly amount once receiving."""
    return {k: member[k] for k in ("category", "contribution_months", "annual_benefit_yen")}


AGENCY = Agency(
    org=ORG,
    title="日本年金機構 (pension service)",
    description="Pension records; its intermediate server answers the hub.",
    roles=ROLES,
    migrations="mynumber.orgs.pension.migrations",
    members=store.members,
    intake=Intake(
        path="/api/members",
        field="members",
        record=Member,
        taken="enrolled",
        summary="資格取得 / 記録: members with the My Number they gave (the newest record "
        "per person wins).",
    ),
    projections={"pension": pension},
)


def create_app(ctx: OrgContext) -> FastAPI:
    return create_agency_app(ctx, AGENCY)
