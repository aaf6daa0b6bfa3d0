"""給付対象者の抽出: the municipality answers the benefit office who lived there on the base
date — moves and deaths on either side of it, ages on it, households, pages — sealed to the
benefit office, and to no one else.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every call is signed HTTP
carried in-process.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest

from mynumber.platform.encryption import EncryptionKeys, is_compact_jwe, open_signed
from mynumber.platform.signing import Identity, KeyFolder

CHIYODA, SHINJUKU = "131016", "131041"
BASE = date(2020, 4, 27)  # 特別定額給付金: registered in the 住民基本台帳 on 2020-04-27
CALLER = "benefits"


def eligible_path(code: str) -> str:
    return f"/municipality/{code}/api/benefits/eligible"


def bounds_path(code: str) -> str:
    return f"/municipality/{code}/api/benefits/eligible/bounds"


def signed(http: httpx.Client, keys: KeyFolder, org: str, path: str, body: Any) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, content))
    return http.post(path, content=content, headers=headers)


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def sealing(fed) -> EncryptionKeys:
    sealed = EncryptionKeys(fed.settings.data_dir / "keys")
    sealed.ensure(CALLER)
    return sealed


@pytest.fixture(scope="module")
def town(fed, http, person) -> dict[str, dict[str, Any]]:
    """Residents of Chiyoda whose situation on the base date is known, by name."""

    def register(name: str, born: date, on: date, **extra: Any) -> dict[str, Any]:
        body = person(CHIYODA, birth_date=born.isoformat(), registered_on=on.isoformat())
        body.update(extra)
        response = http.post(f"/municipality/{CHIYODA}/api/residents", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json()) | {"name": name}

    people: dict[str, dict[str, Any]] = {}
    people["head"] = register("head", date(1980, 4, 28), date(2005, 1, 1))  # 39 on the base date
    people["child"] = register(
        "child",
        date(2014, 4, 27),  # 6 that very day
        date(2014, 4, 27),
        household_id=people["head"]["household_id"],
        relationship="子",
        address=None,
    )
    people["later"] = register("later", date(1990, 1, 1), date(2020, 4, 28))  # registered after
    people["left_before"] = register("left_before", date(1970, 6, 1), date(2000, 1, 1))
    people["left_after"] = register("left_after", date(1975, 6, 1), date(2000, 1, 1))
    people["died_on"] = register("died_on", date(1940, 1, 1), date(1960, 1, 1))
    people["died_after"] = register("died_after", date(1941, 1, 1), date(1960, 1, 1))
    people["leap"] = register("leap", date(2000, 2, 29), date(2000, 3, 1))  # 20 on the base date
    for name, on in (("left_before", "2020-04-01"), ("left_after", "2020-04-28")):
        moved = http.post(
            f"/municipality/{CHIYODA}/api/residents/{people[name]['id']}/move",
            json={"to": SHINJUKU, "address": f"東京都新宿区西新宿{name}", "moved_on": on},
        )
        assert moved.status_code == 200, moved.text
    for name, on in (("died_on", BASE.isoformat()), ("died_after", "2020-04-28")):
        died = http.post(
            f"/municipality/{CHIYODA}/api/residents/{people[name]['id']}/death",
            json={"died_on": on},
        )
        assert died.status_code == 200, died.text
    return people


def fetch_all(
    http: httpx.Client,
    keys: KeyFolder,
    sealing: EncryptionKeys,
    code: str,
    after: str | None = None,
    **query: Any,
) -> list[list[dict[str, Any]]]:
    """Every page (after the id ``after``, if given), each decrypted by the benefit office."""
    pages = []
    while True:
        body = {"programme": "tokubetsu-teigaku", "as_of": BASE.isoformat(), "after": after}
        sent = body | query
        response = signed(http, keys, CALLER, eligible_path(code), sent)
        assert response.status_code == 200, response.text
        end = f":{sent['upto']}" if sent.get("upto") else ""
        page = open_signed(  # signed by the municipality, bound to this page's query
            sealing,
            response.json()["sealed"],
            recipient=CALLER,
            signer=f"municipality-{code}",
            exchange_id=f"{sent['programme']}:{sent['as_of']}:{after or ''}{end}",
            procedure="benefit_eligibility",
        )
        columns = page["people"]  # aligned lists: one person per index
        pages.append(
            [
                dict(zip(columns, person, strict=True))
                for person in zip(*columns.values(), strict=True)
            ]
        )
        after = page["next"]
        if after is None:
            return pages


def kana_of(person: dict[str, Any]) -> str:
    return f"{person['family_name_kana']} {person['given_name_kana']}"


def test_residents_on_the_base_date_with_their_ages(http, keys, sealing, town, number_of) -> None:
    (page,) = fetch_all(http, keys, sealing, CHIYODA)
    by_kana = {p["kana"]: p for p in page}
    present = {"head", "child", "left_after", "died_after", "leap"}
    assert set(by_kana) == {kana_of(town[n]) for n in present}
    assert len(page) == len(present)
    ages = {n: by_kana[kana_of(town[n])]["age"] for n in present}
    assert ages == {"head": 39, "child": 6, "left_after": 44, "died_after": 79, "leap": 20}
    for name in present:
        assert by_kana[kana_of(town[name])]["my_number"] == number_of(CHIYODA, town[name]["id"])


def test_a_move_on_or_before_the_base_date_counts_where_the_person_went(
    http, keys, sealing, town
) -> None:
    (page,) = fetch_all(http, keys, sealing, SHINJUKU)
    assert {p["kana"] for p in page} == {kana_of(town["left_before"])}


def test_household_and_its_head(http, keys, sealing, town) -> None:
    (page,) = fetch_all(http, keys, sealing, CHIYODA)
    by_kana = {p["kana"]: p for p in page}
    head, child = by_kana[kana_of(town["head"])], by_kana[kana_of(town["child"])]
    assert head["head"] is True and child["head"] is False
    assert head["household"] == child["household"]
    assert by_kana[kana_of(town["leap"])]["household"] != head["household"]


def test_age_bounds(http, keys, sealing, town) -> None:
    (adults,) = fetch_all(http, keys, sealing, CHIYODA, min_age=18)
    assert kana_of(town["child"]) not in {p["kana"] for p in adults}
    assert len(adults) == 4
    (young,) = fetch_all(http, keys, sealing, CHIYODA, min_age=6, max_age=20)
    assert {p["kana"] for p in young} == {kana_of(town["child"]), kana_of(town["leap"])}
    (none,) = fetch_all(http, keys, sealing, CHIYODA, max_age=5)
    assert none == []


def test_pages_cover_everyone_once(http, keys, sealing, town) -> None:
    (whole,) = fetch_all(http, keys, sealing, CHIYODA)
    pages = fetch_all(http, keys, sealing, CHIYODA, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p["my_number"] for page in pages for p in page] == [p["my_number"] for p in whole]


def test_ranges_from_the_bounds_cover_everyone_once(http, keys, sealing, town) -> None:
    (whole,) = fetch_all(http, keys, sealing, CHIYODA)
    body = {"programme": "x", "as_of": BASE.isoformat(), "every": 2}
    response = signed(http, keys, CALLER, bounds_path(CHIYODA), body)
    assert response.status_code == 200, response.text
    bounds = response.json()["bounds"]
    assert len(bounds) == 2  # five people in ranges of two: two bounds, the rest after
    ends: list[str | None] = [*bounds, None]
    ranges = [
        fetch_all(http, keys, sealing, CHIYODA, after=after, upto=upto)
        for after, upto in zip([None, *bounds], ends, strict=True)
    ]
    read = [[p["my_number"] for page in pages for p in page] for pages in ranges]
    assert [len(r) for r in read] == [2, 2, 1]
    assert [n for r in read for n in r] == [p["my_number"] for p in whole]
    # the bounds are the same people's ages too: adults only, in ranges of three
    adults = signed(http, keys, CALLER, bounds_path(CHIYODA), body | {"min_age": 18, "every": 3})
    assert len(adults.json()["bounds"]) == 1


def test_the_answer_is_sealed_to_the_benefit_office(http, keys, sealing, town, number_of) -> None:
    body = {"programme": "x", "as_of": BASE.isoformat()}
    response = signed(http, keys, CALLER, eligible_path(CHIYODA), body)
    sealed = response.json()["sealed"]
    assert is_compact_jwe(sealed)
    assert number_of(CHIYODA, town["head"]["id"]) not in response.text
    bound = {"exchange_id": f"x:{BASE.isoformat()}:", "procedure": "benefit_eligibility"}
    with pytest.raises(Exception, match="does not decrypt"):
        open_signed(sealing, sealed, recipient="portal", signer=f"municipality-{CHIYODA}", **bound)
    with pytest.raises(Exception, match="not by municipality-131041"):
        open_signed(sealing, sealed, recipient=CALLER, signer=f"municipality-{SHINJUKU}", **bound)
    assert open_signed(sealing, sealed, recipient=CALLER, signer=f"municipality-{CHIYODA}", **bound)


@pytest.mark.parametrize("path", [eligible_path, bounds_path])
@pytest.mark.parametrize("caller", ["portal", f"municipality-{SHINJUKU}", "accounts"])
def test_only_the_benefit_office_may_ask(http, keys, caller, path) -> None:
    body = {"programme": "x", "as_of": BASE.isoformat(), "every": 2}
    response = signed(http, keys, caller, path(CHIYODA), body)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", [eligible_path, bounds_path])
def test_an_unsigned_request_is_refused(http, path) -> None:
    body = {"programme": "x", "as_of": "2020-04-27", "every": 2}
    response = http.post(path(CHIYODA), json=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "bad",
    [
        {"as_of": "2999-01-01"},
        {"min_age": 30, "max_age": 20},
        {"limit": 200_001},
        {"limit": 0},
        {"after": "'; drop table residents"},
        {"as_of": "yesterday"},
    ],
)
def test_bad_queries_are_refused(http, keys, town, bad) -> None:
    body = {"programme": "x", "as_of": BASE.isoformat()} | bad
    response = signed(http, keys, CALLER, eligible_path(CHIYODA), body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "bad",
    [
        {"every": 0},
        {"every": 200_001},
        {"every": "two"},
        {"as_of": "2999-01-01"},
        {"min_age": 30, "max_age": 20},
        {"upto": "'; drop table residents"},
    ],
)
def test_bad_bounds_queries_are_refused(http, keys, town, bad) -> None:
    body = {"programme": "x", "as_of": BASE.isoformat(), "every": 2} | bad
    path = eligible_path(CHIYODA) if "upto" in bad else bounds_path(CHIYODA)
    response = signed(http, keys, CALLER, path, body)
    assert response.status_code == 422, response.text
