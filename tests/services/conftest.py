"""Service tests: one organisation's use cases on its own migrated SQLite database, with
typed fakes for the organisations it calls. No federation is built, no server runs; the
crypto is real (keys from ``tests/assets/demo-keys``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from servicekit import Clock
from sqlalchemy import Engine

from mynumber.pki import generate_key
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.settings import Settings

DEMO_KEYS = Path(__file__).resolve().parents[1] / "assets" / "demo-keys"


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Callable[[str, str], Engine]]:
    """``database(org, migrations_package)``: the organisation's own SQLite file in a fresh
    folder, at the newest revision of its history and the platform's."""
    engines: list[Engine] = []

    def open_database(org: str, package: str) -> Engine:
        settings = Settings(data_dir=tmp_path / "data", database_url=None)
        engine = create_org_engine(settings, org)
        migrate(engine, package)
        engines.append(engine)
        return engine

    yield open_database
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="session")
def rsa_keys() -> list[rsa.RSAPrivateKey]:
    """Six RSA-2048 keys: the demo keys, generated ones if the folder is missing."""
    keys: list[rsa.RSAPrivateKey] = []
    for path in sorted(DEMO_KEYS.glob("*.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), None)
        if isinstance(key, rsa.RSAPrivateKey):
            keys.append(key)
    while len(keys) < 6:
        keys.append(generate_key())
    return keys[:6]
