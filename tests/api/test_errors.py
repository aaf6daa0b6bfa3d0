"""The registry's JSON API: bad input gives a clear problem+json 4xx and changes nothing;
the OpenAPI description and health report; a My Number never leaves unmasked."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from mynumber import jst
from mynumber.federation import mount_path
from mynumber.number import generate, mask

API = "/municipality/131016/api"


def total(http: httpx.Client) -> int:
    return int(http.get(f"{API}/residents", params={"status": "", "limit": 1}).json()["total"])


def assert_problem(response: httpx.Response, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["title"] == title
    assert body["status"] == status
    assert body["type"] == f"urn:mynumber:error:{title}"
    assert body["detail"]
    return body


def without(key: str) -> dict[str, Any]:
    return {"drop": key}


def tomorrow(key: str) -> dict[str, Any]:
    """``key`` set to the day after today in Japan, worked out when the test runs."""
    return {"tomorrow": key}


BAD_REGISTRATIONS = {
    "invalid-date": ({"birth_date": "2020-02-30"}, "birth_date"),
    "not-a-date": ({"birth_date": "yesterday"}, "birth_date"),
    "future-birth-date": (tomorrow("birth_date"), "birth_date"),
    "implausibly-early-birth": ({"birth_date": "1850-01-01"}, "birth_date"),
    "hiragana-kana": ({"family_name_kana": "さとう"}, "family_name_kana"),
    "latin-kana": ({"given_name_kana": "Hanako"}, "given_name_kana"),
    "blank-kana": ({"given_name_kana": "　"}, "given_name_kana"),
    "missing-family-name": (without("family_name"), "family_name"),
    "missing-birth-date": (without("birth_date"), "birth_date"),
    "missing-sex": (without("sex"), "sex"),
    "blank-name": ({"given_name": "   "}, "given_name"),
    "too-long-name": ({"family_name": "長" * 31}, "family_name"),
    "too-long-address": ({"address": "東京都千代田区" + "一" * 200}, "address"),
    "control-character": ({"given_name": "花\x07子"}, "given_name"),
    "unknown-sex": ({"sex": "3"}, "sex"),
    "no-address-nor-household": ({"address": None}, "address"),
    "unknown-relationship": ({"relationship": "いとこ"}, "relationship"),
    "unknown-reason": ({"reason": "adoption"}, "reason"),
}


@pytest.mark.parametrize(("change", "field"), BAD_REGISTRATIONS.values(), ids=BAD_REGISTRATIONS)
def test_bad_registration_is_refused_with_a_problem_naming_the_field(http, person, change, field):
    body = person()
    if "drop" in change:
        del body[change["drop"]]
    elif "tomorrow" in change:
        body[change["tomorrow"]] = (jst.today() + timedelta(days=1)).isoformat()
    else:
        body.update(change)
    before = total(http)

    response = http.post(f"{API}/residents", json=body)

    problem = assert_problem(response, 422, "invalid_input")
    fields = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
    assert field in fields, problem
    assert total(http) == before


def test_malformed_json_is_refused(http):
    response = http.post(
        f"{API}/residents", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "invalid_input")


def test_half_width_katakana_is_accepted_as_full_width(http, person):
    response = http.post(f"{API}/residents", json=person(family_name_kana="ｻﾄｳ"))
    assert response.status_code == 201, response.text
    assert response.json()["family_name_kana"] == "サトウ"


def test_duplicate_registration_is_a_conflict(http, person):
    body = person()
    assert http.post(f"{API}/residents", json=body).status_code == 201
    assert_problem(http.post(f"{API}/residents", json=body), 409, "already_registered")


@pytest.mark.parametrize(
    ("my_number", "title"),
    [
        ("12345678901", "length"),
        ("1234567890123", "length"),
        ("12345678901a", "not_digits"),
        ("123456789010", "check_digit"),
    ],
)
def test_search_with_a_malformed_my_number_is_refused(http, my_number, title):
    response = http.post(f"{API}/residents/search", json={"my_number": my_number})
    body = assert_problem(response, 422, title)
    assert my_number not in response.text
    assert body["field"] == "number" or body.get("field") == "my_number"


def test_search_without_an_identifier_is_refused(http):
    assert_problem(http.post(f"{API}/residents/search", json={}), 422, "invalid_input")


def test_search_for_a_number_nobody_holds_is_not_found(http):
    [number] = generate(count=1)
    response = http.post(f"{API}/residents/search", json={"my_number": number})
    assert_problem(response, 404, "resident_not_found")
    assert number not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/residents/0123456789abcdef", None),
        ("GET", "/residents/0123456789abcdef/history", None),
        ("POST", "/residents/0123456789abcdef/move", {"to": "131041", "address": "新宿1-1"}),
        ("POST", "/residents/0123456789abcdef/death", {"died_on": "2024-01-01"}),
        ("POST", "/residents/0123456789abcdef/reissue-number", {}),
    ],
)
def test_unknown_resident_is_not_found(http, method, path, body):
    response = http.request(method, API + path, json=body)
    assert_problem(response, 404, "resident_not_found")


def test_unknown_household_is_not_found(http):
    assert_problem(http.get(f"{API}/households/0123456789abcdef"), 404, "household_not_found")


@pytest.mark.parametrize(
    "params", [{"status": "asleep"}, {"limit": "0"}, {"limit": "501"}, {"offset": "-1"}]
)
def test_bad_list_parameters_are_refused(http, params):
    assert_problem(http.get(f"{API}/residents", params=params), 422, "invalid_input")


def test_bad_move_body_is_refused(http, person):
    resident = http.post(f"{API}/residents", json=person()).json()
    response = http.post(f"{API}/residents/{resident['id']}/move", json={"to": "13101"})
    problem = assert_problem(response, 422, "invalid_input")
    assert {e["field"] for e in problem["errors"]} == {"to", "address"}
    assert http.get(f"{API}/residents/{resident['id']}").json()["status"] == "active"


# --- description and health --------------------------------------------------------------


def test_openapi_lists_the_registry_routes(http):
    response = http.get("/municipality/131016/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path, method in [
        ("/api/residents", "get"),
        ("/api/residents", "post"),
        ("/api/residents/search", "post"),
        ("/api/residents/{resident_id}", "get"),
        ("/api/residents/{resident_id}/history", "get"),
        ("/api/residents/{resident_id}/move", "post"),
        ("/api/residents/{resident_id}/death", "post"),
        ("/api/residents/{resident_id}/reissue-number", "post"),
        ("/api/households/{household_id}", "get"),
        ("/api/move-in", "post"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    assert "千代田区" in spec["info"]["title"]


#: parameters that name a number but are not a My Number (a card's 製造番号)
#: a card's manufacture number and a driver's licence number are not My Numbers
NOT_A_MY_NUMBER = {"manufacture_number", "licence_number"}
URL_PARTS = ("path", "query")


def test_openapi_has_no_my_number_in_any_url(fed, http):
    """No organisation's API takes anything named like a number in its path or query."""
    checked = 0
    for org in fed.apps:
        spec = http.get(mount_path(org) + "/openapi.json")
        assert spec.status_code == 200, org
        for path, operations in spec.json()["paths"].items():
            named = set(re.findall(r"{([^}]+)}", path))
            for operation in operations.values():
                named.update(
                    p["name"] for p in operation.get("parameters", []) if p["in"] in URL_PARTS
                )
            suspicious = {
                name
                for name in named
                if re.search(r"number", name, re.IGNORECASE) and name not in NOT_A_MY_NUMBER
            }
            assert not suspicious, (org, path, suspicious)
            checked += 1
    assert checked > 50
    assert {"hub", "portal", "tax", "pension", "insurer", "jlis", "benefits"} <= set(fed.apps)


def test_healthz_reports_every_organisation(fed, http):
    response = http.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True
    assert (
        set(report["orgs"])
        == set(fed.apps)
        == {
            "jlis",
            "municipality-131016",
            "municipality-131041",
            "portal",
            "hub",
            "tax",
            "pension",
            "insurer",
            "insurer-kyokai",
            "insurer-kokuho",
            "accounts",
            "oqs",
            "police",
            "bank-0001",
            "bank-0005",
            "bank-9900",
            "benefits",
            "trustplatform",
            "clinic-1311234567",
            "clinic-1341234568",
        }
    )
    assert all(org["ok"] for org in report["orgs"].values())
    assert isinstance(report["orgs"]["jlis"]["numbers_issued"], int)
    assert isinstance(report["orgs"]["municipality-131016"]["residents"], int)


# --- a My Number never leaves unmasked ----------------------------------------------------


def number_forms(number: str) -> list[str]:
    return [
        number,
        f"{number[:4]} {number[4:8]} {number[8:]}",
        f"{number[:4]}-{number[4:8]}-{number[8:]}",
    ]


def test_no_response_carries_an_unmasked_my_number(http, person, number_of, reissue):
    head = http.post(
        f"{API}/residents", json=person(family_name="漏洩", family_name_kana="ロウエイ")
    )
    child = http.post(
        f"{API}/residents",
        json=person(household_id=head.json()["household_id"], relationship="子", address=None),
    )
    numbers = [number_of("131016", r.json()["id"]) for r in (head, child)]
    assert None not in numbers
    rid, hid = head.json()["id"], head.json()["household_id"]
    responses = [
        head,
        child,
        http.get(f"{API}/residents", params={"q": "ロウエイ"}),
        http.get(f"{API}/residents", params={"status": "", "limit": 500}),
        http.get(f"{API}/residents/{rid}"),
        http.get(f"{API}/residents/{rid}/history"),
        http.get(f"{API}/households/{hid}"),
        http.post(f"{API}/residents/search", json={"my_number": numbers[0]}),
        http.get(f"/municipality/131016/residents/{rid}"),
        http.get("/municipality/131016/", params={"q": "ロウエイ"}),
        http.get("/healthz"),
    ]
    moved = http.post(
        f"{API}/residents/{rid}/move",
        json={"to": "131041", "address": person("131041")["address"], "whole_household": True},
    )
    responses.append(moved)
    new_id = moved.json()["residents"][0]["id"]
    responses.append(http.get(f"/municipality/131041/api/residents/{new_id}"))
    responses.append(http.get(f"/municipality/131041/api/residents/{new_id}/history"))
    reissued = reissue("131041", new_id)
    responses.append(reissued)
    numbers.append(number_of("131041", new_id))

    for response in responses:
        assert response.status_code < 400, (response.request.url, response.text)
        for number in numbers:
            for form in number_forms(number):
                assert form not in response.text, response.request.url
    assert head.json()["my_number_masked"] == mask(numbers[0])
    assert re.fullmatch(r"•{8}\d{4}", head.json()["my_number_masked"])


def test_no_log_line_carries_a_my_number(http, person, number_of, caplog):
    caplog.set_level(logging.DEBUG, logger="mynumber")
    caplog.set_level(logging.INFO, logger="httpx")
    resident = http.post(f"{API}/residents", json=person()).json()
    number = number_of("131016", resident["id"])
    assert number is not None
    http.post(f"{API}/residents/search", json={"my_number": number})
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    http.post(f"{API}/residents/search", json={"my_number": wrong})
    http.post(f"{API}/residents/search", json={"my_number": number + "0"})
    [unknown] = generate(count=1)
    http.post(f"{API}/residents/search", json={"my_number": unknown})
    http.post(
        f"{API}/residents/{resident['id']}/move",
        json={"to": "131041", "address": person("131041")["address"]},
    )

    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for value in (number, wrong, unknown):
        for form in number_forms(value):
            assert form not in logged
