"""Each organisation's Alembic migrations build exactly the schema its store declares."""

from __future__ import annotations

import json
from importlib import import_module, resources

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, inspect, text

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


def test_a_written_file_part_keeps_its_records_through_the_bounds_migration(tmp_path):
    """Benefits 0005: a part known by its instructions' marks (file_id, record_index) is
    known by its first and last records' keys after it, and its instructions, ``filed``
    before, are ``planned`` until the part is settled."""
    engine = create_engine(f"sqlite:///{tmp_path / 'benefits.db'}")
    location = str(resources.files("mynumber.orgs.benefits.migrations"))

    def upgrade(conn: Connection, revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", location)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

    records = [  # (id, bank, account, record index) as a part of the file had them
        ("i2", "0001", "1000002", 0),
        ("i3", "0001", "1000003", 1),
        ("i1", "0005", "2000001", 2),
    ]
    with engine.begin() as conn:
        upgrade(conn, "0004")
        conn.execute(
            text(
                "INSERT INTO programmes (id, name, amount, per, municipalities, as_of, "
                "payer_name, payer_code, payer_bank, payer_branch, payer_deposit_type, "
                "payer_account, created_at) VALUES ('p', 'P', 1, 'person', '131016', "
                "'2026-01-01', 'X', '1', '0001', '001', '1', '0000001', '2026-01-01')"
            )
        )
        for n, (made, bank, account, index) in enumerate(records):
            conn.execute(
                text(
                    "INSERT INTO payees VALUES (:p, 'p', :c, '131016', 'h', 'ﾔﾏﾀﾞ', 1, 1, "
                    "'instructed', NULL)"
                ),
                {"p": f"y{n}", "c": f"code{n}"},
            )
            conn.execute(
                text(
                    "INSERT INTO instructions (id, programme_id, payee_id, attempt, round, "
                    "source, bank_code, branch_code, deposit_type, account_number, amount, "
                    "status, file_id, record_index, created_at) VALUES (:i, 'p', :y, 1, 1, "
                    "'registered', :b, '001', '1', :a, 1, 'filed', 'F', :n, '2026-01-01')"
                ),
                {"i": made, "y": f"y{n}", "b": bank, "a": account, "n": index},
            )
        conn.execute(
            text(
                "INSERT INTO transfer_files (id, programme_id, round, bank_code, part, path, "
                "sha256, count, total, status) VALUES ('F', 'p', 1, '0001', 1, 'f', 's', 3, 3, "
                "'written')"
            )
        )
        upgrade(conn, "head")
        first, last = conn.execute(text("SELECT first_key, last_key FROM transfer_files")).one()
        statuses = conn.execute(text("SELECT DISTINCT status FROM instructions")).scalars()
        assert json.loads(first) == ["0001", "001", "1", "1000002", "i2"]
        assert json.loads(last) == ["0005", "001", "1", "2000001", "i1"]
        assert list(statuses) == ["planned"]
    engine.dispose()
