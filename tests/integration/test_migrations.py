"""Each organisation's Alembic migrations build exactly the schema its store declares."""

from __future__ import annotations

from importlib import resources

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from mynumber.orgs.jlis import store as jlis_store
from mynumber.orgs.municipality import store as municipality_store
from mynumber.platform import federation


def engine_of(fed: federation.Federation, org: str):
    if org == "jlis":
        return fed.apps["jlis"].state.engine
    return fed.registry(org.removeprefix("municipality-")).engine


@pytest.mark.parametrize(
    ("org", "metadata"),
    [
        ("jlis", jlis_store.metadata),
        ("municipality-131016", municipality_store.metadata),
        ("municipality-131041", municipality_store.metadata),
    ],
)
def test_migrated_schema_matches_the_store_metadata(fed, org, metadata):
    with engine_of(fed, org).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


@pytest.mark.parametrize(
    ("org", "package"),
    [
        ("jlis", "mynumber.orgs.jlis.migrations"),
        ("municipality-131016", "mynumber.orgs.municipality.migrations"),
    ],
)
def test_database_is_at_the_newest_revision(fed, org, package):
    script = ScriptDirectory(str(resources.files(package)))
    with engine_of(fed, org).connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(script.get_heads())
