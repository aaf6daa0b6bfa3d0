"""Eligibility for a designated public benefit (特定公的給付): who lived here on the base date.

``POST /api/benefits/eligible`` (the benefit office ``benefits`` only, signed) answers, page
by page, the residents registered in this municipality on ``as_of`` — registered on or
before it, not moved out or dead on or before it — with their age on that date, optionally
bounded. For such a benefit the paying body may receive the My Numbers (公金受取口座登録法,
modelled), so the page carries them, sealed to ``benefits`` (JWE): nothing on the way can
read it. The household is the registry's own opaque household id; ``head`` is 世帯主.

One page is one SQL statement over the residents table in id order (the cursor ``after``
is the last id of the previous page), so a national run reads 10^5 people per call.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Engine, or_, select

from mynumber import errors
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.model import age_on
from mynumber.platform.context import OrgContext
from mynumber.platform.encryption import EncryptionKeys, seal_signed
from mynumber.platform.web import signed_by

#: The organisation that may ask (the national benefit office, 給付金事務局).
CALLERS = frozenset({"benefits"})
#: What a signed eligibility page is bound to (with the page's query), as the caller checks.
ELIGIBILITY = "benefit_eligibility"
MAX_PAGE = 200_000
HEAD = "世帯主"


class EligibleIn(BaseModel):
    programme: str = Field(min_length=1, max_length=60, description="the benefit's id")
    as_of: date = Field(description="基準日: residents registered here on this date")
    min_age: int | None = Field(default=None, ge=0, le=150, description="age on as_of, at least")
    max_age: int | None = Field(default=None, ge=0, le=150, description="age on as_of, at most")
    after: str | None = Field(
        default=None,
        max_length=16,
        pattern="^[0-9a-f]{1,16}$",
        description="the previous page's `next`; none for the first page",
    )
    limit: int = Field(default=100_000, ge=1, le=MAX_PAGE)


class EligibleOut(BaseModel):
    sealed: str = Field(
        description='JWE to `benefits` of {"people": [{"my_number", "household", "head", '
        '"kana", "age"}], "next": cursor | null}'
    )


def _same_day(year: int, on: date) -> date:
    """``on``'s month and day in ``year`` (29 February becomes the 28th in a common year)."""
    try:
        return on.replace(year=year)
    except ValueError:
        return on.replace(year=year, day=28)


@dataclass(frozen=True, slots=True)
class BirthRange:
    """Births whose age on a date lies in an age range: ``after`` < birth ≤ ``until``."""

    after: date | None
    until: date | None


def births_for_ages(as_of: date, min_age: int | None, max_age: int | None) -> BirthRange:
    """The exact birth-date bounds of :func:`~mynumber.orgs.municipality.model.age_on`
    ranges, so the filter runs in SQL.

    Age ≥ a ⇔ (birth year, month, day) ≤ (as_of.year − a, as_of.month, as_of.day); when
    that day is 29 February of a common year, ≤ 28 February is the same set of dates.
    Age ≤ m ⇔ not age ≥ m + 1.
    """
    if min_age is not None and max_age is not None and min_age > max_age:
        raise errors.InvalidInput("min_age is greater than max_age", field="min_age")
    until = None if min_age is None else _same_day(as_of.year - min_age, as_of)
    after = None if max_age is None else _same_day(as_of.year - max_age - 1, as_of)
    return BirthRange(after, until)


def eligible(
    engine: Engine,
    *,
    as_of: date,
    min_age: int | None = None,
    max_age: int | None = None,
    after: str | None = None,
    limit: int = 100_000,
) -> dict[str, Any]:
    """One page of the people registered here on ``as_of`` (in resident id order).

    A record without a designated My Number yet is left out: the paying body could not
    enrol it. ``next`` is the cursor of the following page, or None after the last.
    """
    if as_of > date.today():
        raise errors.InvalidInput("as_of is in the future", field="as_of")
    if not 1 <= limit <= MAX_PAGE:
        raise errors.InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    births = births_for_ages(as_of, min_age, max_age)
    r = store.residents.c
    query = (
        select(
            r.id,
            r.my_number,
            r.household_id,
            r.relationship,
            r.family_name_kana,
            r.given_name_kana,
            r.birth_date,
        )
        .where(
            r.registered_on <= as_of,
            or_(r.left_on.is_(None), r.left_on > as_of),
            r.my_number.is_not(None),
        )
        .order_by(r.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(r.id > after)
    if births.until is not None:
        query = query.where(r.birth_date <= births.until)
    if births.after is not None:
        query = query.where(r.birth_date > births.after)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    people = [
        {
            "my_number": number,
            "household": household,
            "head": relationship == HEAD,
            "kana": f"{family} {given}",
            "age": age_on(birth, as_of),
        }
        for _, number, household, relationship, family, given, birth in rows
    ]
    return {"people": people, "next": rows[-1][0] if more else None}


def router(ctx: OrgContext, *, engine: Engine) -> APIRouter:
    keys = EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys)
    from_benefits = Depends(signed_by(lambda org: org in CALLERS))
    api = APIRouter(tags=["benefits"])

    @api.post("/benefits/eligible", response_model=EligibleOut)
    def eligible_people(body: EligibleIn, caller: Annotated[str, from_benefits]) -> EligibleOut:
        """給付対象者の抽出 (the benefit office only): one page of the residents registered
        in this municipality on ``as_of`` (not moved out or dead by then), with their age
        on that date, household id and whether they head it, signed by us and sealed to the
        caller (JWE). Page with ``after`` = the previous page's ``next`` until it is null."""
        page = eligible(
            engine,
            as_of=body.as_of,
            min_age=body.min_age,
            max_age=body.max_age,
            after=body.after,
            limit=body.limit,
        )
        sealed = seal_signed(  # signed by us and bound to this page's query
            keys,
            page,
            signer=ctx.org,
            recipient=caller,
            exchange_id=f"{body.programme}:{body.as_of.isoformat()}:{body.after or ''}",
            procedure=ELIGIBILITY,
        )
        return EligibleOut(sealed=sealed)

    return api
