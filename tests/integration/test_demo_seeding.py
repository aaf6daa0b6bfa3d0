"""The demo seeding works through the organisations' APIs: the municipality's paged export
of its residents, each bank's counter route and the account registry operator's bulk
registration, each recorded in the access log of the organisation that did the work.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every call is HTTP in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from mynumber.devices.clinic import CardReader, Terminal
from mynumber.devices.phone.wallet import open_card
from mynumber.number import validate

CHIYODA = "131016"
CHIYODA_ORG = f"municipality-{CHIYODA}"
EXPORT = f"/municipality/{CHIYODA}/api/residents/export"
BULK = "/accounts/api/registrations/bulk"
SEEDED = 37


@pytest.fixture(scope="module", autouse=True)
def residents(fed) -> int:
    return fed.seed(CHIYODA, SEEDED).residents


def export_all(http: httpx.Client, *, limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = http.post(EXPORT, json={"after": after, "limit": limit})
        assert page.status_code == 200, page.text
        found.extend(page.json()["residents"])
        after = page.json()["next"]
        if after is None:
            return found


def test_the_demo_seeding_works_through_the_apis_and_leaves_its_trace(fed, http):
    assert fed.seed_linkage() > 0
    # the demo cards go with the records, as at start-up: the holder is the first adult of the
    # register's list (by kana), which a resident registered by a later test could head
    assert fed.issue_demo_cards()
    assert fed.seed_accounts() > 0
    assert fed.seed_accounts() == 0  # once
    actions = {
        org: {e["action"] for e in fed.services(org).staff.log_entries(limit=100_000)}
        for org in (CHIYODA_ORG, "bank-0001", "accounts")
    }
    assert {"residents.export", "linkage.enrol", "taxes.record"} <= actions[CHIYODA_ORG]
    assert "accounts.open" in actions["bank-0001"]  # the back office's bulk opening
    assert "accounts.register_bulk" in actions["accounts"]
    assert http.get("/tax/healthz").json()["taxpayers"] > 0


def test_the_export_pages_through_every_active_resident_with_their_number(http):
    active = http.get(f"/municipality/{CHIYODA}/api/residents", params={"limit": 1}).json()
    exported = export_all(http, limit=5)
    ids = [r["id"] for r in exported]
    assert len(exported) == active["total"] >= SEEDED
    assert ids == sorted(set(ids))
    assert all(validate(r["my_number"]) == r["my_number"] for r in exported)
    assert export_all(http, limit=1000) == exported


def test_each_exported_resident_sees_the_export_in_the_access_log(fed, http):
    first = http.post(EXPORT, json={"limit": 3}).json()["residents"]
    staff = fed.services(CHIYODA_ORG).staff
    for resident in first:
        entries = staff.log_entries(person=resident["id"])
        assert entries[-1]["action"] == "residents.export"
        assert entries[-1]["purpose"] == "administration"
        assert resident["my_number"] not in str(entries)


def test_only_a_data_steward_exports_and_says_why(anonymous, as_staff):
    clerk = as_staff(CHIYODA_ORG, ["clerk"])
    assert anonymous.post(EXPORT, json={}, headers=clerk).status_code == 403
    steward = as_staff(CHIYODA_ORG, ["data_steward"])
    unsaid = anonymous.post(EXPORT, json={"limit": 2}, headers=steward)
    assert unsaid.status_code == 422
    assert unsaid.json()["field"] == "purpose"
    said = anonymous.post(
        EXPORT, params={"purpose": "correction"}, json={"limit": 2}, headers=steward
    )
    assert said.status_code == 200
    assert len(said.json()["residents"]) == 2


@pytest.mark.parametrize(
    "body",
    [{"limit": 0}, {"limit": 5001}, {"after": "x" * 17}, {"limit": "many"}, {"after": 7}],
)
def test_an_export_out_of_bounds_is_refused(http, body):
    response = http.post(EXPORT, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def opened(http: httpx.Client, kana: str) -> dict[str, Any]:
    response = http.post(
        "/bank/0001/api/accounts", json={"branch_code": "001", "holder_kana": kana}
    )
    assert response.status_code == 201, response.text
    return response.json()


def registered(http: httpx.Client) -> int:
    return int(http.get("/accounts/healthz").json()["registered"])


def test_the_registry_operator_registers_in_bulk_and_skips_unknown_numbers(
    fed, http, person, number_of
):
    made = http.post(f"/municipality/{CHIYODA}/api/residents", json=person()).json()
    my_number = number_of(CHIYODA, made["id"])
    kana = f"{made['family_name_kana']} {made['given_name_kana']}"
    account = opened(http, kana)
    before = registered(http)
    unknown = "123456789018"  # a valid check digit, never issued
    assert validate(unknown) == unknown
    entry = {
        "bank_code": "0001",
        "branch_code": account["branch_code"],
        "deposit_type": account["deposit_type"],
        "account_number": account["account_number"],
        "holder_kana": account["holder_kana"],
    }
    response = http.post(
        BULK,
        json={
            "registrations": [
                {"my_number": my_number, "account": entry},
                {"my_number": unknown, "account": entry},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"registered": 1}
    assert registered(http) == before + 1
    logged = fed.accounts().staff.log_entries()[-1]
    assert logged["action"] == "accounts.register_bulk"
    assert my_number not in str(logged)


@pytest.mark.parametrize(
    "registration",
    [
        {"my_number": "12345", "account": {}},
        {
            "my_number": "123456789018",
            "account": {
                "bank_code": "0001",
                "branch_code": "001",
                "account_number": "1234567",
                "holder_kana": "佐藤",
            },
        },
    ],
)
def test_a_bad_bulk_registration_is_refused_whole(http, registration):
    before = registered(http)
    response = http.post(BULK, json={"registrations": [registration]})
    assert response.status_code == 422
    assert registered(http) == before


def test_the_bulk_registration_needs_the_registry_operator(anonymous, as_staff):
    assert anonymous.post(BULK, json={"registrations": []}).status_code == 401
    operator = as_staff("accounts", ["operator"])
    answer = anonymous.post(BULK, json={"registrations": []}, headers=operator)
    assert answer.status_code == 200
    assert answer.json() == {"registered": 0}


def test_a_bulk_opening_that_reuses_a_number_opens_nothing(http):
    before = http.get("/bank/0005/healthz").json()["accounts"]
    account = {"branch_code": "001", "account_number": "7654321", "holder_kana": "サトウ ハナコ"}
    response = http.post("/bank/0005/api/accounts/bulk", json={"accounts": [account, account]})
    assert response.status_code == 409
    assert http.get("/bank/0005/healthz").json()["accounts"] == before


def test_a_demo_card_is_registered_and_confirms_valid_eligibility_at_the_demo_clinic(fed, http):
    fed.seed_linkage()  # once: both no-ops if the first test ran
    fed.issue_demo_cards()
    note = next(n for n in fed.demo_wallet() if n["municipality"] == CHIYODA)
    reader = CardReader(open_card(Path(note["path"]), fed.settings.data_dir / "card-seal.key"))
    confirmed = Terminal(http, "/clinic/1311234567").confirm(reader, pin=note["auth_pin"])
    root = fromstring(confirmed.xml)
    found = {e.tag: e.text or "" for e in root.iter() if len(e) == 0}
    assert found["QualificationValidity"] == "1"
    assert len(found["InsurerNumber"]) == 8 and found["InsurerNumber"].isdigit()
    assert len(found["InsuredBranchNumber"]) == 2 and found["InsuredBranchNumber"].isdigit()
    assert found["Name"].replace("\u3000", " ") == note["holder"]
