"""An insurer's use cases: what its intermediate server answers for a member (資格情報), the
eligibility copy it registers with the 中間サーバー, and the 資格確認書 / 資格情報のお知らせ."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, select

from mynumber import errors
from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.clients import IntermediateServer
from mynumber.orgs.insurer.documents import render
from mynumber.orgs.insurer.model import InsurerPlan, default_ratio, half_width_kana
from mynumber.orgs.insurer.schemas import DocumentIn, Member


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


def issue_document(
    plan: InsurerPlan, engine: Engine, server: IntermediateServer, body: DocumentIn
) -> tuple[str, bytes]:
    """資格確認書 (no card registered as insurance card) or 資格情報のお知らせ (one is), as
    PDF: the member's copy is registered with the 中間サーバー again, whose answer says
    which. Returns the kind and the PDF."""
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
    return render(plan, dict(row), card_registered=registered[0], issued=date.today())
