"""総合振込 at the paying bank: a payer's Zengin file credits each record at most once — at
the paying bank itself or, over the modelled Zengin network, at its receiving bank — and
comes back as ONE result file, one code per record, however often (or however
concurrently) it is sent, also after a crash between forwarding and storing the result; a
bad file credits nothing; a reused file id with other bytes is refused; a receiving bank
that is off the network or down gets its records answered so, the others still credited.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every call is signed HTTP
carried in-process.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import zengin_code
from sqlalchemy import func, select

from mynumber import jst
from mynumber.orgs.bank import store
from mynumber.orgs.bank.services import transfers
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
from mynumber.platform.uow import UnitOfWork

MIZUHO, MUFG, SANDBOX, SMBC = "0001", "0005", "9900", "0009"  # SMBC: off the network
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
    """Accounts the banks' back offices opened (one then closed), by the role in the tests:
    most at the paying bank, ``at_mufg`` and ``at_sandbox`` at two receiving banks."""
    opened = {
        "open": {"holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"},
        "closed": {"holder_kana": "ｽｽﾞｷ ﾊﾅｺ"},
        "other_name": {"holder_kana": "ｻﾄｳ ｼﾞﾛｳ"},
        "at_mufg": {"holder_kana": "ﾀﾅｶ ｲﾁﾛｳ", "bank": MUFG},
        "at_sandbox": {"holder_kana": "ｲﾄｳ ﾐｶ", "bank": SANDBOX},
    }
    for account in opened.values():
        at = account.setdefault("bank", MIZUHO)
        first_branch = "001" if at != SANDBOX else next(iter(zengin_code.Bank.all[at].branches))
        account |= {"branch_code": first_branch, "deposit_type": "1"}
        bank = fed.bank(f"bank-{at}")
        fields = {k: v for k, v in account.items() if k != "bank"}
        (account["account_number"],) = bank.bank.open_accounts(UnitOfWork(bank.engine), [fields])
    mizuho = fed.bank(f"bank-{MIZUHO}")
    mizuho.bank.close_account(
        UnitOfWork(mizuho.engine), "001", "1", opened["closed"]["account_number"]
    )
    return opened


def transfer(
    account: dict[str, str],
    *,
    at: str | None = None,
    name: str | None = None,
    amount: int = 100_000,
) -> Transfer:
    return Transfer.for_branch(
        branch(at or account.get("bank", MIZUHO), account["branch_code"]),
        deposit_type=DepositType.ORDINARY,
        account_number=account["account_number"],
        payee_name=name or account["holder_kana"],
        amount=amount,
    )


HEADER = Header(
    requester_code="1234567890",
    requester_name="ｷﾕｳﾌｷﾝｼﾞﾑｷﾖｸ",
    transfer_date=jst.today(),
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
        (transfer(accounts["at_mufg"], amount=7), ResultCode.CREDITED),  # forwarded
        (transfer(accounts["open"], at=MUFG), ResultCode.NO_SUCH_ACCOUNT),  # MUFG's answer
        (transfer(accounts["open"], at=SMBC), ResultCode.BANK_NOT_CONNECTED),
        (transfer(accounts["open"], name="ﾔﾏﾀﾞﾀﾛｳ", amount=5), ResultCode.CREDITED),
    ]
    return write_file(HEADER, [t for t, _ in cases]), [code for _, code in cases]


def credits_of(fed, file_id: str, *, at: str = MIZUHO) -> list[Any]:
    """(record index, amount) the bank ``at`` credited for the paying bank's file."""
    c = store.credits.c
    with fed.bank(f"bank-{at}").engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(c.record_index, c.amount)
                .where(c.paying_bank == MIZUHO, c.file_id == file_id)
                .order_by(c.record_index)
            )
        ]


def all_credits(fed, file_id: str) -> dict[str, list[Any]]:
    """Every demo bank's credits for the file (empty lists left out)."""
    found = {at: credits_of(fed, file_id, at=at) for at in (MIZUHO, MUFG, SANDBOX)}
    return {at: rows for at, rows in found.items() if rows}


def files_named(fed, file_id: str) -> int:
    f = store.transfer_files.c
    with fed.bank(f"bank-{MIZUHO}").engine.connect() as conn:
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
    assert all_credits(fed, key) == {MIZUHO: [(1, 100_000), (8, 5)], MUFG: [(5, 7)]}


def test_the_same_file_id_again_answers_the_same_bytes_and_credits_nothing_twice(
    fed, http, keys, every_case
) -> None:
    data, _ = every_case
    key = new_key()
    first = send(http, keys, data, key)
    again = send(http, keys, data, key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert all_credits(fed, key) == {MIZUHO: [(1, 100_000), (8, 5)], MUFG: [(5, 7)]}


def test_concurrent_duplicate_submissions_credit_once(fed, http, keys, every_case) -> None:
    data, _ = every_case
    key = new_key()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: send(http, keys, data, key), range(6)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert all_credits(fed, key) == {MIZUHO: [(1, 100_000), (8, 5)], MUFG: [(5, 7)]}
    assert files_named(fed, key) == 1


def test_the_same_file_id_with_other_bytes_is_a_conflict(fed, http, keys, accounts) -> None:
    key = new_key()
    first = write_file(HEADER, [transfer(accounts["open"], amount=1000)])
    other = write_file(HEADER, [transfer(accounts["open"], amount=2000)])
    assert send(http, keys, first, key).status_code == 200
    conflict = send(http, keys, other, key)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert credits_of(fed, key) == [(1, 1000)]


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
    assert all_credits(fed, key) == {} and files_named(fed, key) == 0
    # nothing was kept under the key: the good file may still use it
    assert send(http, keys, data, key).status_code == 200


@pytest.mark.parametrize("org", ["portal", "accounts", f"bank-{MUFG}", "municipality-131016"])
def test_only_payers_may_send_transfer_files(fed, http, keys, every_case, org) -> None:
    data, _ = every_case
    key = new_key()
    response = send(http, keys, data, key, org=org)
    assert response.status_code == 403
    assert all_credits(fed, key) == {}


def test_an_unsigned_file_is_refused(http, every_case) -> None:
    data, _ = every_case
    response = http.post(PATH, content=data, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 401


@pytest.mark.parametrize("key", [None, "", "x" * 65, "bad key", "a/../b"])
def test_a_file_needs_a_well_formed_file_id(fed, http, keys, every_case, key) -> None:
    data, _ = every_case
    response = send(http, keys, data, key)
    assert response.status_code == 422


def test_a_file_for_another_paying_bank_is_refused_and_credits_nothing(
    fed, http, keys, accounts
) -> None:
    other = dataclasses.replace(HEADER, bank_code=MUFG)
    key = new_key()
    response = send(http, keys, write_file(other, [transfer(accounts["at_mufg"])]), key)
    assert response.status_code == 422, response.text
    assert "仕向銀行" in response.json()["detail"]
    assert all_credits(fed, key) == {} and files_named(fed, key) == 0


# --- the Zengin network -------------------------------------------------------------------


def three_banks(accounts: dict[str, dict[str, str]]) -> bytes:
    """A file with transfers to the paying bank and two receiving banks, interleaved."""
    return write_file(
        HEADER,
        [
            transfer(accounts["at_sandbox"], amount=300),
            transfer(accounts["open"], amount=100),
            transfer(accounts["at_mufg"], amount=200),
            transfer(accounts["at_sandbox"], amount=301),
            transfer(accounts["at_mufg"], amount=201),
        ],
    )


def test_a_file_with_transfers_to_three_banks_credits_each_at_its_own_bank_once(
    fed, http, keys, accounts
) -> None:
    key = new_key()
    first = send(http, keys, three_banks(accounts), key)
    again = send(http, keys, three_banks(accounts), key)

    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content
    answered = read_results(first.content).results
    assert [r.code for r in answered] == [ResultCode.CREDITED] * 5
    assert [(r.transfer.bank_code, r.transfer.amount) for r in answered] == [
        (SANDBOX, 300),
        (MIZUHO, 100),
        (MUFG, 200),
        (SANDBOX, 301),
        (MUFG, 201),
    ]
    assert all_credits(fed, key) == {
        MIZUHO: [(2, 100)],
        MUFG: [(3, 200), (5, 201)],
        SANDBOX: [(1, 300), (4, 301)],
    }


def test_a_resubmission_after_a_crash_between_forwarding_and_storing_credits_nothing_twice(
    fed, http, keys, accounts, monkeypatch
) -> None:
    data, key = three_banks(accounts), new_key()

    def crash(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the paying bank stopped before storing the result file")

    with monkeypatch.context() as patched:
        patched.setattr(transfers, "write_results", crash)
        try:
            crashed = send(http, keys, data, key)
        except RuntimeError:
            crashed = None
    assert crashed is None or crashed.status_code == 500
    routed = all_credits(fed, key)
    assert routed == {
        MIZUHO: [(2, 100)],
        MUFG: [(3, 200), (5, 201)],
        SANDBOX: [(1, 300), (4, 301)],
    }  # every bank credited before the crash; no result file was stored
    with fed.bank(f"bank-{MIZUHO}").engine.connect() as conn:
        kept = conn.scalar(
            select(store.transfer_files.c.results).where(store.transfer_files.c.id == key)
        )
    assert kept is None
    assert (
        send(http, keys, write_file(HEADER, [transfer(accounts["open"])]), key).status_code == 409
    )

    again = send(http, keys, data, key)

    assert again.status_code == 200, again.text
    assert [r.code for r in read_results(again.content).results] == [ResultCode.CREDITED] * 5
    assert all_credits(fed, key) == routed
    assert send(http, keys, data, key).content == again.content


class _Down(httpx.BaseTransport):
    """The network as it is while one bank is in trouble: its host refuses connections
    (``refuse``), it answers 503 (``fail``) or 403 (``refuse_records``), or the answer is
    lost (``timeout``)."""

    def __init__(self, inner: httpx.BaseTransport, prefix: str, how: str = "refuse") -> None:
        self.inner, self.prefix, self.how = inner, prefix, how

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith(self.prefix):
            return self.inner.handle_request(request)
        if self.how == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if self.how == "timeout":  # delivered and maybe credited, the answer lost
            self.inner.handle_request(request)
            raise httpx.ReadTimeout("no answer", request=request)
        status = {"fail": 503, "refuse_records": 403}[self.how]
        return httpx.Response(status, json={"title": "down"}, request=request)


@contextmanager
def sandbox_bank(fed, how: str) -> Iterator[None]:
    """Every organisation's calls to the 9900 bank go as ``how`` says, for a while."""
    directory = fed.directory
    working = directory.http
    directory.http = httpx.Client(
        transport=_Down(working._transport, f"/bank/{SANDBOX}/", how),
        base_url=working.base_url,
        timeout=60.0,
    )
    try:
        yield
    finally:
        directory.http = working


def test_a_receiving_bank_that_is_down_gets_its_records_answered_so_and_the_others_credited(
    fed, http, keys, accounts
) -> None:
    key = new_key()
    with sandbox_bank(fed, "refuse"):
        response = send(http, keys, three_banks(accounts), key)

    assert response.status_code == 200, response.text
    assert [r.code for r in read_results(response.content).results] == [
        ResultCode.BANK_NOT_CONNECTED,
        ResultCode.CREDITED,
        ResultCode.CREDITED,
        ResultCode.BANK_NOT_CONNECTED,
        ResultCode.CREDITED,
    ]
    assert all_credits(fed, key) == {MIZUHO: [(2, 100)], MUFG: [(3, 200), (5, 201)]}
    # the answer is kept: the bank being back does not change it, nor credit anything
    assert send(http, keys, three_banks(accounts), key).content == response.content
    assert SANDBOX not in all_credits(fed, key)


def test_a_receiving_bank_that_refuses_the_records_gets_them_answered_other(
    fed, http, keys, accounts
) -> None:
    key = new_key()
    with sandbox_bank(fed, "refuse_records"):
        response = send(http, keys, three_banks(accounts), key)

    assert response.status_code == 200, response.text
    codes = [r.code for r in read_results(response.content).results]
    assert codes == [
        ResultCode.OTHER,
        *[ResultCode.CREDITED] * 2,
        ResultCode.OTHER,
        ResultCode.CREDITED,
    ]
    assert SANDBOX not in all_credits(fed, key)


@pytest.mark.parametrize("how", ["fail", "timeout"])
def test_a_lost_answer_stores_no_result_and_the_same_file_later_credits_each_once(
    fed, http, keys, accounts, how
) -> None:
    key = new_key()
    with sandbox_bank(fed, how):
        lost = send(http, keys, three_banks(accounts), key)

    assert lost.status_code == 503, lost.text
    assert lost.headers["content-type"] == "application/problem+json"
    with fed.bank(f"bank-{MIZUHO}").engine.connect() as conn:
        kept = conn.scalar(
            select(store.transfer_files.c.results).where(store.transfer_files.c.id == key)
        )
    assert kept is None

    later = send(http, keys, three_banks(accounts), key)

    assert later.status_code == 200, later.text
    assert [r.code for r in read_results(later.content).results] == [ResultCode.CREDITED] * 5
    assert all_credits(fed, key) == {
        MIZUHO: [(2, 100)],
        MUFG: [(3, 200), (5, 201)],
        SANDBOX: [(1, 300), (4, 301)],
    }


def forward(
    http: httpx.Client, keys: KeyFolder, body: dict[str, Any], *, org: str, to: str = MUFG
) -> httpx.Response:
    path = f"/bank/{to}/api/zengin/credits"
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, data))
    return http.post(path, content=data, headers=headers)


def test_the_network_hop_credits_a_record_once_per_paying_bank_file_and_index(
    fed, http, keys, accounts
) -> None:
    record = transfer(accounts["at_mufg"], amount=42).to_record().decode("cp932")
    body = {"file_id": new_key(), "records": [{"index": 3, "record": record}]}

    first = forward(http, keys, body, org=f"bank-{MIZUHO}")
    again = forward(http, keys, body, org=f"bank-{MIZUHO}")
    other_payer_bank = forward(http, keys, body, org=f"bank-{SANDBOX}")

    assert first.status_code == again.status_code == other_payer_bank.status_code == 200
    assert first.json() == again.json() == {"results": [{"index": 3, "code": "0"}]}
    c = store.credits.c
    with fed.bank(f"bank-{MUFG}").engine.connect() as conn:
        rows = conn.execute(
            select(c.paying_bank, c.record_index, c.amount).where(c.file_id == body["file_id"])
        ).all()
    assert sorted(tuple(r) for r in rows) == [(MIZUHO, 3, 42), (SANDBOX, 3, 42)]
    changed = transfer(accounts["at_mufg"], amount=43).to_record().decode("cp932")
    body["records"] = [{"index": 3, "record": changed}]
    refused = forward(http, keys, body, org=f"bank-{MIZUHO}")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("org", ["benefits", "portal", f"bank-{MUFG}"])
def test_only_other_banks_may_forward_records(fed, http, keys, accounts, org) -> None:
    record = transfer(accounts["at_mufg"]).to_record().decode("cp932")
    body = {"file_id": new_key(), "records": [{"index": 1, "record": record}]}
    assert forward(http, keys, body, org=org).status_code == 403


def test_a_forwarded_record_that_is_not_one_or_not_for_this_bank_credits_nothing(
    fed, http, keys, accounts
) -> None:
    good = transfer(accounts["at_mufg"]).to_record().decode("cp932")
    elsewhere = transfer(accounts["open"]).to_record().decode("cp932")
    key = new_key()
    for records in (
        [{"index": 1, "record": good}, {"index": 2, "record": good[:-1] + "X"}],
        [{"index": 1, "record": good}, {"index": 2, "record": elsewhere}],
        [{"index": 1, "record": good}, {"index": 1, "record": good}],
        [{"index": 1, "record": "9" + good[1:]}],
    ):
        response = forward(http, keys, {"file_id": key, "records": records}, org=f"bank-{MIZUHO}")
        assert response.status_code == 422, response.text
    assert credits_of(fed, key, at=MUFG) == []
