"""``mynumber run`` as a real server: demo data, a registration and a move over real HTTP
(organisations call each other over loopback), and data that survives a restart."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mynumber.federation.process import clean_environment, serving
from mynumber.number import validate
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=25)

POSTGRES_URL = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SEEDED = 50
#: the demo staff members are residents of the first municipality, with cards of their own
DEMO_STAFF = 2


class MunicipalityStaff(httpx.Auth):
    """Acts as each municipality's local administrator (a token minted on its database)."""

    def __init__(self, settings: Settings, mint: Callable[[Settings, str], str]) -> None:
        self.settings = settings
        self.mint = mint
        self.tokens: dict[str, str] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        parts = request.url.path.split("/")
        if len(parts) > 2 and parts[1] == "municipality":
            org = f"municipality-{parts[2]}"
            if org not in self.tokens:
                self.tokens[org] = self.mint(self.settings, org)
            request.headers["Authorization"] = f"Bearer {self.tokens[org]}"
        yield request


@pytest.fixture
def environment(
    tmp_path: Path, database_kind: str, drop_databases: Callable[[str, str], None]
) -> Iterator[tuple[dict[str, str], Any]]:
    env = clean_environment()
    env["MYNUMBER_SEED_RESIDENTS"] = str(SEEDED)
    data = tmp_path / "data"
    if database_kind == "postgres":
        prefix = f"mne_{secrets.token_hex(4)}"
        env |= {"MYNUMBER_DATABASE_URL": POSTGRES_URL, "MYNUMBER_DATABASE_PREFIX": prefix}

        def database(org: str) -> str:
            name = f"{prefix}_{org}".replace("-", "_")
            return make_url(POSTGRES_URL).set(database=name).render_as_string(False)

        yield env, database
        drop_databases(POSTGRES_URL, prefix)
    else:
        yield env, lambda org: f"sqlite:///{data / f'{org}.db'}"


def my_number(database_url: str, resident_id: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_run_serves_demo_data_registers_moves_and_keeps_data_across_restarts(
    tmp_path, environment, admin_token
):
    env, database = environment
    data = tmp_path / "data"
    person = {
        "family_name": "長谷川",
        "given_name": "美咲",
        "family_name_kana": "ハセガワ",
        "given_name_kana": "ミサキ",
        "birth_date": "1995-12-24",
        "sex": "2",
        "address": "東京都千代田区九段南1丁目2番3号",
    }

    with serving(data, env=env) as server:
        printed = server.stdout.read_text()
        for path in (
            "/",
            "/jlis/",
            "/municipality/131016/",
            "/municipality/131041/",
            "/phone/",
            "/healthz",
        ):
            assert server.base + path in printed, printed

        settings = Settings(
            data_dir=data,
            database_url=env.get("MYNUMBER_DATABASE_URL"),
            database_prefix=env.get("MYNUMBER_DATABASE_PREFIX", "mynumber"),
        )
        staff = MunicipalityStaff(settings, admin_token)
        with httpx.Client(base_url=server.base, timeout=30, auth=staff) as http:
            health = http.get("/healthz").json()
            assert health["ok"] is True
            assert health["orgs"]["municipality-131016"]["residents"] == SEEDED + DEMO_STAFF
            assert health["orgs"]["municipality-131041"]["residents"] == SEEDED
            assert health["orgs"]["jlis"]["numbers_issued"] == 2 * SEEDED + DEMO_STAFF
            demo = http.get("/municipality/131041/api/residents", params={"limit": 5}).json()
            assert demo["total"] == SEEDED and len(demo["residents"]) == 5

            registered = http.post("/municipality/131016/api/residents", json=person)
            assert registered.status_code == 201, registered.text
            old_id = registered.json()["id"]
            number = my_number(database("municipality-131016"), old_id)
            assert validate(number) == number

            moved = http.post(
                f"/municipality/131016/api/residents/{old_id}/move",
                json={"to": "131041", "address": "東京都新宿区戸山3丁目4番5号"},
            )
            assert moved.status_code == 200, moved.text
            new_id = moved.json()["residents"][0]["id"]
            found = http.post(
                "/municipality/131041/api/residents/search", json={"my_number": number}
            )
            assert found.status_code == 200 and found.json()["id"] == new_id
            assert (
                http.get(f"/municipality/131016/api/residents/{old_id}").json()["status"]
                == "moved_out"
            )
            assert http.get("/municipality/131016/").status_code == 200
            assert httpx.get(server.base + "/municipality/131016/api/residents").status_code == 401
            phone = http.get("/phone/")  # the phone app, its wallet holding the demo cards
            assert phone.status_code == 200 and "マイナンバーカード" in phone.text
            issued = http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"]

    first_output = server.output()
    assert number not in first_output
    assert f"{number[:4]} {number[4:8]} {number[8:]}" not in first_output

    with serving(data, env=env) as server:
        with httpx.Client(base_url=server.base, timeout=30, auth=staff) as http:
            health = http.get("/healthz").json()
            assert health["orgs"]["municipality-131016"]["residents"] == SEEDED + DEMO_STAFF
            assert health["orgs"]["municipality-131041"]["residents"] == SEEDED + 1
            assert health["orgs"]["jlis"]["numbers_issued"] == issued  # not seeded again
            assert (
                http.get(f"/municipality/131041/api/residents/{new_id}").json()["moved_from"]
                == "131016"
            )
            found = http.post(
                "/municipality/131041/api/residents/search", json={"my_number": number}
            )
            assert found.json()["id"] == new_id
            again = http.post(
                "/municipality/131041/api/residents",
                json=person | {"address": "東京都新宿区戸山3丁目4番5号"},
            )
            assert again.status_code == 409
        assert server.base + "/municipality/131016/" in server.stdout.read_text()

    assert number not in server.output()
