"""介護保険: the municipality as insurer keeps its 被保険者 (10-digit 被保険者番号, 第1号 from
65 / 第2号 from 40 to 64, the qualification dates) and the 要介護・要支援認定 its review
decides (the level and the 認定有効期間). The person sees both on Mynaportal's わたしの情報
(item ``care_insurance`` of the municipality's answer, through the hub).

The counter registers an insured person (``POST /api/care-insured``, role ``clerk``); the
reviewer's approval of a ``care_certification`` e-application writes the 認定 here
(:meth:`~.applications.MunicipalityApplications.decide`), and the notice says it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from mynumber import errors
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.model import (
    CARE_CATEGORIES,
    CARE_INSURED_NUMBER,
    CARE_LEVELS,
    Status,
    care_category,
)
from mynumber.platform.uow import UnitOfWork


def register_insured(
    uow: UnitOfWork,
    resident_id: str,
    insured_number: str,
    qualified_on: dt.date,
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    """資格取得: the resident becomes an insured person under ``insured_number`` (第1号 or
    第2号 by their age on ``qualified_on``). A number already given to another resident, a
    resident not living here or under 40 is refused; the same resident again is updated."""
    if not CARE_INSURED_NUMBER.fullmatch(insured_number):
        raise errors.InvalidInput(
            "被保険者番号は10桁の数字です / 10 digits", field="insured_number"
        )
    c, r = store.care_insured.c, store.residents.c

    def work(conn: Connection) -> dict[str, Any]:
        resident = conn.execute(select(r.birth_date, r.status).where(r.id == resident_id)).first()
        if resident is None:
            raise errors.NotFound("no such resident", code="resident_not_found")
        if resident.status != Status.ACTIVE:
            raise errors.Conflict("this resident no longer lives here", code="not_active")
        category = care_category(resident.birth_date, qualified_on)
        holder = conn.scalar(select(c.resident_id).where(c.insured_number == insured_number))
        if holder is not None and holder != resident_id:
            raise errors.Conflict(
                "this insured number belongs to another resident", code="insured_number_taken"
            )
        values = {
            "insured_number": insured_number,
            "category": category,
            "qualified_on": qualified_on,
            "lost_on": None,
            "updated_at": now,
        }
        done = conn.execute(
            update(store.care_insured).where(c.resident_id == resident_id).values(values)
        )
        if not done.rowcount:
            conn.execute(store.care_insured.insert(), {"resident_id": resident_id, **values})
        return {"resident_id": resident_id, **values}

    return uow.run(work)


def insured_of(conn: Connection, resident_id: str) -> Mapping[str, Any] | None:
    c = store.care_insured.c
    row = (
        conn.execute(select(store.care_insured).where(c.resident_id == resident_id))
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def certify(
    uow: UnitOfWork,
    resident_id: str,
    *,
    level: str,
    period: tuple[dt.date, dt.date],
    application_id: str,
    now: dt.datetime,
) -> None:
    """The 認定 decided: its level and period on the insured person (a 非該当 leaves no
    period)."""
    c = store.care_insured.c
    certified = level != "none"
    with uow as conn:
        conn.execute(
            update(store.care_insured)
            .where(c.resident_id == resident_id)
            .values(
                care_level=level,
                certified_from=period[0] if certified else None,
                certified_to=period[1] if certified else None,
                certified_by=application_id,
                updated_at=now,
            )
        )
        uow.commit()


def care_insurance(conn: Connection, resident_id: str) -> dict[str, Any] | None:
    """What わたしの情報 shows of the resident's 介護保険 (None: not insured here)."""
    row = insured_of(conn, resident_id)
    if row is None:
        return None

    def day(value: dt.date | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "insured_number": row["insured_number"],
        "care_category": CARE_CATEGORIES[row["category"]],
        "qualified_on": day(row["qualified_on"]),
        "lost_on": day(row["lost_on"]),
        "care_level": None if row["care_level"] is None else CARE_LEVELS[row["care_level"]],
        "certified_from": day(row["certified_from"]),
        "certified_to": day(row["certified_to"]),
    }
