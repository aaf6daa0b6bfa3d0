"""総合振込 at a bank: a payer's Zengin file credits each record at most once and comes back
as a result file — one code per record — however often (or however concurrently) it is sent;
a bad file credits nothing; a reused file id with other bytes is refused.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every call is signed HTTP
carried in-process.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from mynumber.orgs.bank import store
from mynumber.payments import (
    DepositType,
    Header,
    ResultCode,
    Transfer,
    branch,
    read_results,
    write_file,
)
from mynumber.platform.signing import Identity, KeyFolder

MIZUHO, MUFG = "0001", "0005"
PATH = f"/bank/{MIZUHO}/api/transfers"
PAYER = "benefits"


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


def send(
    http: httpx.Client, keys: KeyFolder, data: bytes, key: str | None, *, org: str = PAYER
) -> httpx.Response:
    headers = {"content-type": "application/octet-stream"}
    if key is not None:
        headers["Idempotency-Key"] = key
    headers.update(Identity(org, keys.private_key(org)).sign("POST", PATH, data))
    return http.post(PATH, content=data, headers=headers)


@pytest.fixture(scope="module")
def accounts(fed) -> dict[str, dict[str, str]]:
    """Accounts the bank's back office opened (one then closed), by the role in the tests."""
    bank = fed.apps[f"bank-{MIZUHO}"].state.bank
    opened = {
        "open": {"holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"},
        "closed": {"holder_kana": "ｽｽﾞｷ ﾊﾅｺ"},
        "other_name": {"holder_kana": "ｻﾄｳ ｼﾞﾛｳ"},
    }
    for account in opened.values():
        account |= {"branch_code": "001", "deposit_type": "1"}
        (account["account_number"],) = bank.open_accounts([dict(account)])
    bank.close_account("001", "1", opened["closed"]["account_number"])
    return opened


def transfer(
    account: dict[str, str], *, at: str = MIZUHO, name: str | None = None, amount: int = 100_000
) -> Transfer:
    return Transfer.for_branch(
        branch(at, account["branch_code"]),
        deposit_type=DepositType.ORDINARY,
        account_number=account["account_number"],
        payee_name=name or account["holder_kana"],
        amount=amount,
    )


HEADER = Header(
    requester_code="1234567890",
    requester_name="ｷﾕｳﾌｷﾝｼﾞﾑｷﾖｸ",
    transfer_date=date.today(),
    bank_code=MIZUHO,
    bank_name="ﾐｽﾞﾎ",
    branch_code="001",
    branch_name="ﾄｳｷﾖｳ",
    deposit_type=DepositType.CURRENT,
    account_number="7654321",
)


@pytest.fixture(scope="module")
def every_case(accounts) -> tuple[bytes, list[ResultCode]]:
    """A file with one record per result code, and the codes expected, in order."""
    missing = {"branch_code": "001", "account_number": "0000001", "holder_kana": "ﾅｲ ﾋﾄ"}
    cases = [
        (transfer(accounts["open"], amount=100_000), ResultCode.CREDITED),
        (transfer(missing), ResultCode.NO_SUCH_ACCOUNT),
        (transfer(accounts["closed"]), ResultCode.ACCOUNT_CLOSED),
        (transfer(accounts["other_name"], name="ｻﾄｳ ﾊﾅｺ"), ResultCode.NAME_MISMATCH),
        (transfer(accounts["open"], at=MUFG), ResultCode.NOT_THIS_BANK),
        (transfer(accounts["open"], name="ﾔﾏﾀﾞﾀﾛｳ", amount=5), ResultCode.CREDITED),
    ]
    return write_file(HEADER, [t for t, _ in cases]), [code for _, code in cases]


def credits_of(fed, file_id: str) -> list[Any]:
    c = store.credits.c
    with fed.apps[f"bank-{MIZUHO}"].state.engine.connect() as conn:
        return list(
            conn.execute(
                select(c.record_index, c.amount)
                .where(c.file_id == file_id)
                .order_by(c.record_index)
            ).all()
        )


def files_named(fed, file_id: str) -> int:
    f = store.transfer_files.c
    with fed.apps[f"bank-{MIZUHO}"].state.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(f.id == file_id)) or 0)


def new_key() -> str:
    return f"file-{secrets.token_hex(8)}"


def test_each_record_gets_its_result_code_and_only_good_ones_are_credited(
    fed, http, keys, every_case
) -> None:
    data, expected = every_case
    key = new_key()
    response = send(http, keys, data, key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    results = read_results(response.content)
    assert [r.code for r in results.results] == expected
    assert results.header == HEADER
    assert results.trailer.count == len(expected)
    assert [tuple(c) for c in credits_of(fed, key)] == [(1, 100_000), (6, 5)]


def test_the_same_file_id_again_answers_the_same_bytes_and_credits_nothing_twice(
    fed, http, keys, every_case
) -> None:
    data, _ = every_case
    key = new_key()
    first = send(http, keys, data, key)
    again = send(http, keys, data, key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert len(credits_of(fed, key)) == 2


def test_concurrent_duplicate_submissions_credit_once(fed, http, keys, every_case) -> None:
    data, _ = every_case
    key = new_key()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: send(http, keys, data, key), range(6)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(credits_of(fed, key)) == 2
    assert files_named(fed, key) == 1


def test_the_same_file_id_with_other_bytes_is_a_conflict(fed, http, keys, accounts) -> None:
    key = new_key()
    first = write_file(HEADER, [transfer(accounts["open"], amount=1000)])
    other = write_file(HEADER, [transfer(accounts["open"], amount=2000)])
    assert send(http, keys, first, key).status_code == 200
    conflict = send(http, keys, other, key)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert [tuple(c) for c in credits_of(fed, key)] == [(1, 1000)]


def _bad_files(good: bytes) -> list[bytes]:
    lines = good.split(b"\r\n")
    wrong_total = lines[:]
    wrong_total[-3] = b"8%06d%012d" % (len(lines) - 5, 1) + b" " * 101
    kanji = lines[:]
    kanji[1] = kanji[1][:50] + "山田".encode("cp932") + kanji[1][54:]
    no_end = b"\r\n".join(lines[:-2]) + b"\r\n"
    return [
        b"\r\n".join(wrong_total),
        b"\r\n".join(kanji),
        no_end,
        good[:-5],
        b"",
        b"not a zengin file at all",
    ]


@pytest.mark.parametrize("case", range(6))
def test_a_bad_file_is_refused_and_credits_nothing(fed, http, keys, every_case, case) -> None:
    data, _ = every_case
    bad = _bad_files(data)[case]
    key = new_key()
    response = send(http, keys, bad, key)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert credits_of(fed, key) == [] and files_named(fed, key) == 0
    # nothing was kept under the key: the good file may still use it
    assert send(http, keys, data, key).status_code == 200


@pytest.mark.parametrize("org", ["portal", "accounts", f"bank-{MUFG}", "municipality-131016"])
def test_only_payers_may_send_transfer_files(fed, http, keys, every_case, org) -> None:
    data, _ = every_case
    key = new_key()
    response = send(http, keys, data, key, org=org)
    assert response.status_code == 403
    assert credits_of(fed, key) == []


def test_an_unsigned_file_is_refused(http, every_case) -> None:
    data, _ = every_case
    response = http.post(PATH, content=data, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 401


@pytest.mark.parametrize("key", [None, "", "x" * 65, "bad key", "a/../b"])
def test_a_file_needs_a_well_formed_file_id(fed, http, keys, every_case, key) -> None:
    data, _ = every_case
    response = send(http, keys, data, key)
    assert response.status_code == 422
