"""The unit of work: a use case's writes are kept only when it commits."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from mynumber.platform.uow import UnitOfWork

metadata = MetaData()
things = Table(
    "things", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True)
)


@pytest.fixture
def uow() -> UnitOfWork:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    # in-memory SQLite: one connection shared, so what is committed stays for the next block
    return UnitOfWork(engine)


def count(uow: UnitOfWork) -> int:
    with uow as conn:
        return int(conn.scalar(select(func.count()).select_from(things)) or 0)


def test_commit_keeps_and_leaving_without_commit_undoes(uow: UnitOfWork) -> None:
    with uow as conn:
        conn.execute(insert(things).values(name="kept"))
        uow.commit()
    with uow as conn:
        conn.execute(insert(things).values(name="dropped"))
    assert count(uow) == 1


def test_an_error_half_way_leaves_nothing(uow: UnitOfWork) -> None:
    with pytest.raises(ValueError), uow as conn:
        conn.execute(insert(things).values(name="half"))
        raise ValueError("the use case failed")
    assert count(uow) == 0


def test_run_commits_and_gives_back_the_result(uow: UnitOfWork) -> None:
    assert uow.run(lambda conn: conn.execute(insert(things).values(name="a")).rowcount) == 1
    assert count(uow) == 1
    with pytest.raises(IntegrityError):
        uow.run(lambda conn: conn.execute(insert(things).values(name="a")))
    assert count(uow) == 1


def test_it_cannot_be_opened_twice_or_used_closed(uow: UnitOfWork) -> None:
    with uow, pytest.raises(RuntimeError), uow:
        pass
    with pytest.raises(RuntimeError):
        uow.commit()
    assert uow.dialect == "sqlite"
