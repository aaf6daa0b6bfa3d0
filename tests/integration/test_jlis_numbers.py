"""J-LIS's numbering API: valid, unique, idempotent numbers; re-issue; who may ask.

Requests are built by hand and signed with :class:`Identity` keys from the federation's
key folder, as a municipality (or an impostor) would send them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect, select, table

from mynumber import federation
from mynumber.number import is_valid, random_resident_code, resident_code_check_digit
from mynumber.platform import signing
from mynumber.platform.signing import Identity, KeyFolder

CHIYODA, SHINJUKU = "municipality-131016", "municipality-131041"
NUMBERS, REISSUE = "/jlis/numbers", "/jlis/numbers/reissue"


@pytest.fixture(scope="module")
def keys(fed: federation.Federation) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


def identity(keys: KeyFolder, org: str) -> Identity:
    return Identity(org, keys.private_key(org))


def encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def post(
    http: httpx.Client,
    path: str,
    payload: Any,
    signer: Identity | None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = encode(payload)
    sent = {"content-type": "application/json"}
    if signer is not None:
        sent |= signer.sign("POST", path, body)
    sent |= headers or {}
    return http.post(path, content=body, headers=sent)


def ask(
    http: httpx.Client, signer: Identity, codes: list[str], *, reserve: bool = True
) -> dict[str, Any]:
    response = post(http, NUMBERS, {"resident_codes": codes, "reserve": reserve}, signer)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def fresh_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(random_resident_code())
    return sorted(codes)


def numbers_issued(http: httpx.Client) -> int:
    return int(http.get("/healthz").json()["orgs"]["jlis"]["numbers_issued"])


def assert_problem(response: httpx.Response, status: int, title: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if title is not None:
        assert response.json()["title"] == title


# --- numbers -----------------------------------------------------------------------------


def test_numbers_are_valid_and_distinct_for_distinct_codes(http, keys):
    codes = fresh_codes(300)
    answer = ask(http, identity(keys, CHIYODA), codes)

    assert answer["taken"] == []
    numbers = answer["numbers"]
    assert len(numbers) == 300
    assert all(is_valid(n) for n in numbers)
    assert len(set(numbers)) == 300


def test_numbers_of_consecutive_codes_are_not_sequential(http, keys):
    base = 4_000_000_000 + int(time.time()) % 1_000_000 * 100
    codes = [f"{b:010d}{resident_code_check_digit(f'{b:010d}')}" for b in range(base, base + 50)]
    numbers = [int(n[:11]) for n in ask(http, identity(keys, CHIYODA), codes)["numbers"]]

    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert numbers != sorted(numbers)
    assert len(steps) > 40


def test_asking_again_for_a_code_gives_the_same_number(http, keys):
    chiyoda = identity(keys, CHIYODA)
    codes = fresh_codes(20)
    first = dict(zip(codes, ask(http, chiyoda, codes)["numbers"], strict=True))
    issued = numbers_issued(http)

    again = ask(http, chiyoda, codes, reserve=False)["numbers"]
    subset = codes[::-3]
    reserving_again = ask(http, chiyoda, subset)

    assert again == [first[c] for c in codes]
    # codes drawn as new must be new: one already held is taken, even by its own holder
    assert reserving_again == {"numbers": [None] * len(subset), "taken": subset}
    assert numbers_issued(http) == issued


def test_the_same_code_asked_at_once_by_eight_requests_gets_one_number(http, keys):
    chiyoda = identity(keys, CHIYODA)
    [code] = fresh_codes(1)
    answers: list[Any] = []
    barrier = threading.Barrier(8)

    def client() -> None:
        barrier.wait()
        response = post(http, NUMBERS, {"resident_codes": [code], "reserve": True}, chiyoda)
        answers.append(response.json()["numbers"] if response.status_code == 200 else response.text)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(answers) == 8
    assert all(isinstance(a, list) for a in answers), answers
    winners = [a[0] for a in answers if a[0] is not None]
    assert len(winners) == 1  # the others are told the code is taken
    assert ask(http, chiyoda, [code], reserve=False)["numbers"] == winners


def test_a_code_not_reserved_is_refused(http, keys):
    codes = fresh_codes(2)
    issued = numbers_issued(http)

    response = post(http, NUMBERS, {"resident_codes": codes}, identity(keys, CHIYODA))

    assert_problem(response, 404, "unknown_resident_code")
    assert numbers_issued(http) == issued


def test_a_code_reserved_by_another_municipality_is_reported_taken(http, keys):
    [held, fresh] = fresh_codes(2)
    number = ask(http, identity(keys, CHIYODA), [held])["numbers"][0]
    shinjuku = identity(keys, SHINJUKU)

    reserving = ask(http, shinjuku, [held, fresh])
    only_asking = ask(http, shinjuku, [held], reserve=False)

    assert reserving["taken"] == [held]
    assert reserving["numbers"][0] is None
    assert is_valid(reserving["numbers"][1])
    assert only_asking == {"numbers": [None], "taken": [held]}
    assert number not in json.dumps([reserving, only_asking])
    # the holder still gets its number
    assert ask(http, identity(keys, CHIYODA), [held], reserve=False)["numbers"] == [number]


def race(http: httpx.Client, keys: KeyFolder, code: str) -> dict[str, dict[str, Any]]:
    """Both demo municipalities ask J-LIS to reserve ``code`` at the same moment."""
    answers: dict[str, dict[str, Any]] = {}
    barrier = threading.Barrier(2)

    def client(org: str) -> None:
        barrier.wait()
        answers[org] = ask(http, identity(keys, org), [code])

    threads = [threading.Thread(target=client, args=(org,)) for org in (CHIYODA, SHINJUKU)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_municipalities_racing_for_a_code_leave_it_to_one(http, keys):
    for code in fresh_codes(5):
        answers = race(http, keys, code)

        assert len(answers) == 2, "a request failed"
        winners = [org for org, a in answers.items() if a["numbers"][0] is not None]
        losers = [org for org, a in answers.items() if a["taken"] == [code]]
        assert len(winners) == 1
        assert len(losers) == 1


@pytest.mark.parametrize(
    "codes",
    [["12345678901"], ["1234567890"], ["abcdefghijk"], "twice"],
    ids=["check-digit", "too-short", "letters", "duplicate"],
)
def test_malformed_code_batches_are_refused(http, keys, codes):
    if codes == "twice":
        codes = fresh_codes(1) * 2
    elif codes == ["12345678901"]:
        good = random_resident_code()
        codes = [good[:-1] + str((int(good[-1]) + 1) % 10)]
    issued = numbers_issued(http)

    response = post(
        http, NUMBERS, {"resident_codes": codes, "reserve": True}, identity(keys, CHIYODA)
    )

    assert_problem(response, 422)
    assert numbers_issued(http) == issued


# --- re-issue ----------------------------------------------------------------------------


def reissue(http: httpx.Client, signer: Identity, code: str, old: str) -> httpx.Response:
    return post(http, REISSUE, {"resident_code": code, "old_number": old}, signer)


def test_reissue_retires_the_old_number_and_gives_a_new_valid_one(http, keys):
    chiyoda = identity(keys, CHIYODA)
    [code] = fresh_codes(1)
    old = ask(http, chiyoda, [code])["numbers"][0]

    response = reissue(http, chiyoda, code, old)

    assert response.status_code == 200, response.text
    new = response.json()["number"]
    assert is_valid(new) and new != old
    assert ask(http, chiyoda, [code], reserve=False)["numbers"] == [new]
    assert_problem(reissue(http, chiyoda, code, old), 409, "not_current")


def test_reissued_numbers_are_never_issued_again(http, keys):
    chiyoda = identity(keys, CHIYODA)
    [code] = fresh_codes(1)
    chain = [ask(http, chiyoda, [code])["numbers"][0]]
    issued = numbers_issued(http)

    for _ in range(6):
        response = reissue(http, chiyoda, code, chain[-1])
        assert response.status_code == 200, response.text
        chain.append(response.json()["number"])

    assert len(set(chain)) == 7
    assert all(is_valid(n) for n in chain)
    # every retired number stays on J-LIS's books, so none can come out again
    assert numbers_issued(http) == issued + 6
    assert ask(http, chiyoda, [code], reserve=False)["numbers"] == [chain[-1]]


def test_reissue_for_a_code_without_a_number_or_with_a_wrong_number_is_refused(http, keys):
    chiyoda = identity(keys, CHIYODA)
    [unknown, code] = fresh_codes(2)
    [current, other] = ask(http, chiyoda, [code, *fresh_codes(1)])["numbers"]

    assert reissue(http, chiyoda, unknown, current).status_code == 404
    assert_problem(reissue(http, chiyoda, code, other), 409, "not_current")
    assert_problem(reissue(http, chiyoda, code, "123456789012"), 422)
    assert ask(http, chiyoda, [code], reserve=False)["numbers"] == [current]


def test_jlis_keeps_no_number_or_code_in_clear(fed, http, keys):
    chiyoda = identity(keys, CHIYODA)
    codes = fresh_codes(50)
    numbers = ask(http, chiyoda, codes)["numbers"]
    new = reissue(http, chiyoda, codes[0], numbers[0]).json()["number"]
    secrets_ = [*codes, *numbers, new]

    engine = fed.jlis().engine
    dump: list[str] = []
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        assert names, "J-LIS has no tables to scan"
        for name in names:
            for row in conn.execute(select("*").select_from(table(name))):
                dump.extend(str(value) for value in row)
    text = "\n".join(dump)
    assert [s for s in secrets_ if s in text] == []

    if fed.settings.database_url is None:  # the SQLite files themselves, journal included
        files = Path(fed.settings.data_dir).glob("jlis.db*")
        raw = b"".join(f.read_bytes() for f in files)
        assert raw
        assert [s for s in secrets_ if s.encode() in raw] == []


# --- who may ask -------------------------------------------------------------------------


def test_unsigned_request_is_refused(http):
    response = post(http, NUMBERS, {"resident_codes": fresh_codes(1), "reserve": True}, None)
    assert_problem(response, 401, "unsigned")


def test_request_signed_with_the_wrong_key_is_refused(http):
    impostor = Identity(CHIYODA, Ed25519PrivateKey.generate())
    response = post(http, NUMBERS, {"resident_codes": fresh_codes(1), "reserve": True}, impostor)
    assert_problem(response, 401, "bad_signature")


def test_request_whose_body_was_changed_after_signing_is_refused(http, keys):
    signed = identity(keys, CHIYODA).sign(
        "POST", NUMBERS, encode({"resident_codes": fresh_codes(1), "reserve": True})
    )
    other = encode({"resident_codes": fresh_codes(1), "reserve": True})
    response = http.post(
        NUMBERS, content=other, headers={"content-type": "application/json", **signed}
    )
    assert_problem(response, 401, "bad_signature")


def test_request_signed_for_another_path_is_refused(http, keys):
    [code] = fresh_codes(1)
    chiyoda = identity(keys, CHIYODA)
    old = ask(http, chiyoda, [code])["numbers"][0]
    body = encode({"resident_code": code, "old_number": old})
    signed = chiyoda.sign("POST", NUMBERS, body)

    response = http.post(
        REISSUE, content=body, headers={"content-type": "application/json", **signed}
    )

    assert_problem(response, 401, "bad_signature")
    assert ask(http, chiyoda, [code], reserve=False)["numbers"] == [old]


def test_replayed_request_is_refused(http, keys):
    body = encode({"resident_codes": fresh_codes(1), "reserve": True})
    signed = identity(keys, CHIYODA).sign("POST", NUMBERS, body)
    headers = {"content-type": "application/json", **signed}

    first = http.post(NUMBERS, content=body, headers=headers)
    replay = http.post(NUMBERS, content=body, headers=headers)

    assert first.status_code == 200, first.text
    assert_problem(replay, 401, "replay")


def test_request_signed_long_ago_is_refused(http, keys, monkeypatch):
    body = encode({"resident_codes": fresh_codes(1), "reserve": True})
    then = time.time() - signing.WINDOW_SECONDS - 60
    with monkeypatch.context() as m:
        m.setattr(signing.time, "time", lambda: then)
        signed = identity(keys, CHIYODA).sign("POST", NUMBERS, body)

    response = http.post(
        NUMBERS, content=body, headers={"content-type": "application/json", **signed}
    )

    assert_problem(response, 401, "stale_request")


def test_request_from_an_unknown_organisation_is_refused(http):
    stranger = Identity("municipality-999999", Ed25519PrivateKey.generate())
    response = post(http, NUMBERS, {"resident_codes": fresh_codes(1), "reserve": True}, stranger)
    assert_problem(response, 401, "unknown_org")


@pytest.mark.parametrize("org", ["jlis", "police"])
def test_organisations_other_than_municipalities_may_not_ask(http, keys, org):
    issued = numbers_issued(http)
    codes = fresh_codes(3)

    asked = post(http, NUMBERS, {"resident_codes": codes, "reserve": True}, identity(keys, org))
    reissued = reissue(http, identity(keys, org), codes[0], "123456789018")

    assert_problem(asked, 403, "org_not_allowed")
    assert_problem(reissued, 403, "org_not_allowed")
    assert numbers_issued(http) == issued
