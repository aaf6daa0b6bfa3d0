"""A health insurer (健康保険組合, 協会けんぽ or 市町村国保; :data:`~.model.PLANS`): members in
(``POST /api/members``, with the My Number they gave, used once to enrol our codes), its
intermediate-server answer to the hub (``POST /intermediate/provide``), notices to
Mynaportal (``POST /api/notices``).

After each intake the members' eligibility is registered with the オンライン資格確認等システム
(``oqs``) through the hub by our own codes (:mod:`.clients`): the system clinics query never
learns a My Number. The shape is every agency's (:mod:`mynumber.platform.agency`).
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, RowMapping, select

from mynumber import errors
from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.clients import IntermediateServer
from mynumber.orgs.insurer.documents import render
from mynumber.orgs.insurer.model import (
    BY_ORG,
    PLANS,
    ROLES,
    InsurerPlan,
    default_ratio,
    half_width_kana,
)
from mynumber.platform.agency import Agency, Intake, Numbered
from mynumber.platform.context import OrgContext
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web.agency import create_agency_app

log = logging.getLogger("mynumber.insurer")

ORG = "insurer"
#: 保険者番号 of the first demo insurer (see :data:`~.model.PLANS`: a demo value).
INSURER_NUMBER = PLANS[0].number


class Member(Numbered):
    """資格取得: a member's 被保険者 entry, with the My Number they gave."""

    symbol: str = Field(max_length=20, description="記号")
    number: str = Field(min_length=1, max_length=20, pattern="^[0-9]+$", description="番号")
    branch: str = Field(default="00", pattern="^[0-9]{2}$", description="枝番 (2 digits)")
    valid_from: date
    valid_to: date | None = None
    name: str | None = Field(default=None, max_length=100, description="氏名")
    name_kana: str | None = Field(default=None, max_length=100, description="氏名カナ")
    sex: str | None = Field(default=None, pattern="^[12]$", description="1 male, 2 female")
    birth_date: date | None = None
    relation: str = Field(default="1", pattern="^[12]$", description="1 本人, 2 家族")
    insured_name: str | None = Field(default=None, max_length=100, description="被保険者氏名")
    ratio: int | None = Field(default=None, description="一部負担金の割合 (10, 20 or 30 %)")


def eligibility_of(plan: InsurerPlan) -> Any:
    def eligibility(conn: Connection, member: RowMapping) -> dict[str, Any]:
        """資格情報: who insures the member, under which symbol and number, and whether now."""
        valid_to = member["valid_to"]
        return {
            "insurer_number": plan.number,
            "symbol": member["symbol"],
            "number": member["number"],
            "branch": member["branch"],
            "valid_from": member["valid_from"].isoformat(),
            "valid_to": None if valid_to is None else valid_to.isoformat(),
            "eligible": valid_to is None or valid_to >= date.today(),
        }

    return eligibility


def copy_of(plan: InsurerPlan, m: Member) -> dict[str, Any] | None:
    """The eligibility copy the 中間サーバー keeps (None: not enough to identify the member
    at a clinic — no name, sex or birth date)."""
    if not (m.name and m.name_kana and m.sex and m.birth_date):
        return None
    return {
        "insurer_number": plan.number,
        "insurer_name": plan.name,
        "symbol": m.symbol,
        "number": m.number,
        "branch": m.branch,
        "relation": m.relation,
        "card_classification": "01",
        "name": m.name,
        "name_kana_half": half_width_kana(m.name_kana),
        "sex": m.sex,
        "birth_date": m.birth_date.isoformat(),
        "valid_from": m.valid_from.isoformat(),
        "valid_to": None if m.valid_to is None else m.valid_to.isoformat(),
        "ratio": m.ratio or default_ratio(m.birth_date, dt.date.today()),
        "insured_name": m.insured_name or m.name,
    }


class DocumentIn(BaseModel):
    symbol: str = Field(max_length=20)
    number: str = Field(min_length=1, max_length=20, pattern="^[0-9]+$")
    branch: str = Field(default="00", pattern="^[0-9]{2}$")


def documents_router(
    plan: InsurerPlan, engine: Engine, server: IntermediateServer, staff: Staff
) -> APIRouter:
    router = APIRouter(tags=["documents"])

    @router.post(
        "/api/documents",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
    )
    def issue(
        body: DocumentIn, acting: Annotated[Acting, Depends(staff_permission("documents.issue"))]
    ) -> Response:
        """資格確認書 (no card registered as insurance card) or 資格情報のお知らせ (one is), as
        PDF: the member's copy is registered with the 中間サーバー again, whose answer says
        which."""
        m = store.members.c
        with engine.connect() as conn:
            row = (
                conn.execute(
                    select(store.members).where(
                        m.symbol == body.symbol, m.number == body.number, m.branch == body.branch
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise errors.NotFound("no member with that symbol and number", code="no_member")
        fields = set(Member.model_fields) - {"my_number"}
        member = Member.model_validate(
            {"my_number": "0", **{k: row[k] for k in fields if row[k] is not None}}
        )
        copy = copy_of(plan, member)
        registered = server.register([(row["code"], copy)]) if copy else [False]
        kind, pdf = render(plan, dict(row), card_registered=registered[0], issued=date.today())
        staff.log(acting, action="documents.issue", purpose=kind, detail={"kind": kind})
        return Response(pdf, media_type="application/pdf")

    return router


def create_app(ctx: OrgContext, plan: InsurerPlan | None = None) -> FastAPI:
    plan = plan or BY_ORG[ctx.org]
    server = IntermediateServer(ctx)

    def register(known: list[tuple[str, Any]]) -> None:
        copies = [(code, c) for code, m in known if (c := copy_of(plan, m)) is not None]
        if not copies or "oqs" not in ctx.directory.urls:
            return
        try:
            server.register(copies)
        except Exception as exc:  # the members are kept; the copies go with the next intake
            log.warning("eligibility registration failed: %s: %s", type(exc).__name__, exc)

    spec = Agency(
        org=plan.org,
        title=f"{plan.name} (health insurer {plan.number})",
        description="Eligibility (保険者番号, 記号・番号・枝番, 資格); registers copies with the "
        "中間サーバー; its intermediate server answers the hub.",
        roles=ROLES,
        migrations="mynumber.orgs.insurer.migrations",
        members=store.members,
        intake=Intake(
            path="/api/members",
            field="members",
            record=Member,
            taken="enrolled",
            summary="資格取得: members with the My Number they gave (番号法 Art. 14 提供の求め; "
            "the newest record per person wins); their eligibility is then registered with "
            "the 中間サーバー by our own codes.",
            after=register,
        ),
        projections={"eligibility": eligibility_of(plan)},
    )
    app = create_agency_app(ctx, spec)
    app.include_router(documents_router(plan, app.state.engine, server, app.state.staff))
    app.state.service = app.state.agency  # the insurer
    app.state.plan = plan
    return app
