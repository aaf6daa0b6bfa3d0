"""Bulk seeding through J-LIS's API into a registry, on the fixture's database."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import text

from mynumber import federation
from mynumber.number import validate, validate_resident_code

CHIYODA, SHINJUKU = "131016", "131041"
COUNT = 3000


def rows(fed: federation.Federation, code: str, sql: str, **params: object) -> list[tuple]:
    with fed.municipality(code).engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


@pytest.fixture(scope="module")
def seeded(fed: federation.Federation) -> dict[str, object]:
    progress: list[int] = []
    issued = fed.directory.http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"]
    report = fed.seed(CHIYODA, COUNT, progress.append)
    return {"report": report, "progress": progress, "issued_before": issued}


def test_seed_registers_the_number_of_residents_asked(fed, http, seeded):
    report = seeded["report"]
    assert report.residents == COUNT
    assert sum(seeded["progress"]) == COUNT
    listed = http.get(f"/municipality/{CHIYODA}/api/residents", params={"limit": 1}).json()
    assert listed["total"] == COUNT
    [(households,)] = rows(fed, CHIYODA, "SELECT count(*) FROM households")
    assert households == report.households
    jlis = http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"]
    assert jlis == seeded["issued_before"] + COUNT


def test_seeded_codes_and_numbers_are_valid_and_distinct(fed, seeded):
    found = rows(fed, CHIYODA, "SELECT resident_code, my_number FROM residents")
    codes = [c for c, _ in found]
    numbers = [n for _, n in found]
    assert len(found) == COUNT
    assert len(set(codes)) == COUNT
    assert len(set(numbers)) == COUNT
    assert all(validate_resident_code(c) == c for c in codes)
    assert all(n is not None and validate(n) == n for n in numbers)


def test_seeded_households_are_consistent(fed, seeded):
    members = rows(
        fed,
        CHIYODA,
        "SELECT r.household_id, r.address, h.address, r.relationship, r.status "
        "FROM residents r JOIN households h ON h.id = r.household_id",
    )
    assert len(members) == COUNT
    by_household: dict[str, list[tuple]] = defaultdict(list)
    for member in members:
        by_household[member[0]].append(member)
    for household in by_household.values():
        assert {m[1] for m in household} == {household[0][2]}  # one address, the household's
        assert all(m[4] == "active" for m in household)
    heads = sum(1 for m in members if m[3] == "世帯主")
    assert heads >= len(by_household) - 1  # only the last household may be cut short
    [(empty,)] = rows(
        fed,
        CHIYODA,
        "SELECT count(*) FROM households h WHERE NOT EXISTS "
        "(SELECT 1 FROM residents r WHERE r.household_id = h.id)",
    )
    assert empty == 0


def test_seeding_another_municipality_never_reuses_a_code_or_number(fed, seeded):
    report = fed.seed(SHINJUKU, 300)
    assert report.residents == 300
    chiyoda = rows(fed, CHIYODA, "SELECT resident_code, my_number FROM residents")
    shinjuku = rows(fed, SHINJUKU, "SELECT resident_code, my_number FROM residents")
    assert not {c for c, _ in chiyoda} & {c for c, _ in shinjuku}
    assert not {n for _, n in chiyoda} & {n for _, n in shinjuku}


def test_registration_after_seeding_works(fed, http, seeded):
    body = {
        "family_name": "新井",
        "given_name": "一郎",
        "family_name_kana": "アライ",
        "given_name_kana": "イチロウ",
        "birth_date": "2024-02-29",
        "sex": "1",
        "address": "東京都千代田区一番町99丁目99番99号",
    }
    response = http.post(f"/municipality/{CHIYODA}/api/residents", json=body)
    assert response.status_code == 201, response.text
    [(number,)] = rows(
        fed, CHIYODA, "SELECT my_number FROM residents WHERE id = :id", id=response.json()["id"]
    )
    assert validate(number) == number
    [(same,)] = rows(fed, CHIYODA, "SELECT count(*) FROM residents WHERE my_number = :n", n=number)
    assert same == 1
    found = http.post(f"/municipality/{CHIYODA}/api/residents/search", json={"my_number": number})
    assert found.json()["id"] == response.json()["id"]


def test_a_seeded_resident_can_move_with_their_number(fed, http, seeded):
    [(resident_id, number)] = rows(
        fed,
        CHIYODA,
        "SELECT id, my_number FROM residents WHERE status = 'active' ORDER BY id LIMIT 1",
    )
    response = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident_id}/move",
        json={"to": SHINJUKU, "address": "東京都新宿区四谷1丁目2番3号"},
    )
    assert response.status_code == 200, response.text
    found = http.post(f"/municipality/{SHINJUKU}/api/residents/search", json={"my_number": number})
    assert found.json()["id"] == response.json()["residents"][0]["id"]
