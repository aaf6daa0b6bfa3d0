"""J-LIS use cases for numbers: reserve resident codes, generate and re-issue My Numbers (and
the health report, which counts them and the cards issued).

Each use case takes the unit of work of J-LIS's database from its caller and runs its work
in it (:meth:`UnitOfWork.run`): a unique key that races with a concurrent writer raises
``IntegrityError`` and the work runs again, which then sees the winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, update

from mynumber.errors import Conflict, InvalidInput, NotFound
from mynumber.number import validate, validate_resident_code
from mynumber.number_bulk import validate_resident_codes
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.platform.db import bulk_insert, chunked
from mynumber.platform.uow import UnitOfWork

MAX_BATCH = 100_000

codes_t = store.resident_codes
issued_t = store.issued_numbers


@dataclass(frozen=True, slots=True)
class _Holder:
    municipality: str
    generation: int


def _checked_codes(codes: list[str]) -> list[str]:
    if len(codes) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} codes per request", field="resident_codes")
    checked = validate_resident_codes(codes)
    if len(set(checked)) != len(checked):
        raise InvalidInput("a resident code appears twice", field="resident_codes")
    return checked


def _holders(conn: Connection, code_fps: list[str]) -> dict[str, _Holder]:
    found: dict[str, _Holder] = {}
    for part in chunked(code_fps):
        rows = conn.execute(
            select(codes_t.c.code_fp, codes_t.c.municipality, codes_t.c.generation).where(
                codes_t.c.code_fp.in_(part)
            )
        )
        found.update({fp: _Holder(m, g) for fp, m, g in rows})
    return found


def _issued(conn: Connection, number_fps: list[str]) -> set[str]:
    found: set[str] = set()
    for part in chunked(number_fps):
        found.update(
            conn.execute(
                select(issued_t.c.number_fp).where(issued_t.c.number_fp.in_(part))
            ).scalars()
        )
    return found


def _first_numbers(
    conn: Connection, numbering: Numbering, codes: list[str], now: datetime
) -> list[int]:
    """Choose and record the first number of each code; returns the generations used.

    Generation 0 unless that number was issued before (to another code, at another
    generation): then the next generation, until a never-issued number comes out.
    """
    generations = [0] * len(codes)
    pending = list(range(len(codes)))
    while pending:
        numbers = numbering.numbers([codes[i] for i in pending], [generations[i] for i in pending])
        candidates = {
            numbering.fingerprint("number", n): i for n, i in zip(numbers, pending, strict=True)
        }
        used = _issued(conn, list(candidates))
        fresh = [
            {"number_fp": fp, "issued_at": now, "retired_at": None, "retire_reason": None}
            for fp in candidates
            if fp not in used
        ]
        bulk_insert(conn, issued_t, fresh)
        pending = [candidates[fp] for fp in used]
        for i in pending:
            generations[i] += 1
    return generations


def generate_numbers(
    uow: UnitOfWork,
    numbering: Numbering,
    *,
    municipality: str,
    codes: list[str],
    reserve: bool = False,
) -> tuple[list[str | None], list[str]]:
    """My Numbers for a municipality's resident codes.

    With ``reserve``, the codes are new ones the municipality drew: each one nobody holds
    is reserved for it nationwide and gets its first number; one already held (by anyone)
    comes back as taken. Without, the codes are ones the municipality holds, and their
    current numbers come back (asking again changes nothing); another's code is taken.
    Returns (numbers in the order of ``codes``, None where taken; the taken codes).
    """
    return uow.run(
        lambda conn: _generate_numbers(
            conn, numbering, municipality=municipality, codes=codes, reserve=reserve
        )
    )


def _generate_numbers(
    conn: Connection,
    numbering: Numbering,
    *,
    municipality: str,
    codes: list[str],
    reserve: bool,
) -> tuple[list[str | None], list[str]]:
    checked = _checked_codes(codes)
    fps = [numbering.fingerprint("code", code) for code in checked]
    holders = _holders(conn, fps)
    generations: dict[int, int] = {}
    fresh: list[int] = []
    taken: list[int] = []
    for i, fp in enumerate(fps):
        holder = holders.get(fp)
        if holder is None and reserve:
            fresh.append(i)
        elif holder is None:
            raise NotFound("a resident code was not reserved", code="unknown_resident_code")
        elif reserve or holder.municipality != municipality:
            taken.append(i)
        else:
            generations[i] = holder.generation

    now = datetime.now(UTC)
    first = _first_numbers(conn, numbering, [checked[i] for i in fresh], now)
    generations.update(zip(fresh, first, strict=True))
    bulk_insert(
        conn,
        codes_t,
        [
            {
                "code_fp": fps[i],
                "municipality": municipality,
                "reserved_at": now,
                "generation": generations[i],
            }
            for i in fresh
        ],
    )
    wanted = sorted(generations)
    computed = numbering.numbers([checked[i] for i in wanted], [generations[i] for i in wanted])
    numbers: list[str | None] = [None] * len(codes)
    for i, number in zip(wanted, computed, strict=True):
        numbers[i] = number
    return numbers, [checked[i] for i in taken]


def reissue_number(
    uow: UnitOfWork, numbering: Numbering, *, code: str, old_number: str, reason: str
) -> str:
    """Retire a leaked My Number and issue the resident a new one (never issued before)."""
    return uow.run(
        lambda conn: _reissue_number(
            conn, numbering, code=code, old_number=old_number, reason=reason
        )
    )


def _reissue_number(
    conn: Connection, numbering: Numbering, *, code: str, old_number: str, reason: str
) -> str:
    code = validate_resident_code(code)
    old_number = validate(old_number)
    code_fp = numbering.fingerprint("code", code)
    holder = _holders(conn, [code_fp]).get(code_fp)
    if holder is None:
        raise NotFound("no My Number was issued for that code", code="no_number")
    if numbering.numbers([code], [holder.generation])[0] != old_number:
        raise Conflict("that number is not the resident's current number", code="not_current")
    now = datetime.now(UTC)
    conn.execute(
        update(issued_t)
        .where(issued_t.c.number_fp == numbering.fingerprint("number", old_number))
        .values(retired_at=now, retire_reason=reason[:40])
    )
    generation = holder.generation + 1
    while True:
        number = numbering.numbers([code], [generation])[0]
        fp = numbering.fingerprint("number", number)
        if not _issued(conn, [fp]):
            break
        generation += 1
    conn.execute(issued_t.insert().values(number_fp=fp, issued_at=now))
    conn.execute(update(codes_t).where(codes_t.c.code_fp == code_fp).values(generation=generation))
    return number


def health(uow: UnitOfWork) -> dict[str, object]:
    """J-LIS's health report: numbers and cards issued."""
    with uow as conn:
        numbers, cards = store.issued(conn)
    return {"org": "jlis", "ok": True, "numbers_issued": numbers, "cards_issued": cards}
