"""一括情報照会: the benefit office asks the hub about many people at once; the account
registry answers a result per code, sealed to the benefit office; the hub checks the table
once, converts every code, records one entry per person in its hash chain, reads nothing.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every hop is a signed HTTP
request carried in-process.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mynumber.cli import app as cli
from mynumber.errors import InvalidInput
from mynumber.orgs.hub import chain
from mynumber.orgs.municipality import store as registry_store
from mynumber.orgs.municipality.store import residents
from mynumber.platform.encryption import EncryptionKeys, open_answer
from mynumber.platform.http import ServiceClient
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
PAYER = "benefits"
BULK = "/hub/exchanges/bulk"
PROCEDURE = "benefit_payment"
ITEM = "public_fund_account"
#: The fields of an account in the registry's bulk answer, in the order of each row.
FIELDS = ["bank_code", "branch_code", "deposit_type", "number", "holder_kana"]


def signed(
    http: httpx.Client, keys: KeyFolder, org: str, method: str, path: str, body: Any = None
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"} if body is not None else {}
    headers.update(Identity(org, keys.private_key(org)).sign(method, path, content))
    return http.request(method, path, content=content, headers=headers)


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def sealing(fed) -> EncryptionKeys:
    return EncryptionKeys(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def numbers(fed) -> list[str]:
    """The residents' My Numbers, as a benefit run receives them from the municipality."""
    fed.seed(CHIYODA, 60)
    fed.seed_linkage()
    assert fed.seed_accounts() > 0
    with fed.municipality(CHIYODA).engine.connect() as conn:
        found = conn.execute(
            select(residents.c.my_number)
            .where(residents.c.my_number.is_not(None))
            .order_by(residents.c.id)
        ).scalars()
        return [str(n) for n in found]


@pytest.fixture(scope="module")
def payer_codes(fed, keys, sealing, numbers) -> list[str]:
    """The benefit office enrols the numbers once for its own codes (J-LIS → hub)."""
    server = IntermediateServer(
        org=PAYER,
        items=frozenset(),
        jlis=ServiceClient(fed.directory, "jlis", Identity(PAYER, keys.private_key(PAYER))),
        keys=sealing,
    )
    codes = server.codes(numbers)
    assert all(codes[n] for n in numbers)
    return [str(codes[n]) for n in numbers]


@pytest.fixture(scope="module")
def registered(fed, numbers) -> list[list[str] | None]:
    """What the registry holds for each number, read through its own code for the person,
    as the values of the answer's fields (FIELDS)."""
    registry = fed.accounts().registry
    work = UnitOfWork(fed.accounts().engine)
    expected: list[list[str] | None] = []
    for number in numbers:
        code = registry.code_for(number)
        try:
            shown = registry.show(work, code)
        except Exception:
            expected.append(None)
            continue
        expected.append(
            [
                shown["bank_code"],
                shown["branch_code"],
                shown["deposit_type"],
                shown["account_number"],
                shown["holder_kana"],
            ]
        )
    assert any(expected) and not all(expected)
    return expected


def ask(http, keys, codes: list[str], caller: str = PAYER, **overrides: Any) -> httpx.Response:
    body = {"procedure": PROCEDURE, "provider": "accounts", "items": [ITEM], "codes": codes}
    return signed(http, keys, caller, "POST", BULK, body | overrides)


def opened(sealing: EncryptionKeys, answer: dict[str, Any], requester: str = PAYER) -> Any:
    """The answer as the payer opens it: signed by the registry for this exchange."""
    return open_answer(
        sealing, answer, requester=requester, provider="accounts", procedure=PROCEDURE
    )


def log_after(http, keys, seq: int) -> list[dict[str, Any]]:
    """The exchange record after ``seq``, read as the hub's operator (``http`` is the local
    administrator)."""
    response = http.get(f"/hub/log?after={seq}&limit=10000")
    assert response.status_code == 200, response.text
    return list(response.json())


def head(http) -> int:
    return int(http.get("/hub/log/head").json()["seq"])


def municipality_codes(fed, count: int) -> list[str]:
    with fed.municipality(CHIYODA).engine.connect() as conn:
        return [
            str(c)
            for c in conn.execute(select(registry_store.agency_codes.c.code).limit(count)).scalars()
        ]


def test_results_are_aligned_with_the_codes_nulls_included(
    fed, http, keys, sealing, payer_codes, registered
) -> None:
    foreign = municipality_codes(fed, 2)
    codes = [*payer_codes, "nosuchcode", foreign[0], payer_codes[0]]
    response = ask(http, keys, codes)
    assert response.status_code == 200, response.text
    answer = response.json()
    data = opened(sealing, answer)
    results = data["results"]
    assert data["fields"] == FIELDS  # named once; each result is a row of their values
    assert len(results) == len(codes)
    assert results[: len(payer_codes)] == registered
    assert results[-3:] == [None, None, registered[0]]


def test_one_record_per_person_in_a_chain_that_verifies(
    fed, http, keys, payer_codes, registered
) -> None:
    before = head(http)
    response = ask(http, keys, [*payer_codes, "nosuchcode"])
    exchange_id = response.json()["exchange_id"]
    entries = log_after(http, keys, before)
    assert {e["exchange_id"] for e in entries} == {exchange_id}
    people = [e for e in entries if e["person"]]
    assert len(people) == len({e["person"] for e in people}) == len(payer_codes)
    assert {(e["requester"], e["provider"], e["procedure"]) for e in people} == {
        (PAYER, "accounts", PROCEDURE)
    }
    assert {e["outcome"] for e in people} == {"provided"}
    (unmatched,) = [e for e in entries if not e["person"]]
    assert unmatched["outcome"] == "refused" and unmatched["reason"].startswith("unknown_code: 1 ")
    assert chain.verify(log_after(http, keys, 0)).seq == head(http)
    # the person sees the exchange among their own records
    shown = signed(http, keys, PAYER, "POST", "/hub/records", {"code": payer_codes[0]}).json()
    assert exchange_id in {r["exchange_id"] for r in shown}


def test_verify_log_accepts_bulk_entries(fed, http, keys, payer_codes) -> None:
    ask(http, keys, payer_codes)
    expected = http.get("/hub/log/head").json()
    env = {"COLUMNS": "200", "MYNUMBER_DATABASE_PREFIX": fed.settings.database_prefix}
    if fed.settings.database_url:
        env["MYNUMBER_DATABASE_URL"] = fed.settings.database_url
    result = CliRunner().invoke(
        cli,
        ["hub", "verify-log", "--data", str(fed.settings.data_dir), "--expect", expected["hash"]],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert f"head {expected['seq']} {expected['hash']}" in result.output


def test_an_exchange_not_in_the_table_is_refused_and_recorded(
    http, keys, payer_codes, numbers
) -> None:
    before = head(http)
    response = ask(http, keys, payer_codes, provider="tax", items=["income"])
    assert response.status_code == 403
    assert response.json()["title"] == "not_permitted"
    entries = log_after(http, keys, before)
    assert len([e for e in entries if e["person"]]) == len(payer_codes)
    assert {e["outcome"] for e in entries} == {"refused"}
    assert all(e["reason"].startswith("not_permitted") for e in entries)
    # another kind of agency may not ask for the benefit's procedure either
    portal = ask(http, keys, ["x"], caller="portal")
    assert portal.status_code == 403


def test_codes_of_another_agency_match_nobody(fed, http, keys, sealing, numbers) -> None:
    """``numbers`` seeds the linkage, so Chiyoda holds codes of its own to present."""
    before = head(http)
    foreign = municipality_codes(fed, 5)
    response = ask(http, keys, foreign)
    assert response.status_code == 200, response.text
    answer = response.json()
    results = opened(sealing, answer)
    assert results == {"fields": FIELDS, "results": [None] * len(foreign)}
    (entry,) = log_after(http, keys, before)
    assert entry["person"] == "" and entry["reason"].startswith(f"unknown_code: {len(foreign)} ")


def test_the_hub_cannot_read_the_answer(fed, http, keys, sealing, payer_codes, registered) -> None:
    sealing.ensure("hub")
    answer = ask(http, keys, payer_codes).json()
    with pytest.raises(InvalidInput, match="does not decrypt"):
        opened(sealing, answer, requester="hub")
    with pytest.raises(InvalidInput, match="another exchange"):  # not replayable as another
        opened(sealing, answer | {"exchange_id": "0" * 16})
    numbers_held = {a[FIELDS.index("number")] for a in registered if a}
    log_text = json.dumps(log_after(http, keys, 0))
    assert not any(n in log_text for n in numbers_held)


def test_only_the_hub_may_call_provide_bulk(http, keys) -> None:
    body = {"exchange_id": "x", "requester": PAYER, "procedure": PROCEDURE, "items": [ITEM]}
    response = signed(
        http, keys, PAYER, "POST", "/accounts/intermediate/provide-bulk", body | {"codes": []}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "bad",
    [
        {"codes": []},
        {"codes": ["a" * 33]},
        {"items": []},
        {"provider": "municipality"},
    ],
)
def test_bad_requests_are_refused(http, keys, payer_codes, bad) -> None:
    assert ask(http, keys, **({"codes": payer_codes[:1]} | bad)).status_code == 422


def test_too_many_codes_are_refused(http, keys) -> None:
    assert ask(http, keys, ["a"] * 100_001).status_code == 422


def test_an_unsigned_request_is_refused(http) -> None:
    body = {"procedure": PROCEDURE, "provider": "accounts", "items": [ITEM], "codes": ["a"]}
    assert http.post(BULK, json=body).status_code == 401
