"""An insurer's use cases: what its intermediate server answers for a member (資格情報), the
eligibility copy it registers with the 中間サーバー, and the 資格確認書 / 資格情報のお知らせ."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from mynumber import errors, jst
from mynumber.insurance_dates import (
    certificate_for_everyone,
    certificate_last_day,
    insurer_kind,
)
from mynumber.orgs.insurer import store
from mynumber.orgs.insurer.clients import IntermediateServer
from mynumber.orgs.insurer.documents import render
from mynumber.orgs.insurer.model import InsurerPlan, default_ratio, half_width_kana
from mynumber.orgs.insurer.schemas import DocumentIn, Member
from mynumber.platform.uow import UnitOfWork


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
            "eligible": valid_to is None or valid_to >= jst.today(),
        }

    return eligibility


def copy_of(
    plan: InsurerPlan, m: Member, certificate_valid_to: date | None = None
) -> dict[str, Any] | None:
    """The eligibility copy the 中間サーバー keeps (None: not enough to identify the member
    at a clinic — no name, sex or birth date), with the documents the member holds besides
    the card: the paper 被保険者証 and the 資格確認書 (its last day)."""
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
        "ratio": m.ratio or default_ratio(m.birth_date, jst.today()),
        "insured_name": m.insured_name or m.name,
        "paper_card_issued_on": _iso(m.paper_card_issued_on),
        "paper_card_expires_on": _iso(m.paper_card_expires_on),
        "certificate_valid_to": _iso(certificate_valid_to),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def certificates_of(conn: Connection, codes: list[str]) -> dict[str, date]:
    """The last day of the 資格確認書 each member (by our code) holds, where one was issued."""
    m = store.members.c
    found = conn.execute(
        select(m.code, m.certificate_valid_to).where(
            m.code.in_(codes), m.certificate_valid_to.is_not(None)
        )
    )
    return {str(code): day for code, day in found}


def issue_document(
    plan: InsurerPlan, uow: UnitOfWork, server: IntermediateServer, body: DocumentIn
) -> tuple[str, bytes]:
    """資格確認書 (no card registered as insurance card; every member of a 後期高齢者医療
    insurer until 2026-07-31) or 資格情報のお知らせ (a card is), as PDF. The member's copy is
    registered with the 中間サーバー again, whose answer says whether a card is registered;
    a 資格確認書 is recorded with its last day (5 years, the loss, or 2026-07-31 under the
    後期高齢者 暫定措置: :mod:`mynumber.insurance_dates`) and the copy sent once more with
    it, so a clinic's query by 記号・番号 knows until when it serves. Returns the kind and
    the PDF."""
    m = store.members.c
    with uow as conn:
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
    copy = copy_of(plan, member, row["certificate_valid_to"])
    registered = server.register([(row["code"], copy)])[0] if copy else False
    today = jst.today()
    kind = insurer_kind(plan.number)
    until: date | None = None
    if not registered or certificate_for_everyone(kind, today):
        until = certificate_last_day(kind, today, row["valid_to"], card_registered=registered)
        with uow as conn:
            conn.execute(
                store.members.update()
                .where(m.id == row["id"])
                .values(certificate_issued_on=today, certificate_valid_to=until)
            )
            uow.commit()
        if copy:
            server.register([(row["code"], copy | {"certificate_valid_to": until.isoformat()})])
    return render(plan, dict(row), certificate_until=until, issued=today)
