"""Each organisation's Alembic migrations build exactly the schema its store declares."""

from __future__ import annotations

from importlib import import_module, resources

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect, text

from mynumber import federation
from mynumber.platform import db, store
from mynumber.platform.db import PLATFORM_MIGRATIONS, PLATFORM_VERSION_TABLE
from mynumber.platform.settings import Settings

#: every organisation a default deployment runs (``bank-0001`` → package ``bank``)
ORGS = federation.org_names(Settings())


def engine_of(fed: federation.Federation, org: str) -> Engine:
    return fed.services(org).engine


def package_of(org: str) -> str:
    return f"mynumber.orgs.{org.partition('-')[0]}"


def declared(org: str) -> MetaData:
    """The organisation's own tables and the platform's, which every database carries."""
    combined = MetaData()
    for metadata in (import_module(f"{package_of(org)}.store").metadata, store.metadata):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


@pytest.mark.parametrize("org", ORGS)
def test_migrated_schema_matches_the_store_metadata(fed, org):
    with engine_of(fed, org).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, kind, _: name != PLATFORM_VERSION_TABLE,
            },
        )
        diff = compare_metadata(context, declared(org))
    assert diff == []


@pytest.mark.parametrize("org", ORGS)
def test_database_is_at_the_newest_revision(fed, org):
    script = ScriptDirectory(str(resources.files(f"{package_of(org)}.migrations")))
    with engine_of(fed, org).connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert len(script.get_heads()) == 1  # one line of history, no forks
    assert set(current) == set(script.get_heads())


@pytest.mark.parametrize("org", ORGS)
def test_platform_tables_are_at_their_newest_revision(fed, org):
    script = ScriptDirectory(str(resources.files(PLATFORM_MIGRATIONS)))
    with engine_of(fed, org).connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": PLATFORM_VERSION_TABLE})
        current = context.get_current_heads()
    assert len(script.get_heads()) == 1
    assert set(current) == set(script.get_heads())


def _schema(engine: Engine) -> dict[str, object]:
    """Every table's columns, keys and indexes, and both version tables' revisions."""
    found = inspect(engine)
    shape: dict[str, object] = {}
    for table in found.get_table_names():
        shape[table] = (
            [
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in found.get_columns(table)
            ],
            found.get_pk_constraint(table),
            sorted(map(repr, found.get_foreign_keys(table))),
            sorted(map(repr, found.get_indexes(table))),
            sorted(map(repr, found.get_unique_constraints(table))),
        )
    with engine.connect() as conn:
        for table in ("alembic_version", PLATFORM_VERSION_TABLE):
            shape[f"{table} rows"] = conn.execute(text(f"SELECT * FROM {table}")).all()
    return shape


def test_an_empty_database_gets_what_alembic_gave_the_first(
    tmp_path, settings_for, drop_databases, monkeypatch
):
    """:func:`~mynumber.platform.db.migrate` runs Alembic on the first empty database of a
    history and replays the statements it sent on the next: both end up the same."""
    monkeypatch.setattr(db, "_replays", {})  # this process's first: Alembic runs
    settings = settings_for(tmp_path)
    engines = [db.create_org_engine(settings, org) for org in ("bank-first", "bank-second")]
    try:
        db.migrate(engines[0], "mynumber.orgs.bank.migrations")
        assert len(db._replays) == 1  # recorded
        db.migrate(engines[1], "mynumber.orgs.bank.migrations")  # replayed
        first, second = (_schema(engine) for engine in engines)
        assert "accounts" in first and first == second
    finally:
        for engine in engines:
            engine.dispose()
        if settings.database_url:
            drop_databases(settings.database_url, settings.database_prefix)
