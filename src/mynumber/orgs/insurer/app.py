"""A health insurer: members in (``POST /api/members``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with eligibility, sealed.
Notices to people's Mynaportal by our own codes: ``POST /api/notices`` (signed by us).
The shape is every agency's (:mod:`mynumber.platform.agency`); here are its own parts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import Connection, RowMapping

from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.model import ROLES
from mynumber.platform.agency import Agency, Intake, Numbered
from mynumber.platform.context import OrgContext
from mynumber.platform.web.agency import create_agency_app

ORG = "insurer"
#: 保険者番号 of this demo insurer (8 digits: 法別番号 06 健康保険組合, 都道府県 13 東京; the
#: rest and the check digit are synthetic: a demo value).
INSURER_NUMBER = "06139994"


class Member(Numbered):
    """資格取得: a member's 被保険者証 entry, with the My Number they gave."""

    symbol: str = Field(max_length=20, description="記号")
    number: str = Field(max_length=20, description="番号")
    branch: str = Field(default="00", pattern="^[0-9]{2}$", description="枝番")
    valid_from: date
    valid_to: date | None = None


def eligibility(conn: Connection, member: RowMapping) -> dict[str, Any]:
    """資格情報: who insures the member, under which symbol and number, and whether now."""
    valid_to = member["valid_to"]
    return {
        "insurer_number": INSURER_NUMBER,
        "symbol": member["symbol"],
        "number": member["number"],
        "branch": member["branch"],
        "valid_from": member["valid_from"].isoformat(),
        "valid_to": None if valid_to is None else valid_to.isoformat(),
        "eligible": valid_to is None or valid_to >= date.today(),
    }


AGENCY = Agency(
    org=ORG,
    title="健康保険組合 (health insurer)",
    description="Eligibility (保険者番号, 記号・番号, 資格); its intermediate server answers "
    "the hub.",
    roles=ROLES,
    migrations="mynumber.orgs.insurer.migrations",
    members=store.members,
    intake=Intake(
        path="/api/members",
        field="members",
        record=Member,
        taken="enrolled",
        summary="資格取得: members with the My Number they gave (番号法 Art. 14 提供の求め; the "
        "newest record per person wins).",
    ),
    projections={"eligibility": eligibility},
)


def create_app(ctx: OrgContext) -> FastAPI:
    app = create_agency_app(ctx, AGENCY)
    app.state.service = app.state.agency  # the insurer
    return app
