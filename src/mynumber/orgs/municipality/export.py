"""A paged export of the registry's active residents with their My Numbers, for seeding.

``POST /api/residents/export`` (permission ``residents.export``): what the demo seeding
hands the national agencies and the demo banks (the My Numbers they would legitimately hold,
the kana names an account is opened in). This project's choice: the real registry has no
such route; here it lets the seeding work through the municipality's API instead of its
tables. The My Numbers travel only in the response body, the cursor is a resident id, and
every resident exported gets an entry in the access log (the person sees it on Mynaportal).
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.deps import Exporter, Purpose, why
from mynumber.platform.staff.services import Staff

#: The most residents one page holds: this project's bound, one unit of work of log entries.
MAX_PAGE = 5_000


class ExportIn(BaseModel):
    after: str | None = Field(
        default=None, max_length=16, description="the last id of the page before; none: start"
    )
    limit: int = Field(default=1_000, ge=1, le=MAX_PAGE)


class ExportedResident(BaseModel):
    id: str
    my_number: str = Field(repr=False)
    family_name_kana: str
    given_name_kana: str
    birth_date: date


class ExportOut(BaseModel):
    residents: list[ExportedResident]
    next: str | None = Field(description="``after`` for the next page; none: this was the last")


def export_page(engine: Engine, *, after: str | None, limit: int) -> ExportOut:
    """Active residents holding a My Number, in id order, from just after ``after``."""
    r = store.residents.c
    query = (
        select(r.id, r.my_number, r.family_name_kana, r.given_name_kana, r.birth_date)
        .where(r.status == "active", r.my_number.is_not(None))
        .order_by(r.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(r.id > after)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found = [ExportedResident.model_validate(row, from_attributes=True) for row in rows]
    return ExportOut(residents=found, next=found[-1].id if len(found) == limit else None)


def router(*, engine: Engine, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["residents"])

    @api.post("/residents/export", response_model=ExportOut)
    def export(body: ExportIn, acting: Exporter, purpose: Purpose = None) -> ExportOut:
        """One page of active residents with their My Numbers (in this body only)."""
        reason = why(acting, purpose)
        page = export_page(engine, after=body.after, limit=body.limit)
        with staff.unit_of_work() as conn:
            for resident in page.residents:
                staff.record(
                    conn,
                    actor=acting.session,
                    role=acting.role,
                    action="residents.export",
                    purpose=reason,
                    person=resident.id,
                )
        return page

    return api
