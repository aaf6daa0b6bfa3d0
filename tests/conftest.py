"""Fixtures shared by the whole suite.

``--database=postgres`` (or ``MYNUMBER_TEST_DATABASE=postgres``) runs every test that uses
a federation against PostgreSQL at ``MYNUMBER_TEST_POSTGRES_URL``; each test module gets
databases of its own, dropped at the end (on a thread of each worker's own, off the path of
the tests; the session waits for the last drop). With ``CI=true`` an unreachable server
fails.

Files with a ``slow`` test run first, those marked ``slow(seconds=…)`` (about how long the
file takes in CI) longest first (``--no-loadscope-reorder`` keeps that order under
``--dist loadfile``): the long files start at once on the xdist workers and the short ones
fill in at the end, instead of one worker still in a long file while the other is idle.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from mynumber import federation
from mynumber.orgs.portal.services.oidc_keys import load_or_create_signing_key
from mynumber.orgs.trustplatform.tsa import TimeStampAuthority
from mynumber.platform.db import create_org_engine, drop_postgres_databases
from mynumber.platform.settings import Settings
from mynumber.platform.staff.model import Roles
from mynumber.platform.staff.services import Staff

# Property tests check behaviour, not speed: on a busy machine (CI, parallel workers) slow
# input generation or a slow example is not a failure.
settings.register_profile("mynumber", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mynumber")

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """In CI a test that needs pcscd or Chromium fails instead of skipping: ``make test``
    installs both, so a missing one is a broken set-up, not something to pass over."""
    outcome = yield
    report = outcome.get_result()
    needs = any(item.get_closest_marker(marker) for marker in ("pcsc", "browser"))
    if report.skipped and needs and os.environ.get("CI") == "true":
        report.outcome = "failed"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of a file with a ``slow`` test before the other files, the files marked
    ``slow(seconds=…)`` first, the most seconds first (a stable sort: collection order
    otherwise, the same on every xdist worker)."""
    weight: dict[Path, float] = {}
    for item in items:
        for marker in item.iter_markers("slow"):
            seconds = float(marker.kwargs.get("seconds", 1))
            weight[item.path] = max(weight.get(item.path, 0.0), seconds)
    items.sort(key=lambda item: -weight.get(item.path, 0.0))


class Dropper:
    """Drops test databases (``prefix_*``) on a thread of its own, in the order asked:
    ``DROP DATABASE`` takes a while per database and a federation has one per
    organisation, so a module's teardown only queues the work."""

    def __init__(self) -> None:
        self.work: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.thread = threading.Thread(target=self.run, name="drop-databases", daemon=True)
        self.failures: list[str] = []

    def later(self, server_url: str, prefix: str) -> None:
        if not self.thread.is_alive():
            self.thread.start()
        self.work.put((server_url, prefix))

    def run(self) -> None:
        while (job := self.work.get()) is not None:
            try:
                drop_postgres_databases(*job)
            except Exception as exc:  # reported when the session ends
                self.failures.append(f"{job[1]}: {exc!r}")

    def close(self) -> None:
        if self.thread.is_alive():
            self.work.put(None)
            self.thread.join()
        assert not self.failures, f"test databases not dropped: {self.failures}"


@pytest.fixture(scope="session")
def drop_databases() -> Iterator[Callable[[str, str], None]]:
    """``drop(server_url, prefix)``: drop the test databases ``prefix_*`` soon, in the
    background (every drop is done before the session ends)."""
    dropper = Dropper()
    yield dropper.later
    dropper.close()


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
    """Settings for a test federation: its own data folder and, on PostgreSQL, databases.

    The login and staff sign-in rate limits are off: every in-process request comes from one
    address, and a module's tests share a federation; tests of the limits turn them on."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "seed_residents": 0,
        "login_rate_per_minute": 0,
        "staff_sign_in_rate_per_minute": 0,
    }
    if kind == "postgres":
        values["database_url"] = POSTGRES_URL
        values["database_prefix"] = f"mnt_{secrets.token_hex(4)}"
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings_for(database_kind: str) -> Callable[..., Settings]:
    """Settings for a test's own data folder (and its own PostgreSQL databases)."""
    return partial(make_settings, kind=database_kind)


@pytest.fixture(scope="session")
def made_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding only the RSA keys a federation makes on its first start (the
    platform operator's TSA root and TSA, the portal's ID-token key), made once per worker:
    generating them is ~0.35 s a federation. The ``fed`` of each module starts with copies."""
    folder = tmp_path_factory.mktemp("made-keys")
    TimeStampAuthority.load_or_create(folder / "trustplatform" / "tsa")
    load_or_create_signing_key(folder / "portal")
    return folder


@pytest.fixture(scope="module")
def fed(
    tmp_path_factory: pytest.TempPathFactory,
    database_kind: str,
    drop_databases: Callable[[str, str], None],
    made_keys: Path,
) -> Iterator[federation.Federation]:
    """A whole federation in-process (no sockets), with empty registries."""
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(made_keys, data, dirs_exist_ok=True)
    settings = make_settings(data, database_kind)
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


@pytest.fixture(scope="module")
def http(fed: federation.Federation) -> httpx.Client:
    """An HTTP client of the federation acting as each organisation's local administrator
    (every staff permission): paths start with the organisation's mount."""
    return fed.admin_http


def staff_headers(fed: federation.Federation, org: str, roles: list[str]) -> dict[str, str]:
    """``Authorization`` for a new staff member of ``org`` with ``roles`` (a token an
    administrator issued; the card enrolled is a made-up serial: tokens need no card)."""
    staff = fed.services(org).staff
    member = staff.add(
        name=f"職員 {secrets.token_hex(2)}", roles=roles, auth_serial=secrets.token_hex(8)
    )
    return {"Authorization": f"Bearer {staff.issue_token(member.id).token}"}


@pytest.fixture(scope="module")
def as_staff(fed: federation.Federation) -> Callable[[str, list[str]], dict[str, str]]:
    """Makes a staff member of an organisation with the given roles; their headers."""
    return partial(staff_headers, fed)


@pytest.fixture(scope="module")
def reissue(fed: federation.Federation) -> Callable[..., httpx.Response]:
    """個人番号の変更 in its two steps: the local administrator asks, a second supervisor
    approves; the approval's response (or the refused request's)."""

    def run(code: str, resident_id: str, reason: str = "leak") -> httpx.Response:
        base = f"/municipality/{code}/api"
        asked = fed.admin_http.post(
            f"{base}/residents/{resident_id}/reissue-number", json={"reason": reason}
        )
        if asked.status_code != 202:
            return asked
        headers = staff_headers(fed, f"municipality-{code}", ["supervisor"])
        return fed.directory.http.post(
            f"{base}/reissue-requests/{asked.json()['id']}/approve", headers=headers
        )

    return run


def local_admin_token(settings: Settings, org: str) -> str:
    """A bearer token of ``org``'s local administrator, minted on its database (for tests
    that drive a running server, as ``mynumber staff token`` does for an operator)."""
    engine = create_org_engine(settings, org)
    try:
        staff = Staff(engine=engine, org=org, roles=Roles.of(), authority=None)
        return staff.local_admin_token()
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def admin_token() -> Callable[[Settings, str], str]:
    """Mints a local administrator's token for an organisation of a running server."""
    return local_admin_token


@pytest.fixture(scope="module")
def anonymous(fed: federation.Federation) -> httpx.Client:
    """An HTTP client of the federation with no credential at all."""
    return fed.directory.http


KATAKANA = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "葵", "湊", "凛", "悠真")
ADDRESS = {"131016": "東京都千代田区丸の内", "131041": "東京都新宿区西新宿"}

Person = Callable[..., dict[str, Any]]
NumberOf = Callable[[str, str], str | None]


def _kana(length: int = 4) -> str:
    return "".join(secrets.choice(KATAKANA) for _ in range(length))


def new_person(municipality: str = "131016", **overrides: Any) -> dict[str, Any]:
    """A registration body for a person nobody registered yet (the address is unique)."""
    body: dict[str, Any] = {
        "family_name": secrets.choice(FAMILY),
        "given_name": secrets.choice(GIVEN),
        "family_name_kana": _kana(),
        "given_name_kana": _kana(),
        "birth_date": date(
            1950 + secrets.randbelow(70), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28)
        ).isoformat(),
        "sex": secrets.choice("12"),
        "address": f"{ADDRESS[municipality]}{1 + secrets.randbelow(9)}丁目"
        f"{secrets.randbelow(10**6)}番{secrets.randbelow(10**6)}号",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def person() -> Person:
    """Makes registration bodies (a plain function, so any scope may use it)."""
    return new_person


@pytest.fixture
def number_of(fed: federation.Federation) -> NumberOf:
    """The My Number a municipality holds for a resident record, read from its database
    (the API only ever shows it masked)."""

    def read(municipality: str, resident_id: str) -> str | None:
        with fed.municipality(municipality).engine.connect() as conn:
            value = conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        return None if value is None else str(value)

    return read
