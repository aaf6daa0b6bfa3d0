"""A paged export of the registry's active residents with their My Numbers, for seeding.

``POST /api/residents/export`` (permission ``residents.export``): what the demo seeding
hands the national agencies and the demo banks (the My Numbers they would legitimately hold,
the kana names an account is opened in). This project's choice: the real registry has no
such route; here it lets the seeding work through the municipality's API instead of its
tables. The My Numbers travel only in the response body, the cursor is a resident id, and
every resident exported gets an entry in the access log (the person sees it on Mynaportal).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.schemas import ExportedResident, ExportOut
from mynumber.platform.uow import UnitOfWork


def export_page(
    uow: UnitOfWork,
    *,
    after: str | None,
    limit: int,
    record: Callable[[Connection, str], object] = lambda conn, resident_id: None,
) -> ExportOut:
    """Active residents holding a My Number, in id order, from just after ``after``.

    ``record`` logs each resident exported in the same unit of work as the read: the page
    and its access-log entries are committed together or not at all.
    """
    r = store.residents.c
    query = (
        select(r.id, r.my_number, r.family_name_kana, r.given_name_kana, r.birth_date)
        .where(r.status == "active", r.my_number.is_not(None))
        .order_by(r.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(r.id > after)
    with uow as conn:
        rows = conn.execute(query).all()
        found = [ExportedResident.model_validate(row, from_attributes=True) for row in rows]
        for resident in found:
            record(conn, resident.id)
        uow.commit()
    return ExportOut(residents=found, next=found[-1].id if len(found) == limit else None)
