"""A health insurer (健康保険組合, 協会けんぽ or 市町村国保; :data:`~.model.PLANS`): members in
(``POST /api/members``, with the My Number they gave, used once to enrol our codes), its
intermediate-server answer to the hub (``POST /intermediate/provide``), notices to
Mynaportal (``POST /api/notices``).

After each intake the members' eligibility is registered with the オンライン資格確認等システム
(``oqs``) through the hub by our own codes (:mod:`.clients`): the system clinics query never
learns a My Number. The shape is every agency's (:mod:`mynumber.platform.agency`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.clients import IntermediateServer
from mynumber.orgs.insurer.model import BY_ORG, PLANS, ROLES, InsurerPlan
from mynumber.orgs.insurer.schemas import Member
from mynumber.orgs.insurer.services import certificates_of, copy_of, eligibility_of
from mynumber.orgs.insurer.web import documents_router
from mynumber.platform.agency import Agency, Intake
from mynumber.platform.composition import expose
from mynumber.platform.context import OrgContext
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.agency import AgencyServices, agency_app

log = logging.getLogger("mynumber.insurer")

ORG = "insurer"
#: 保険者番号 of the first demo insurer (see :data:`~.model.PLANS`: a demo value).
INSURER_NUMBER = PLANS[0].number


@dataclass(frozen=True, slots=True)
class InsurerServices(AgencyServices):
    """An insurer's services: the agency's, and its plan (保険者番号, kind)."""

    plan: InsurerPlan


def create_app(ctx: OrgContext, plan: InsurerPlan | None = None) -> FastAPI:
    plan = plan or BY_ORG[ctx.org]
    server = IntermediateServer(ctx)

    def register(uow: UnitOfWork, known: list[tuple[str, Any]]) -> None:
        if "oqs" not in ctx.directory.urls:
            return
        with uow as conn:  # the 資格確認書 already issued stay in force
            issued = certificates_of(conn, [code for code, _ in known])
        copies = [
            (code, c) for code, m in known if (c := copy_of(plan, m, issued.get(code))) is not None
        ]
        if not copies:
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
    app, base = agency_app(ctx, spec)
    app.include_router(documents_router(plan, server, base.staff))
    expose(
        app,
        InsurerServices(
            org=base.org,
            engine=base.engine,
            staff=base.staff,
            health=base.health,
            agency=base.agency,
            plan=plan,
        ),
    )
    return app
