"""Everyone is known to the hub: registration and move-in enrol the person (符号取得) at once;
an outage of J-LIS's enrolment does not lose the registration, and the person is enrolled
later (on next use, or by the sweep of a later registration); seeding enrols everyone, and
the demo card holder gets agency records.

Every hop is a real signed HTTP request carried in-process; the outage is the network
refusing J-LIS's enrolment route for a while.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from test_portal_login import log_in

from mynumber import federation
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.municipality import store as registry_store
from mynumber.orgs.municipality.services.linkage import SWEEP_INTERVAL
from mynumber.platform.http import InProcessTransport
from mynumber.reader import JPKIClient

CHIYODA, SHINJUKU = "131016", "131041"


def register(http: httpx.Client, body: dict[str, Any], code: str = CHIYODA) -> dict[str, Any]:
    response = http.post(f"/municipality/{code}/api/residents", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def agency_code(fed, code: str, resident_id: str) -> str | None:
    """The municipality's agency code for the resident (None: not enrolled)."""
    a = registry_store.agency_codes.c
    with fed.municipality(code).engine.connect() as conn:
        found = conn.scalar(select(a.code).where(a.resident_id == resident_id))
    return None if found is None else str(found)


def file_income(http: httpx.Client, number: str, income: int) -> None:
    filings = [{"my_number": number, "year": 2024, "income_yen": income}]
    response = http.post("/tax/api/filings", json={"filings": filings})
    assert response.status_code == 200, response.text


class _Refusing(httpx.BaseTransport):
    """The network while J-LIS's enrolment route is out: its connections are refused."""

    def __init__(self, inner: httpx.BaseTransport, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(self.prefix):
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)


@contextmanager
def jlis_enrolment_down(fed) -> Iterator[None]:
    """Every organisation's calls to ``/jlis/linkage/`` fail, for a while."""
    directory = fed.directory
    working = directory.http
    directory.http = httpx.Client(
        transport=_Refusing(working._transport, "/jlis/linkage/"),
        base_url=working.base_url,
        timeout=60.0,
    )
    try:
        yield
    finally:
        directory.http = working


def test_a_newly_registered_resident_is_enrolled_and_linkage_works_without_an_enrol_call(
    fed, http, person, number_of
):
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    assert number is not None
    file_income(http, number, 3_300_000)

    assert agency_code(fed, CHIYODA, resident["id"]) is not None
    income = http.post(f"/municipality/{CHIYODA}/api/residents/{resident['id']}/linkage/income")
    assert income.status_code == 200, income.text
    assert income.json()["income"] == [{"year": 2024, "income_yen": 3_300_000}]


def test_a_moved_in_resident_is_enrolled_at_the_new_municipality(fed, http, person, number_of):
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    assert number is not None
    file_income(http, number, 5_100_000)

    moved = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident['id']}/move",
        json={"to": SHINJUKU, "address": "東京都新宿区四谷3丁目4番5号"},
    )

    assert moved.status_code == 200, moved.text
    new_id = moved.json()["residents"][0]["id"]
    new_code = agency_code(fed, SHINJUKU, new_id)
    assert new_code is not None and new_code != agency_code(fed, CHIYODA, resident["id"])
    income = http.post(f"/municipality/{SHINJUKU}/api/residents/{new_id}/linkage/income")
    assert income.status_code == 200, income.text
    assert income.json()["income"] == [{"year": 2024, "income_yen": 5_100_000}]


def test_registration_stands_through_an_enrolment_outage_and_the_next_use_enrols(
    fed, http, person, number_of
):
    with jlis_enrolment_down(fed):
        resident = register(http, person())

    assert agency_code(fed, CHIYODA, resident["id"]) is None  # left for later, not lost
    assert http.get(f"/municipality/{CHIYODA}/api/residents/{resident['id']}").status_code == 200
    number = number_of(CHIYODA, resident["id"])
    assert number is not None
    file_income(http, number, 2_900_000)

    income = http.post(f"/municipality/{CHIYODA}/api/residents/{resident['id']}/linkage/income")

    assert income.status_code == 200, income.text
    assert agency_code(fed, CHIYODA, resident["id"]) is not None


def test_the_next_registration_sweeps_in_whoever_an_outage_left_unenrolled(fed, http, person):
    linkage = fed.municipality(CHIYODA).linkage
    linkage.sweep_interval = 0.0  # no pause between sweeps: the test does not wait a minute
    try:
        with jlis_enrolment_down(fed):
            left = register(http, person())
            also_left = register(http, person())
        assert agency_code(fed, CHIYODA, left["id"]) is None
        assert agency_code(fed, CHIYODA, also_left["id"]) is None

        later = register(http, person())
    finally:
        linkage.sweep_interval = SWEEP_INTERVAL

    assert agency_code(fed, CHIYODA, later["id"]) is not None
    assert agency_code(fed, CHIYODA, left["id"]) is not None
    assert agency_code(fed, CHIYODA, also_left["id"]) is not None


def test_seeding_enrols_every_seeded_resident(fed):
    report = fed.seed(SHINJUKU, 350)

    r, a = registry_store.residents.c, registry_store.agency_codes.c
    with fed.municipality(SHINJUKU).engine.connect() as conn:
        unenrolled = conn.scalar(
            select(func.count())
            .select_from(
                registry_store.residents.outerjoin(
                    registry_store.agency_codes, a.resident_id == r.id
                )
            )
            .where(r.status == "active", a.code.is_(None))
        )
    assert report.enrolled >= 350
    assert unenrolled == 0


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, settings_for, drop_databases) -> Iterator[federation.Federation]:
    """A federation of its own, whose agencies hold no records yet (as on a first start)."""
    settings = settings_for(tmp_path_factory.mktemp("fresh"))
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def test_the_demo_card_holder_sees_tax_pension_and_insurance_on_my_information(fresh):
    """Even when the agencies' demo records go to only one resident, the card holder's too:
    the demo card logs in and わたしの情報 shows every agency's record."""
    fed, http = fresh, fresh.admin_http
    fed.seed(CHIYODA, 40)
    holder = fed.demo_holder(CHIYODA)
    assert holder is not None

    fed.seed_linkage(per_municipality=1)
    fed.issue_demo_cards()

    note = next(c for c in fed.demo_wallet() if c["municipality"] == CHIYODA)
    assert note["resident_id"] == holder["id"]
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(CardFile(note["path"]).load(), seal_key=seal)
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as pc:
        log_in(pc, http, {"client": JPKIClient(ChipTransport(chip))})
        page = pc.get("/portal/information")

    assert page.status_code == 200, page.text
    for provider in ("tax", "pension", "insurer", "municipality"):
        shown = page.text.split(f'id="self-{provider}"')[1].split("</section>")[0]
        assert "No record held" not in shown, provider
        assert "Not available now" not in shown, provider
    income = http.post(f"/municipality/{CHIYODA}/api/residents/{holder['id']}/linkage/income")
    assert income.status_code == 200, income.text
    assert len(income.json()["income"]) == 3  # three years of filings


@pytest.fixture(scope="module", autouse=True)
def _no_leftover_outage(fed) -> Iterator[None]:
    working = fed.directory.http
    yield
    assert fed.directory.http is working
