"""The resident registry through its JSON API: births, households, moves, deaths, races.

Every test runs against the federation's database (SQLite, or PostgreSQL with
``--database=postgres``); org-to-org calls (J-LIS, the other municipality) are real
signed HTTP requests carried in-process.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest

from mynumber import jst
from mynumber.number import mask, validate, validate_resident_code
from mynumber.platform.signing import Identity, KeyFolder

CHIYODA, SHINJUKU = "131016", "131041"
API = {code: f"/municipality/{code}/api" for code in (CHIYODA, SHINJUKU)}


def register(http: httpx.Client, body: dict[str, Any], code: str = CHIYODA) -> dict[str, Any]:
    response = http.post(f"{API[code]}/residents", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def total(http: httpx.Client, code: str) -> int:
    """How many records the municipality holds, whatever their status."""
    response = http.get(f"{API[code]}/residents", params={"status": "", "limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def numbers_issued(http: httpx.Client) -> int:
    return int(http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"])


def find_by_number(http: httpx.Client, code: str, number: str) -> httpx.Response:
    return http.post(f"{API[code]}/residents/search", json={"my_number": number})


def assert_problem(response: httpx.Response, status: int, title: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if title is not None:
        assert response.json()["title"] == title


# --- registration ------------------------------------------------------------------------


def test_birth_starts_a_household_with_a_valid_resident_code(http, person):
    body = person()
    resident = register(http, body)

    assert validate_resident_code(resident["resident_code"]) == resident["resident_code"]
    assert resident["status"] == "active"
    assert resident["registered_reason"] == "birth"
    assert resident["relationship"] == "世帯主"
    assert resident["address"] == body["address"]
    household = http.get(f"{API[CHIYODA]}/households/{resident['household_id']}").json()
    assert household["address"] == body["address"]
    assert [m["id"] for m in household["members"]] == [resident["id"]]


def test_birth_into_a_household_takes_the_household_address(http, person):
    head = register(http, person())
    child_body = person(
        birth_date=(jst.today() - timedelta(days=3)).isoformat(),
        household_id=head["household_id"],
        relationship="子",
        address=None,
    )
    child = register(http, child_body)

    assert child["household_id"] == head["household_id"]
    assert child["address"] == head["address"]
    assert child["relationship"] == "子"
    household = http.get(f"{API[CHIYODA]}/households/{head['household_id']}").json()
    assert {m["id"] for m in household["members"]} == {head["id"], child["id"]}


def test_joining_an_unknown_household_is_refused(http, person):
    before = total(http, CHIYODA)
    response = http.post(
        f"{API[CHIYODA]}/residents", json=person(household_id="0000000000000000", address=None)
    )
    assert_problem(response, 404, "household_not_found")
    assert total(http, CHIYODA) == before


def test_registration_designates_a_my_number_found_by_search(fed, http, person, number_of):
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])

    assert number is not None and validate(number) == number
    assert resident["my_number_masked"] == mask(number)
    found = find_by_number(http, CHIYODA, number)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == resident["id"]
    by_code = http.post(
        f"{API[CHIYODA]}/residents/search", json={"resident_code": resident["resident_code"]}
    )
    assert by_code.json()["id"] == resident["id"]
    # J-LIS, asked again for the same code, answers the number the municipality holds
    jlis = fed.registry(CHIYODA).jlis
    answer = jlis.request("POST", "/numbers", {"resident_codes": [resident["resident_code"]]})
    assert answer["numbers"] == [number]


def test_residents_get_distinct_codes_and_numbers(http, person, number_of):
    residents = [register(http, person()) for _ in range(10)]
    codes = {r["resident_code"] for r in residents}
    numbers = {number_of(CHIYODA, r["id"]) for r in residents}
    assert len(codes) == len(numbers) == 10


def test_second_registration_of_the_same_person_is_refused_and_changes_nothing(http, person):
    body = person()
    register(http, body)
    before, issued = total(http, CHIYODA), numbers_issued(http)

    again = http.post(f"{API[CHIYODA]}/residents", json=body)

    assert_problem(again, 409, "already_registered")
    assert total(http, CHIYODA) == before
    assert numbers_issued(http) == issued


def test_same_person_registered_by_eight_clerks_at_once_is_recorded_once(http, person):
    body = person()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def clerk() -> None:
        barrier.wait()
        statuses.append(http.post(f"{API[CHIYODA]}/residents", json=body).status_code)

    threads = [threading.Thread(target=clerk) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == [201] + [409] * 7
    found = http.get(f"{API[CHIYODA]}/residents", params={"q": body["address"]}).json()
    assert found["total"] == 1


def test_idempotency_key_returns_the_same_resident(http, person):
    body = person(idempotency_key="birth-2024-000123-" + person()["family_name_kana"])
    first = register(http, body)
    before = total(http, CHIYODA)

    retry = http.post(f"{API[CHIYODA]}/residents", json=body)

    assert retry.status_code in (200, 201), retry.text
    assert retry.json()["id"] == first["id"]
    assert retry.json()["resident_code"] == first["resident_code"]
    assert total(http, CHIYODA) == before


def test_concurrent_registrations_never_share_a_code_or_a_number(http, person, number_of):
    """8 clerks × 10 different people at once, on the fixture's database."""
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def clerk() -> None:
        bodies = [person() for _ in range(10)]
        barrier.wait()
        for body in bodies:
            response = http.post(f"{API[CHIYODA]}/residents", json=body)
            with lock:
                if response.status_code == 201:
                    results.append(response.json())
                else:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=clerk) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert len(results) == 80
    codes = [r["resident_code"] for r in results]
    numbers = [number_of(CHIYODA, r["id"]) for r in results]
    assert len(set(codes)) == 80
    assert None not in numbers
    assert len(set(numbers)) == 80


# --- moves -------------------------------------------------------------------------------


def test_move_keeps_the_my_number_and_hands_the_record_over(http, person, number_of):
    old = register(http, person())
    number = number_of(CHIYODA, old["id"])
    new_address = person(SHINJUKU)["address"]

    response = http.post(
        f"{API[CHIYODA]}/residents/{old['id']}/move", json={"to": SHINJUKU, "address": new_address}
    )

    assert response.status_code == 200, response.text
    [moved] = response.json()["residents"]
    assert moved["municipality"] == SHINJUKU
    assert moved["registered_reason"] == "move_in"
    assert moved["moved_from"] == CHIYODA
    assert moved["address"] == new_address
    assert moved["resident_code"] == old["resident_code"]
    assert number_of(SHINJUKU, moved["id"]) == number
    found = find_by_number(http, SHINJUKU, number)
    assert found.status_code == 200 and found.json()["id"] == moved["id"]

    left = http.get(f"{API[CHIYODA]}/residents/{old['id']}").json()
    assert left["status"] == "moved_out"
    assert left["moved_to"] == SHINJUKU
    assert left["left_on"] == jst.today().isoformat()
    assert_problem(find_by_number(http, CHIYODA, number), 404, "resident_not_found")


def test_move_of_the_whole_household_moves_every_member(http, person, number_of):
    head = register(http, person(sex="1"))
    spouse = register(
        http,
        person(sex="2", household_id=head["household_id"], relationship="妻", address=None),
    )
    child = register(
        http,
        person(
            birth_date="2015-05-05",
            household_id=head["household_id"],
            relationship="子",
            address=None,
        ),
    )
    numbers = {r["resident_code"]: number_of(CHIYODA, r["id"]) for r in (head, spouse, child)}
    new_address = person(SHINJUKU)["address"]

    response = http.post(
        f"{API[CHIYODA]}/residents/{child['id']}/move",
        json={"to": SHINJUKU, "address": new_address, "whole_household": True},
    )

    assert response.status_code == 200, response.text
    moved = response.json()["residents"]
    assert len(moved) == 3
    assert len({m["household_id"] for m in moved}) == 1
    assert moved[0]["resident_code"] == head["resident_code"]
    assert {m["resident_code"]: m["relationship"] for m in moved} == {
        head["resident_code"]: "世帯主",
        spouse["resident_code"]: "妻",
        child["resident_code"]: "子",
    }
    for m in moved:
        assert m["address"] == new_address
        number = numbers[m["resident_code"]]
        assert number_of(SHINJUKU, m["id"]) == number
        assert find_by_number(http, SHINJUKU, number).json()["id"] == m["id"]
    for old in (head, spouse, child):
        assert http.get(f"{API[CHIYODA]}/residents/{old['id']}").json()["status"] == "moved_out"
    household = http.get(f"{API[SHINJUKU]}/households/{moved[0]['household_id']}").json()
    assert household["address"] == new_address


def test_retrying_a_move_in_transfer_changes_nothing(fed, http, person, number_of):
    resident = register(http, person())
    transfer = {
        "moved_from": CHIYODA,
        "moved_on": jst.today().isoformat(),
        "address": person(SHINJUKU)["address"],
        "members": [
            {
                key: resident[key]
                for key in (
                    "family_name",
                    "given_name",
                    "family_name_kana",
                    "given_name_kana",
                    "birth_date",
                    "sex",
                    "resident_code",
                )
            }
            | {"my_number": number_of(CHIYODA, resident["id"]), "relationship": "世帯主"}
        ],
    }
    peer = fed.registry(CHIYODA).peer(SHINJUKU)  # the client 千代田区 moves people with

    first = peer.move_in(transfer)
    before = total(http, SHINJUKU)
    second = peer.move_in(transfer)

    assert [r["id"] for r in second] == [r["id"] for r in first]
    assert total(http, SHINJUKU) == before


def test_move_in_is_refused_unless_signed_by_the_municipality_moved_from(fed, http, person):
    resident = register(http, person())
    transfer = {
        "moved_from": CHIYODA,
        "moved_on": jst.today().isoformat(),
        "address": person(SHINJUKU)["address"],
        "members": [
            {
                "family_name": resident["family_name"],
                "given_name": resident["given_name"],
                "family_name_kana": resident["family_name_kana"],
                "given_name_kana": resident["given_name_kana"],
                "birth_date": resident["birth_date"],
                "sex": resident["sex"],
                "resident_code": resident["resident_code"],
                "my_number": None,
                "relationship": "世帯主",
            }
        ],
    }
    path = f"{API[SHINJUKU]}/move-in"
    body = httpx.Request("POST", "http://x", json=transfer).read()
    keys = KeyFolder(fed.settings.data_dir / "keys")
    before = total(http, SHINJUKU)

    def post(org: str | None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if org is not None:
            headers |= Identity(org, keys.private_key(org)).sign("POST", path, body)
        return http.post(path, content=body, headers=headers)

    assert_problem(post(None), 401)
    assert_problem(post(f"municipality-{SHINJUKU}"), 403)  # to itself
    assert_problem(post("jlis"), 403)
    assert total(http, SHINJUKU) == before


def test_move_of_an_unknown_resident_is_not_found(http, person):
    response = http.post(
        f"{API[CHIYODA]}/residents/ffffffffffffffff/move",
        json={"to": SHINJUKU, "address": person(SHINJUKU)["address"]},
    )
    assert_problem(response, 404, "resident_not_found")


@pytest.mark.parametrize("to", ["999999", "131016"], ids=["unknown-code", "same-municipality"])
def test_move_to_an_impossible_municipality_is_refused_and_changes_nothing(http, person, to):
    resident = register(http, person())
    before = total(http, SHINJUKU)

    response = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/move",
        json={"to": to, "address": "どこか1丁目1番1号"},
    )

    assert_problem(response, 422)
    assert http.get(f"{API[CHIYODA]}/residents/{resident['id']}").json()["status"] == "active"
    assert total(http, SHINJUKU) == before


def test_move_to_a_municipality_outside_the_deployment_is_invalid_input(http, person):
    resident = register(http, person())
    response = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/move",
        json={"to": "131024", "address": "東京都中央区銀座1丁目1番1号"},
    )
    assert http.get(f"{API[CHIYODA]}/residents/{resident['id']}").json()["status"] == "active"
    assert_problem(response, 422)


def test_a_resident_who_moved_out_cannot_move_again(http, person):
    resident = register(http, person())
    move = {"to": SHINJUKU, "address": person(SHINJUKU)["address"]}
    assert http.post(f"{API[CHIYODA]}/residents/{resident['id']}/move", json=move).is_success

    again = http.post(f"{API[CHIYODA]}/residents/{resident['id']}/move", json=move)

    assert_problem(again, 409, "not_active")


def test_moving_back_gives_a_new_record_with_the_same_number(http, person, number_of):
    first = register(http, person())
    number = number_of(CHIYODA, first["id"])
    there = http.post(
        f"{API[CHIYODA]}/residents/{first['id']}/move",
        json={"to": SHINJUKU, "address": person(SHINJUKU)["address"]},
    ).json()["residents"][0]

    back = http.post(
        f"{API[SHINJUKU]}/residents/{there['id']}/move",
        json={"to": CHIYODA, "address": person(CHIYODA)["address"]},
    )

    assert back.status_code == 200, back.text
    [home] = back.json()["residents"]
    assert home["id"] != first["id"]
    assert home["resident_code"] == first["resident_code"]
    assert find_by_number(http, CHIYODA, number).json()["id"] == home["id"]
    assert_problem(find_by_number(http, SHINJUKU, number), 404)


# --- death and history -------------------------------------------------------------------


def test_death_closes_the_record_and_a_second_death_is_refused(http, person, number_of):
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    today = jst.today().isoformat()

    response = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/death", json={"died_on": today}
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "deceased"
    assert response.json()["left_on"] == today
    assert_problem(find_by_number(http, CHIYODA, number), 404)
    again = http.post(f"{API[CHIYODA]}/residents/{resident['id']}/death", json={"died_on": today})
    assert_problem(again, 409, "not_active")


@pytest.mark.parametrize(
    "died_on",
    ["tomorrow", "1900-01-01"],
    ids=["future", "before-birth"],
)
def test_implausible_date_of_death_is_refused(http, person, died_on):
    if died_on == "tomorrow":  # in Japan, worked out now (not when the suite was collected)
        died_on = (jst.today() + timedelta(days=1)).isoformat()
    resident = register(http, person(birth_date="1980-04-01"))
    response = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/death", json={"died_on": died_on}
    )
    assert_problem(response, 422)
    assert http.get(f"{API[CHIYODA]}/residents/{resident['id']}").json()["status"] == "active"


def test_death_of_an_unknown_resident_is_not_found(http):
    response = http.post(
        f"{API[CHIYODA]}/residents/ffffffffffffffff/death",
        json={"died_on": jst.today().isoformat()},
    )
    assert_problem(response, 404, "resident_not_found")


def test_history_records_every_change_in_order(http, person):
    resident = register(http, person())
    moved = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/move",
        json={"to": SHINJUKU, "address": person(SHINJUKU)["address"]},
    ).json()["residents"][0]
    http.post(
        f"{API[SHINJUKU]}/residents/{moved['id']}/death",
        json={"died_on": jst.today().isoformat()},
    )

    old = http.get(f"{API[CHIYODA]}/residents/{resident['id']}/history").json()
    new = http.get(f"{API[SHINJUKU]}/residents/{moved['id']}/history").json()

    assert [e["kind"] for e in old] == ["birth", "number", "move_out"]
    assert old[-1]["detail"] == {"to": SHINJUKU}
    assert [e["kind"] for e in new] == ["move_in", "number", "death"]
    assert new[0]["detail"]["from"] == CHIYODA
    missing = http.get(f"{API[CHIYODA]}/residents/ffffffffffffffff/history")
    assert_problem(missing, 404, "resident_not_found")


def test_list_searches_by_name_kana_and_address_and_status(http, person):
    body = person(family_name="勅使河原", family_name_kana="テシガワラ")
    resident = register(http, body)

    for q in ("勅使河原", "テシガワラ", body["address"]):
        found = http.get(f"{API[CHIYODA]}/residents", params={"q": q}).json()
        assert resident["id"] in {r["id"] for r in found["residents"]}, q
    http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/death",
        json={"died_on": jst.today().isoformat()},
    )
    active = http.get(f"{API[CHIYODA]}/residents", params={"q": body["address"]}).json()
    deceased = http.get(
        f"{API[CHIYODA]}/residents", params={"q": body["address"], "status": "deceased"}
    ).json()
    assert active["total"] == 0
    assert [r["id"] for r in deceased["residents"]] == [resident["id"]]


# --- re-issue ----------------------------------------------------------------------------


def test_reissue_after_a_leak_designates_a_new_number_and_retires_the_old(
    http, person, number_of, reissue
):
    resident = register(http, person())
    old = number_of(CHIYODA, resident["id"])

    response = reissue(CHIYODA, resident["id"], "leak")

    assert response.status_code == 200, response.text
    new = number_of(CHIYODA, resident["id"])
    assert new is not None and validate(new) == new and new != old
    assert response.json()["my_number_masked"] == mask(new)
    assert response.json()["resident_code"] == resident["resident_code"]
    assert find_by_number(http, CHIYODA, new).json()["id"] == resident["id"]
    assert_problem(find_by_number(http, CHIYODA, old), 404)
    history = http.get(f"{API[CHIYODA]}/residents/{resident['id']}/history").json()
    assert history[-1]["kind"] == "number"
    assert history[-1]["detail"]["reissued"] is True


def test_reissue_after_a_move_works_in_the_new_municipality(http, person, number_of, reissue):
    resident = register(http, person())
    old = number_of(CHIYODA, resident["id"])
    moved = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/move",
        json={"to": SHINJUKU, "address": person(SHINJUKU)["address"]},
    ).json()["residents"][0]

    response = reissue(SHINJUKU, moved["id"])

    assert response.status_code == 200, response.text
    new = number_of(SHINJUKU, moved["id"])
    assert new != old and new is not None and validate(new) == new
    assert find_by_number(http, SHINJUKU, new).json()["id"] == moved["id"]


def test_reissue_for_a_resident_who_left_is_refused(http, person, number_of):
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/death",
        json={"died_on": jst.today().isoformat()},
    )

    response = http.post(f"{API[CHIYODA]}/residents/{resident['id']}/reissue-number", json={})

    assert_problem(response, 409, "not_active")
    assert number_of(CHIYODA, resident["id"]) == number


def test_reissue_waits_for_a_second_supervisor_and_the_asker_cannot_approve(
    fed, http, anonymous, person, number_of, as_staff
):
    resident = register(http, person())
    old = number_of(CHIYODA, resident["id"])
    first = as_staff(f"municipality-{CHIYODA}", ["supervisor"])
    clerk = as_staff(f"municipality-{CHIYODA}", ["clerk"])
    url = f"{API[CHIYODA]}/residents/{resident['id']}/reissue-number"

    assert_problem(anonymous.post(url, json={}), 401)
    assert_problem(anonymous.post(url, json={}, headers=clerk), 403)
    asked = anonymous.post(url, json={"reason": "leak"}, headers=first)
    assert asked.status_code == 202, asked.text
    assert number_of(CHIYODA, resident["id"]) == old  # nothing changes yet
    assert_problem(anonymous.post(url, json={}, headers=first), 409)  # one at a time
    approve = f"{API[CHIYODA]}/reissue-requests/{asked.json()['id']}/approve"

    refused = anonymous.post(approve, headers=first)
    assert_problem(refused, 403)
    assert refused.json()["title"] == "four_eyes_required"
    assert number_of(CHIYODA, resident["id"]) == old

    second = as_staff(f"municipality-{CHIYODA}", ["supervisor"])
    approved = anonymous.post(approve, headers=second)
    assert approved.status_code == 200, approved.text
    assert number_of(CHIYODA, resident["id"]) != old
    assert_problem(anonymous.post(approve, headers=second), 409)  # approved once


# --- races and clashes at the receiving end ------------------------------------------------


def test_move_into_a_municipality_where_the_person_is_already_registered_is_a_conflict(
    http, person
):
    there = person(SHINJUKU)
    register(http, there, SHINJUKU)
    here = register(http, there | {"address": person()["address"]})
    before = total(http, SHINJUKU)

    response = http.post(
        f"{API[CHIYODA]}/residents/{here['id']}/move",
        json={"to": SHINJUKU, "address": there["address"]},
    )

    assert_problem(response, 409)
    assert http.get(f"{API[CHIYODA]}/residents/{here['id']}").json()["status"] == "active"
    assert total(http, SHINJUKU) == before


def test_simultaneous_moves_of_one_resident_succeed_once(http, person):
    resident = register(http, person())
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def clerk() -> None:
        barrier.wait()
        response = http.post(
            f"{API[CHIYODA]}/residents/{resident['id']}/move",
            json={"to": SHINJUKU, "address": "東京都新宿区四谷1丁目1番1号"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=clerk) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    history = http.get(f"{API[CHIYODA]}/residents/{resident['id']}/history").json()
    assert [e["kind"] for e in history].count("move_out") == 1
    assert sorted(statuses) == [200, 409, 409, 409]
