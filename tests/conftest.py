"""Fixtures shared by the whole suite.

``--database=postgres`` (or ``MYNUMBER_TEST_DATABASE=postgres``) runs every test that uses
a federation against PostgreSQL at ``MYNUMBER_TEST_POSTGRES_URL``; each test module gets
databases of its own, dropped at the end. With ``CI=true`` an unreachable server fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from mynumber.platform import federation
from mynumber.platform.db import drop_postgres_databases
from mynumber.platform.settings import Settings

POSTGRES_URL = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        default=os.environ.get("MYNUMBER_TEST_DATABASE", "sqlite"),
        help="the database every federation in the tests runs on",
    )


@pytest.fixture(scope="session")
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.config.getoption("--database")
    if kind == "postgres":
        try:
            engine = create_engine(POSTGRES_URL)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
    return kind


def make_settings(data_dir: Path, kind: str, **overrides: object) -> Settings:
    """Settings for a test federation: its own data folder and, on PostgreSQL, databases."""
    values: dict[str, object] = {"data_dir": data_dir, "seed_residents": 0}
    if kind == "postgres":
        values["database_url"] = POSTGRES_URL
        values["database_prefix"] = f"mnt_{secrets.token_hex(4)}"
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fed(
    tmp_path_factory: pytest.TempPathFactory, database_kind: str
) -> Iterator[federation.Federation]:
    """A whole federation in-process (no sockets), with empty registries."""
    settings = make_settings(tmp_path_factory.mktemp("data"), database_kind)
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_postgres_databases(settings.database_url, settings.database_prefix)


@pytest.fixture(scope="module")
def http(fed: federation.Federation) -> httpx.Client:
    """An HTTP client of the federation: paths start with the organisation's mount."""
    return fed.directory.http
