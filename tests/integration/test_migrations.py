"""Each organisation's Alembic migrations build exactly the schema its store declares."""

from __future__ import annotations

from importlib import import_module, resources

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from mynumber.platform import federation
from mynumber.platform.settings import Settings

#: every organisation a default deployment runs (``bank-0001`` → package ``bank``)
ORGS = federation.org_names(Settings())


def engine_of(fed: federation.Federation, org: str) -> Engine:
    state = fed.apps[org].state
    engine = getattr(state, "engine", None) or state.registry.engine
    assert isinstance(engine, Engine)
    return engine


def package_of(org: str) -> str:
    return f"mynumber.orgs.{org.partition('-')[0]}"


@pytest.mark.parametrize("org", ORGS)
def test_migrated_schema_matches_the_store_metadata(fed, org):
    metadata = import_module(f"{package_of(org)}.store").metadata
    with engine_of(fed, org).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


@pytest.mark.parametrize("org", ORGS)
def test_database_is_at_the_newest_revision(fed, org):
    script = ScriptDirectory(str(resources.files(f"{package_of(org)}.migrations")))
    with engine_of(fed, org).connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert len(script.get_heads()) == 1  # one line of history, no forks
    assert set(current) == set(script.get_heads())
