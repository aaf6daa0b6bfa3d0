"""Each organisation's Alembic migrations build exactly the schema its store declares."""

from __future__ import annotations

from importlib import import_module, resources

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

from mynumber import federation
from mynumber.platform import store
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
