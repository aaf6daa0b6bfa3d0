"""Eligibility for a designated public benefit (特定公的給付): who lived here on the base date.

``POST /api/benefits/eligible`` (the benefit office ``benefits`` only, signed) answers, page
by page, the residents registered in this municipality on ``as_of`` — registered on or
before it, not moved out or dead on or before it — with their age on that date, optionally
bounded. For such a benefit the paying body may receive the My Numbers (公金受取口座登録法,
modelled), so the page carries them, sealed to ``benefits`` (JWE): nothing on the way can
read it. The household is the registry's own opaque household id; ``head`` is 世帯主.

One page is one SQL statement over the residents table in id order (the cursor ``after``
is the last id of the previous page), so a national run reads 10^5 people per call. The
page is columnar: ``people`` holds five aligned lists (``my_number``, ``household``,
``head``, ``kana``, ``age``).

``POST /api/benefits/eligible/bounds`` cuts the same list into ranges for a run's workers:
the id of every ``every``-th eligible resident (ids are opaque and carry nothing about the
person); a page with ``upto`` stops at that id, so each range is read by itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, or_, select, type_coerce

from mynumber import errors, jst
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.model import age_on, births_for_ages
from mynumber.orgs.municipality.schemas import MAX_BOUNDS, MAX_ELIGIBLE_PAGE
from mynumber.platform.db import every_nth, plain_rows
from mynumber.platform.uow import UnitOfWork

#: The organisation that may ask (the national benefit office, 給付金事務局).
CALLERS = frozenset({"benefits"})
#: What a signed eligibility page is bound to (with the page's query), as the caller checks.
ELIGIBILITY = "benefit_eligibility"
HEAD = "世帯主"


def page_exchange(programme: str, as_of: date, after: str | None, upto: str | None) -> str:
    """What a sealed page is bound to: the programme, the base date and the page's place
    (its cursor, and its range's end when it has one)."""
    place = after or ""
    return f"{programme}:{as_of.isoformat()}:{place}" + (f":{upto}" if upto else "")


def _who(as_of: date, min_age: int | None, max_age: int | None) -> list[ColumnElement[bool]]:
    """Who is eligible: registered here on ``as_of`` with a My Number, of the ages asked."""
    if as_of > jst.today():
        raise errors.InvalidInput("as_of is in the future", field="as_of")
    births = births_for_ages(as_of, min_age, max_age)
    r = store.residents.c
    where = [
        r.registered_on <= as_of,
        or_(r.left_on.is_(None), r.left_on > as_of),
        r.my_number.is_not(None),
    ]
    if births.until is not None:
        where.append(r.birth_date <= births.until)
    if births.after is not None:
        where.append(r.birth_date > births.after)
    return where


def eligible(
    uow: UnitOfWork,
    *,
    as_of: date,
    min_age: int | None = None,
    max_age: int | None = None,
    after: str | None = None,
    upto: str | None = None,
    limit: int = 100_000,
) -> dict[str, Any]:
    """One page of the people registered here on ``as_of`` (in resident id order), as
    aligned columns: after the id ``after`` and up to the id ``upto`` (a range of
    :func:`bounds`), when given.

    A record without a designated My Number yet is left out: the paying body could not
    enrol it. ``next`` is the cursor of the following page, or None after the last.
    """
    if not 1 <= limit <= MAX_ELIGIBLE_PAGE:
        raise errors.InvalidInput(f"limit must be 1 to {MAX_ELIGIBLE_PAGE}", field="limit")
    r = store.residents.c
    query = (
        select(
            r.id,
            r.my_number,
            r.household_id,
            r.relationship,
            r.family_name_kana,
            r.given_name_kana,
            # as the driver reads it: ISO text on SQLite (parsed below, at C speed), a date
            # on PostgreSQL
            type_coerce(r.birth_date, String),
        )
        .where(*_who(as_of, min_age, max_age))
        .order_by(r.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(r.id > after)
    if upto is not None:
        query = query.where(r.id <= upto)
    with uow as conn:
        rows = plain_rows(conn, query)
    more = len(rows) > limit
    rows = rows[:limit]
    # column by column (aligned lists): a page of 10^5 people is five JSON arrays, not
    # 10^5 objects each repeating the field names
    return {
        "people": {
            "my_number": [r[1] for r in rows],
            "household": [r[2] for r in rows],
            "head": [r[3] == HEAD for r in rows],
            "kana": [f"{r[4]} {r[5]}" for r in rows],
            "age": [age_on(_day(r[6]), as_of) for r in rows],
        },
        "next": rows[-1][0] if more else None,
    }


def _day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def bounds(
    uow: UnitOfWork,
    *,
    as_of: date,
    min_age: int | None = None,
    max_age: int | None = None,
    every: int,
) -> list[str]:
    """The id of every ``every``-th person :func:`eligible` lists, in id order: the ranges
    ``(None, b1]``, ``(b1, b2]`` … ``(bn, None)`` hold ``every`` people each (the last the
    rest), for a run to read side by side. At most :data:`MAX_BOUNDS` of them."""
    if not 1 <= every <= MAX_ELIGIBLE_PAGE:
        raise errors.InvalidInput(f"every must be 1 to {MAX_ELIGIBLE_PAGE}", field="every")
    who = and_(*_who(as_of, min_age, max_age))
    with uow as conn:
        found = [
            k for (k,) in every_nth(conn, [store.residents.c.id], who, every, limit=MAX_BOUNDS + 1)
        ]
    if len(found) > MAX_BOUNDS:
        raise errors.InvalidInput(
            f"more than {MAX_BOUNDS} ranges: ask for larger ones", field="every"
        )
    return found
