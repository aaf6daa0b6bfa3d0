"""The resident registry refuses what it cannot record faithfully: names, kana and addresses
with invisible or control characters, implausible dates, huge list offsets. Each refusal is
a 422 naming the field, and nothing is recorded or numbered."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mynumber import jst
from mynumber.number import random_resident_code
from mynumber.platform.signing import Identity, KeyFolder

CHIYODA, SHINJUKU = "131016", "131041"
API = {code: f"/municipality/{code}/api" for code in (CHIYODA, SHINJUKU)}
#: Stands for the day after today in Japan, worked out when the test runs (not when it is
#: collected: a suite that runs past midnight would send today).
TOMORROW = "tomorrow"


def dated(value: str) -> str:
    return (jst.today() + timedelta(days=1)).isoformat() if value == TOMORROW else value


INVISIBLE = {
    "zero-width space": "\u200b",
    "BOM": "\ufeff",
    "word joiner": "\u2060",
    "soft hyphen": "\u00ad",
    "right-to-left mark": "\u200f",
    "left-to-right override": "\u202d",
    "control": "\x07",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "private use": "\ue000",
    "unassigned": "\u0378",
}


def total(http: httpx.Client, code: str = CHIYODA) -> int:
    response = http.get(f"{API[code]}/residents", params={"status": "", "limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def numbers_issued(http: httpx.Client) -> int:
    return int(http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"])


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "invalid_input"
    named = [body.get("field")] + [e["field"] for e in body.get("errors", [])]
    assert any(field in (name or "") for name in named), body


def register(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"{API[CHIYODA]}/residents", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# --- names, kana, addresses --------------------------------------------------------------


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize(
    "field", ["family_name", "given_name", "family_name_kana", "given_name_kana", "address"]
)
def test_an_invisible_or_control_character_is_refused_before_anything_is_recorded(
    http, person, field, char
):
    body = person()
    body[field] = body[field][:1] + char + body[field]  # inside, never at an end
    before, issued = total(http), numbers_issued(http)

    assert_refused(http.post(f"{API[CHIYODA]}/residents", json=body), field)

    assert (total(http), numbers_issued(http)) == (before, issued)


@pytest.mark.parametrize("char", ["\u200b", "\ufeff", "\u2060"], ids=["zwsp", "bom", "wj"])
def test_a_person_cannot_be_registered_twice_by_an_invisible_difference(http, person, char):
    body = person()
    register(http, body)
    before = total(http)

    twin = body | {"given_name": body["given_name"] + char}
    assert_refused(http.post(f"{API[CHIYODA]}/residents", json=twin), "given_name")
    assert total(http) == before


def test_names_are_stored_in_nfc_and_trimmed_so_the_duplicate_check_sees_one_person(http, person):
    body = person(family_name="高橋", given_name="ガク", given_name_kana="ガク")
    decomposed = unicodedata.normalize("NFD", body["given_name"])
    assert decomposed != body["given_name"]
    first = register(http, body | {"given_name": f" {decomposed}\u3000"})
    assert first["given_name"] == "ガク"

    again = http.post(f"{API[CHIYODA]}/residents", json=body)
    assert again.status_code == 409, again.text
    assert again.json()["title"] == "already_registered"


def test_a_move_in_transfer_with_an_invisible_character_is_refused(fed, http, person):
    transfer = {
        "moved_from": CHIYODA,
        "moved_on": jst.today().isoformat(),
        "address": person(SHINJUKU)["address"],
        "members": [
            {
                "family_name": "佐藤",
                "given_name": "花\u200b子",
                "family_name_kana": "サトウ",
                "given_name_kana": "ハナコ",
                "birth_date": "1990-01-01",
                "sex": "2",
                "resident_code": random_resident_code(),
                "my_number": None,
                "relationship": "世帯主",
            }
        ],
    }
    path = f"{API[SHINJUKU]}/move-in"
    body = httpx.Request("POST", "http://x", json=transfer).read()
    org = f"municipality-{CHIYODA}"
    headers = {"content-type": "application/json"}
    headers |= Identity(org, KeyFolder(fed.settings.data_dir / "keys").private_key(org)).sign(
        "POST", path, body
    )
    before = total(http, SHINJUKU)

    assert_refused(http.post(path, content=body, headers=headers), "given_name")
    assert total(http, SHINJUKU) == before


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"birth_date": "1899-12-31"}, "birth_date"),
        ({"birth_date": "1980-04-01", "registered_on": "1900-01-01"}, "registered_on"),
        ({"birth_date": "1980-04-01", "registered_on": "1980-03-31"}, "registered_on"),
        ({"birth_date": "1980-04-01", "registered_on": "2099-01-01"}, "registered_on"),
        ({"birth_date": "1980-04-01", "registered_on": TOMORROW}, "registered_on"),
    ],
    ids=[
        "born-tomorrow",
        "born-before-1900",
        "registered-1900",
        "registered-before-birth",
        "registered-2099",
        "registered-tomorrow",
    ],
)
def test_an_implausible_date_is_refused_and_nothing_is_numbered(http, person, overrides, field):
    before, issued = total(http), numbers_issued(http)
    overrides = {key: dated(value) for key, value in overrides.items()}
    assert_refused(http.post(f"{API[CHIYODA]}/residents", json=person(**overrides)), field)
    assert (total(http), numbers_issued(http)) == (before, issued)


def test_registration_on_the_day_of_birth_is_taken(http, person):
    resident = register(http, person(birth_date="2001-02-03", registered_on="2001-02-03"))
    assert resident["registered_on"] == "2001-02-03"


@pytest.mark.parametrize(
    ("moved_on", "why"),
    [("1950-01-01", "before-birth"), ("1999-12-31", "before-registration"), (TOMORROW, "future")],
)
def test_an_implausible_move_date_is_refused_and_the_resident_stays(http, person, moved_on, why):
    resident = register(http, person(birth_date="1980-04-01", registered_on="2000-01-01"))
    before = total(http, SHINJUKU)

    response = http.post(
        f"{API[CHIYODA]}/residents/{resident['id']}/move",
        json={"to": SHINJUKU, "address": person(SHINJUKU)["address"], "moved_on": dated(moved_on)},
    )

    assert_refused(response, "moved_on")
    assert http.get(f"{API[CHIYODA]}/residents/{resident['id']}").json()["status"] == "active"
    assert total(http, SHINJUKU) == before


# --- numeric parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{API[CHIYODA]}/residents", {"offset": 2**70}),
        (f"{API[CHIYODA]}/residents", {"offset": 10**7 + 1}),
        (f"{API[CHIYODA]}/residents", {"limit": 2**70}),
        (f"/municipality/{CHIYODA}/", {"page_no": 2**70}),
        (f"/municipality/{CHIYODA}/", {"page_no": 0}),
        (f"/municipality/{CHIYODA}/", {"status": "nobody"}),
    ],
)
def test_a_huge_or_odd_list_parameter_is_a_422(http, path, params):
    response = http.get(path, params=params)
    assert response.status_code == 422, response.text


def test_the_largest_offset_still_answers(http):
    response = http.get(f"{API[CHIYODA]}/residents", params={"offset": 10**7})
    assert response.status_code == 200, response.text
    assert response.json()["residents"] == []


# --- resident taxes ----------------------------------------------------------------------


def _taxes_held(fed: Any) -> list[tuple[str, int, int]]:
    with fed.municipality(CHIYODA).engine.connect() as conn:
        rows = conn.execute(
            text("SELECT resident_id, year, amount_yen FROM resident_taxes ORDER BY 1, 2")
        ).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("duplicate", "records.1"),
        ("unknown", "records.1.resident_id"),
        ("huge", "records.1.amount_yen"),
        ("huge-year", "records.1.year"),
    ],
)
def test_resident_taxes_with_a_bad_record_are_refused_whole(fed, http, person, case, field):
    resident = register(http, person())
    good = {"resident_id": resident["id"], "year": 2024, "amount_yen": 100_000}
    bad = {
        "duplicate": good | {"amount_yen": 200_000},
        "unknown": good | {"resident_id": "ffffffffffffffff"},
        "huge": good | {"year": 2023, "amount_yen": 2**63},
        "huge-year": good | {"year": 2**70},
    }[case]
    before = _taxes_held(fed)

    response = http.post(f"{API[CHIYODA]}/linkage/resident-taxes", json={"records": [good, bad]})

    assert_refused(response, field)
    assert _taxes_held(fed) == before


def test_resident_taxes_replace_the_same_year(fed, http, person):
    resident = register(http, person())
    url = f"{API[CHIYODA]}/linkage/resident-taxes"
    for amount in (100_000, 150_000):
        record = {"resident_id": resident["id"], "year": 2024, "amount_yen": amount}
        response = http.post(url, json={"records": [record]})
        assert response.json() == {"recorded": 1}, response.text
    assert [t for t in _taxes_held(fed) if t[0] == resident["id"]] == [
        (resident["id"], 2024, 150_000)
    ]
