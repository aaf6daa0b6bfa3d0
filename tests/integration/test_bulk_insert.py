"""``bulk_insert`` at driver speed, with and without skipping rows that clash with a unique
key, many keys looked up at once (``listed``) and read back as plain tuples
(``plain_rows``), on SQLite and (``--database=postgres``)
PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, select, type_coerce
from sqlalchemy.exc import IntegrityError

from mynumber.platform.db import (
    UtcDateTime,
    bulk_insert,
    create_org_engine,
    every_nth,
    listed,
    plain_rows,
)

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(30), nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
)


@pytest.fixture
def engine(tmp_path, settings_for, drop_databases) -> Iterator[Engine]:
    settings = settings_for(tmp_path)
    made = create_org_engine(settings, f"bulk-{secrets.token_hex(3)}")
    metadata.create_all(made)
    yield made
    made.dispose()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def rows(*pairs: tuple[str, str]) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [{"id": i, "name": n, "at": now} for i, n in pairs]


def stored(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(things.c.id, things.c.name).order_by("id"))]


def test_rows_go_in_and_a_clash_raises_and_rolls_back(engine) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, things, rows(("1", "a"), ("2", "b")))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        bulk_insert(conn, things, rows(("3", "c"), ("1", "z")))
    assert stored(engine) == [("1", "a"), ("2", "b")]


def test_ignoring_duplicates_skips_clashes_on_any_unique_key(engine) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, things, rows(("1", "a"), ("2", "b")))
    with engine.begin() as conn:
        # twice in one transaction: the staging table is reused
        bulk_insert(conn, things, rows(("1", "x"), ("3", "c")), ignore_duplicates=True)
        bulk_insert(conn, things, rows(("4", "b"), ("5", "e")), ignore_duplicates=True)
    assert stored(engine) == [("1", "a"), ("2", "b"), ("3", "c"), ("5", "e")]


def test_listed_keys_are_looked_up_each_with_nulls_for_the_unknown(engine) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, things, rows(("1", "a"), ("2", "b"), ("3", "c")))
    with engine.connect() as conn:
        wanted = listed(conn, ["c", "zz", "a", "a"])
        found = conn.execute(
            select(wanted.c.value, things.c.id).select_from(
                wanted.outerjoin(things, things.c.name == wanted.c.value)
            )
        ).all()
        # one value, quoted as SQL would need: still a value, not SQL
        odd = listed(conn, ["x') OR 1=1 --"])
        none = conn.execute(
            select(things.c.id).select_from(odd.join(things, things.c.name == odd.c.value))
        ).all()
    assert sorted(tuple(r) for r in found) == [("a", "1"), ("a", "1"), ("c", "3"), ("zz", None)]
    assert none == []


def test_plain_rows_are_the_rows_as_the_driver_gives_them_and_converted_columns_are_refused(
    engine,
) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, things, rows(("1", "a"), ("2", "b"), ("3", "c")))
    with engine.connect() as conn:
        wanted = listed(conn, ["a", "c", "zz"])
        lookup = select(wanted.c.value, things.c.id).select_from(
            wanted.outerjoin(things, things.c.name == wanted.c.value)
        )
        plain = plain_rows(conn, lookup)
        assert sorted(plain, key=str) == sorted((tuple(r) for r in conn.execute(lookup)), key=str)
        assert sorted(plain, key=str) == [("a", "1"), ("c", "3"), ("zz", None)]
        assert {type(row) for row in plain} == {tuple}
        # a column whose type converts what it reads is not handed over unconverted
        with pytest.raises(TypeError, match="converting"):
            plain_rows(conn, select(type_coerce(things.c.at, UtcDateTime)))


def test_every_nth_key_is_the_rows_numbered_in_key_order(engine) -> None:
    """``every_nth`` against the rows numbered in Python: one column and two, a filter,
    the last row when it is a multiple, a limit."""
    named = [(f"{n:03d}", f"{'ab'[n % 2]}{n % 7}-{n:03d}") for n in range(61)]
    with engine.begin() as conn:
        bulk_insert(conn, things, rows(*named))
    t = things.c
    kept = sorted((i, n) for i, n in named if not n.endswith("5"))
    where = ~t.name.like("%5")
    for every in (1, 4, 7, len(kept), len(kept) + 1):
        with engine.connect() as conn:
            one = every_nth(conn, [t.id], where, every)
            two = every_nth(conn, [t.name, t.id], where, every)
        assert one == [(i,) for i, _ in kept[every - 1 :: every]]
        by_name = sorted(kept, key=lambda x: x[1])
        assert two == [(n, i) for i, n in by_name[every - 1 :: every]]
    with engine.connect() as conn:
        assert every_nth(conn, [t.id], where, 4, limit=3) == [(i,) for i, _ in kept[3:12:4]]
        with pytest.raises(ValueError):
            every_nth(conn, [t.id], where, 0)
