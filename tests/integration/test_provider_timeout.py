"""The hub's deadline on a provider, over real sockets: a provider slower than the deadline is
an unavailable one — the requester gets 503 ``provider_unavailable`` and the person's records
keep the failed exchange with its reason. (In one process the in-process transport carries no
deadline, so this federation is served by uvicorn and wired by URLs, as ``mynumber run`` is.)
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from mynumber import federation
from mynumber.orgs.hub import app as hub_app
from mynumber.platform.db import drop_postgres_databases
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
API = f"/municipality/{CHIYODA}/api"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, settings_for: Any) -> Iterator[Any]:
    """Every organisation on one real socket; organisations call each other by URL."""
    port = _free_port()
    settings = settings_for(tmp_path_factory.mktemp("data"), port=port)
    fed = federation.build(settings, in_process=False)
    web = uvicorn.Server(uvicorn.Config(fed.root, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield fed
    web.should_exit = True
    thread.join(timeout=10)
    fed.close()
    if settings.database_url:
        drop_postgres_databases(settings.database_url, settings.database_prefix)


@pytest.fixture(scope="module")
def client(served) -> Iterator[httpx.Client]:
    admin = federation.LocalAdministrator(served)  # the staff side acts as its administrator
    with httpx.Client(base_url=served.settings.base_url, timeout=30, auth=admin) as http:
        yield http


@pytest.fixture(scope="module")
def claimant(served, client, person) -> dict[str, Any]:
    """A resident of Chiyoda with income filed at the tax office, enrolled for codes."""
    resident = client.post(f"{API}/residents", json=person())
    assert resident.status_code == 201, resident.text
    resident_id = resident.json()["id"]
    with served.municipality(CHIYODA).engine.connect() as conn:
        number = conn.execute(
            text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
        ).scalar_one()
    filing = {"my_number": number, "year": 2024, "income_yen": 3_900_000}
    assert client.post("/tax/api/filings", json={"filings": [filing]}).status_code == 200
    return dict(resident.json())


def test_a_provider_in_time_answers_over_the_network(client, claimant) -> None:
    response = client.post(f"{API}/residents/{claimant['id']}/linkage/income")
    assert response.status_code == 200, response.text
    assert response.json()["income"] == [{"year": 2024, "income_yen": 3_900_000}]


def test_a_provider_slower_than_the_deadline_gives_503_and_a_record(
    served, client, claimant, monkeypatch
) -> None:
    """The provider answers only once the requester has its 503 (or after a minute, when the
    hub has wrongly waited): the order of the two events shows the hub gave up at its deadline,
    however slow the machine is."""
    office = served.agency("tax").agency
    answer = office.provide
    released, answered = threading.Event(), threading.Event()

    def slow(uow: UnitOfWork, request: Any) -> str:
        released.wait(timeout=60)
        try:
            return str(answer(uow, request))
        finally:
            answered.set()

    monkeypatch.setattr(hub_app, "PROVIDER_TIMEOUT", 0.5)
    monkeypatch.setattr(office, "provide", slow)

    response = client.post(f"{API}/residents/{claimant['id']}/linkage/income")

    provider_had_answered = answered.is_set()
    released.set()
    assert response.status_code == 503, response.text
    assert response.json()["title"] == "provider_unavailable"
    assert not provider_had_answered  # the hub gave up at its deadline, not when it answered
    assert answered.wait(timeout=30)
    monkeypatch.undo()
    records = client.get(f"{API}/residents/{claimant['id']}/linkage/records").json()
    failed = records[-1]
    assert (failed["provider"], failed["outcome"]) == ("tax", "provider_unavailable")
    assert "Timeout" in failed["reason"]
