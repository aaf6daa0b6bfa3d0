"""The staff pages of a municipality: Japanese with English labels, forms that work."""

from __future__ import annotations

import html

import httpx
import pytest

from mynumber import jst

BASE = "/municipality/131016"
API = f"{BASE}/api"


def total(http: httpx.Client) -> int:
    return int(http.get(f"{API}/residents", params={"status": "", "limit": 1}).json()["total"])


def form_of(body: dict[str, object]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in body.items()}


def test_list_page_renders_with_japanese_and_english_labels(http):
    response = http.get(f"{BASE}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for label in ("住民一覧", "Residents", "検索", "Search", "千代田区", "Chiyoda"):
        assert label in page, label


def test_list_page_search_finds_by_name(http, person):
    wanted = http.post(
        f"{API}/residents", json=person(family_name="五十嵐", family_name_kana="イガラシ")
    ).json()
    other = http.post(
        f"{API}/residents", json=person(family_name="小鳥遊", family_name_kana="タカナシ")
    ).json()

    page = http.get(f"{BASE}/", params={"q": "イガラシ"}).text

    assert f"residents/{wanted['id']}" in page
    assert f"residents/{other['id']}" not in page
    assert 'value="イガラシ"' in page


def test_list_page_with_an_unknown_status_is_a_client_error(http):
    response = http.get(f"{BASE}/", params={"status": "bogus"})
    assert 400 <= response.status_code < 500


def test_register_form_renders_with_labels(http):
    response = http.get(f"{BASE}/register")
    assert response.status_code == 200
    page = response.text
    for label in (
        "住民登録",
        "Register a resident",
        "氏",
        "Family name",
        "名（カナ）",
        "Given name in katakana",
        "生年月日",
        "Date of birth",
        "性別",
        "Sex",
        "住所",
        "Address",
        "続柄",
    ):
        assert label in page, label
    assert 'action="/municipality/131016/register"' in page


def test_register_form_post_creates_a_resident_and_redirects(http, person, number_of):
    body = person()
    before = total(http)

    response = http.post(f"{BASE}/register", data=form_of(body))

    assert response.status_code == 303
    location = response.headers["location"]
    assert "residents/" in location and "registered=1" in location
    assert total(http) == before + 1
    page = http.get(httpx.URL(f"{BASE}/register").join(location))
    assert page.status_code == 200
    assert "登録しました" in page.text and "Registered" in page.text
    assert html.escape(body["family_name"]) in page.text
    resident_id = location.split("residents/")[1].split("?")[0]
    number = number_of("131016", resident_id)
    assert number is not None
    assert number not in page.text
    assert number[-4:] in page.text  # shown masked


def test_register_form_joins_a_household_given_in_the_query(http, person):
    head = http.post(f"{API}/residents", json=person()).json()
    form = http.get(f"{BASE}/register", params={"household_id": head["household_id"]}).text
    assert f'value="{head["household_id"]}"' in form

    child = person(address="", household_id=head["household_id"], relationship="子")
    response = http.post(f"{BASE}/register", data=form_of(child))

    assert response.status_code == 303, response.text
    members = http.get(f"{API}/households/{head['household_id']}").json()["members"]
    assert len(members) == 2
    assert {m["address"] for m in members} == {head["address"]}


@pytest.mark.parametrize(
    "change",
    [
        {"family_name_kana": "ひらがな"},
        {"birth_date": "2999-01-01"},
        {"birth_date": "not-a-date"},
        {"sex": "7"},
        {"address": ""},
        {"household_id": "0000000000000000", "address": ""},
    ],
    ids=["hiragana-kana", "future-birth", "bad-date", "bad-sex", "no-address", "no-household"],
)
def test_bad_register_form_re_renders_with_an_error(http, person, change):
    body = person(**change)
    before = total(http)

    response = http.post(f"{BASE}/register", data=form_of(body))

    assert response.status_code in (404, 422), response.text
    if "household_id" not in change:
        assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert "住民登録" in response.text
    assert f'value="{html.escape(body["given_name"])}"' in response.text  # kept for fixing
    assert total(http) == before


def test_duplicate_register_form_re_renders_with_a_conflict(http, person):
    body = person()
    assert http.post(f"{BASE}/register", data=form_of(body)).status_code == 303
    before = total(http)

    response = http.post(f"{BASE}/register", data=form_of(body))

    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert total(http) == before


def test_resident_page_shows_the_record_household_and_history(http, person):
    resident = http.post(f"{API}/residents", json=person()).json()

    asked = http.get(f"{BASE}/residents/{resident['id']}")
    assert asked.status_code == 200
    assert 'name="purpose"' in asked.text  # why it is opened comes first
    assert resident["resident_code"] not in asked.text

    response = http.get(f"{BASE}/residents/{resident['id']}", params={"purpose": "counter"})

    assert response.status_code == 200
    page = response.text
    for label in (
        "住民票コード",
        "Resident record code",
        "個人番号",
        "My Number",
        "masked",
        "世帯",
        "Household",
        "異動履歴",
        "History",
        "転出",
        "Move out",
        "死亡",
        "Death",
    ):
        assert label in page, label
    assert resident["resident_code"] in page
    assert resident["household_id"] in page
    assert resident["my_number_masked"] in page


def test_resident_page_of_an_unknown_resident_is_not_found(http):
    assert http.get(f"{BASE}/residents/0123456789abcdef").status_code == 404


def test_move_form_moves_the_resident_and_redirects(http, person):
    resident = http.post(f"{API}/residents", json=person()).json()

    response = http.post(
        f"{BASE}/residents/{resident['id']}/move",
        data={"to": "131041", "address": person("131041")["address"]},
    )

    assert response.status_code == 303
    target = httpx.URL(f"{BASE}/residents/{resident['id']}/move").join(response.headers["location"])
    assert target.path == f"{BASE}/residents/{resident['id']}"
    page = http.get(target)
    assert page.status_code == 200
    assert "moved_out" in page.text and "131041" in page.text
    assert f'action="{BASE}/residents/{resident["id"]}/move"' not in page.text  # no second move


def test_death_form_closes_the_record(http, person):
    resident = http.post(f"{API}/residents", json=person()).json()

    response = http.post(
        f"{BASE}/residents/{resident['id']}/death", data={"died_on": jst.today().isoformat()}
    )

    assert response.status_code == 303
    assert http.get(f"{API}/residents/{resident['id']}").json()["status"] == "deceased"
    again = http.post(
        f"{BASE}/residents/{resident['id']}/death", data={"died_on": jst.today().isoformat()}
    )
    assert 'role="alert"' in again.text
