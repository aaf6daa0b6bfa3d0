"""The linkage network: agency codes through J-LIS and the hub, permitted exchanges relayed
as JWE the hub cannot read, the hash-chained record, and the privacy invariants.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every hop is a real signed HTTP
request carried in-process.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, select, text

from mynumber.orgs.hub import chain
from mynumber.orgs.municipality import store as registry_store
from mynumber.platform.encryption import EncryptionKeys, is_compact_jwe, open_answer
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA, SHINJUKU = "131016", "131041"
API = f"/municipality/{CHIYODA}/api"
CHIYODA_ORG = f"municipality-{CHIYODA}"


def register(http: httpx.Client, body: dict[str, Any], code: str = CHIYODA) -> dict[str, Any]:
    response = http.post(f"/municipality/{code}/api/residents", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def file_income(http: httpx.Client, number: str, incomes: dict[int, int]) -> dict[str, Any]:
    filings = [{"my_number": number, "year": y, "income_yen": v} for y, v in incomes.items()]
    response = http.post("/tax/api/filings", json={"filings": filings})
    assert response.status_code == 200, response.text
    return dict(response.json())


def signed(http: httpx.Client, keys: KeyFolder, org: str, path: str, body: Any) -> httpx.Response:
    """A request to the hub signed as ``org`` (as its own client would send it)."""
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, content))
    return http.post(path, content=content, headers=headers)


def dump(engine: Engine) -> str:
    """Every value in every table of a database, as one string."""
    parts = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def code_of(fed, resident_id: str) -> str:
    with fed.municipality(CHIYODA).engine.connect() as conn:
        return str(
            conn.scalar(
                select(registry_store.agency_codes.c.code).where(
                    registry_store.agency_codes.c.resident_id == resident_id
                )
            )
        )


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def demo(fed) -> int:
    """The demo flows: residents in both municipalities, agencies seeded for them."""
    fed.seed(CHIYODA, 30)
    fed.seed(SHINJUKU, 30)
    return fed.seed_linkage()


@pytest.fixture
def claimant(http, person, number_of, demo) -> dict[str, Any]:
    """A resident of Chiyoda with income filed at the tax office."""
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    assert number is not None
    file_income(http, number, {2023: 4_100_000, 2024: 4_350_000})
    # registration enrolled the person (符号取得): nothing is left to enrol
    enrolled = http.post(f"{API}/linkage/enrol", json={"resident_ids": [resident["id"]]})
    assert enrolled.json() == {"enrolled": 0}, enrolled.text
    return resident | {"number": number}


def test_demo_gives_every_agency_records_under_its_own_codes(fed, http, demo):
    assert demo == 60
    health = http.get("/healthz").json()["orgs"]
    assert health["tax"]["taxpayers"] > 0
    assert health["pension"]["members"] > 0
    assert health["insurer"]["members"] > 0
    assert health["hub"]["persons"] >= 60


def test_income_for_the_child_allowance_claim_comes_through_the_hub(fed, http, claimant):
    before = http.get("/hub/log/head").json()["seq"]

    response = http.post(f"{API}/residents/{claimant['id']}/linkage/income")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["provider"] == "tax"
    assert answer["procedure"] == "child_allowance_claim"
    assert answer["income"] == [
        {"year": 2024, "income_yen": 4_350_000},
        {"year": 2023, "income_yen": 4_100_000},
    ]
    # the exchange, then the staff read disclosed to the person's Mynaportal
    logged = http.get("/hub/log", params={"after": before}).json()
    assert [e["procedure"] for e in logged] == ["child_allowance_claim", "record_access_disclosure"]
    records = [
        r
        for r in http.get(f"{API}/residents/{claimant['id']}/linkage/records").json()
        if r["procedure"] != "record_access_disclosure"
    ]
    assert [(r["requester"], r["provider"], r["outcome"]) for r in records][-1] == (
        CHIYODA_ORG,
        "tax",
        "provided",
    )
    assert records[-1]["exchange_id"] == answer["exchange_id"]
    assert records[-1]["procedure_name"] == "児童手当 認定請求"


def test_codes_differ_per_agency_and_a_second_filing_finds_the_same_taxpayer(fed, http, claimant):
    municipality_code = code_of(fed, claimant["id"])
    taxpayers = http.get("/healthz").json()["orgs"]["tax"]["taxpayers"]

    file_income(http, claimant["number"], {2024: 4_400_000})  # 修正申告

    assert http.get("/healthz").json()["orgs"]["tax"]["taxpayers"] == taxpayers
    tax_db = dump(fed.services("tax").engine)
    assert municipality_code not in tax_db
    answer = http.post(f"{API}/residents/{claimant['id']}/linkage/income").json()
    assert answer["income"][0] == {"year": 2024, "income_yen": 4_400_000}


def test_another_agencys_code_matches_nobody_and_is_recorded(fed, http, keys, claimant):
    stolen = code_of(fed, claimant["id"])
    body = {
        "code": stolen,
        "procedure": "premium_exemption",
        "provider": "tax",
        "items": ["income"],
    }

    response = signed(http, keys, "pension", "/hub/exchanges", body)

    assert response.status_code == 404, response.text
    assert response.json()["title"] == "unknown_code"
    last = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=10_000)[-1]
    assert (last["requester"], last["outcome"], last["person"]) == ("pension", "refused", "")


def test_an_item_the_table_does_not_permit_is_refused_and_recorded(fed, http, keys, claimant):
    body = {
        "code": code_of(fed, claimant["id"]),
        "procedure": "child_allowance_claim",
        "provider": "tax",
        "items": ["income", "pension"],
    }

    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)

    assert response.status_code == 403, response.text
    assert response.json()["title"] == "not_permitted"
    assert "pension" in response.json()["detail"]
    records = http.get(f"{API}/residents/{claimant['id']}/linkage/records").json()
    assert records[-1]["outcome"] == "refused"
    assert records[-1]["reason"].startswith("not_permitted")
    assert records[-1]["items"] == ["income", "pension"]


@pytest.mark.parametrize(
    ("procedure", "provider", "why"),
    [
        ("no_such_procedure", "tax", "not in the permitted-exchange table"),
        ("premium_exemption", "tax", "a municipality may not ask anything"),
        ("child_allowance_claim", "insurer", "may not ask a insurer"),
    ],
)
def test_exchanges_outside_the_table_are_refused_with_the_reason(
    fed, http, keys, claimant, procedure, provider, why
):
    body = {
        "code": code_of(fed, claimant["id"]),
        "procedure": procedure,
        "provider": provider,
        "items": ["income"],
    }
    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)
    assert response.status_code == 403, response.text
    assert why in response.json()["detail"]


def test_the_hub_relays_a_jwe_it_cannot_read(fed, http, keys, claimant):
    body = {
        "code": code_of(fed, claimant["id"]),
        "procedure": "child_allowance_claim",
        "provider": "tax",
        "items": ["income"],
    }
    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)
    assert response.status_code == 200, response.text
    sealed = response.json()["jwe"]
    assert is_compact_jwe(sealed)
    assert "4350000" not in sealed and "income_yen" not in sealed

    enc = EncryptionKeys(fed.settings.data_dir / "keys")
    asked = {"provider": "tax", "procedure": "child_allowance_claim"}
    with pytest.raises(Exception, match="decrypt"):
        open_answer(enc, response.json(), requester="hub", **asked)  # the hub's key opens nothing
    data = open_answer(enc, response.json(), requester=CHIYODA_ORG, **asked)
    assert data["income"][0]["year"] == 2024
    with pytest.raises(Exception, match="another exchange"):
        other = response.json() | {"exchange_id": "0000000000000000"}
        open_answer(enc, other, requester=CHIYODA_ORG, **asked)


def test_a_replayed_request_is_refused(fed, http, keys, claimant):
    body = json.dumps(
        {
            "code": code_of(fed, claimant["id"]),
            "procedure": "child_allowance_claim",
            "provider": "tax",
            "items": ["income"],
        }
    ).encode()
    headers = {"content-type": "application/json"}
    headers.update(
        Identity(CHIYODA_ORG, keys.private_key(CHIYODA_ORG)).sign("POST", "/hub/exchanges", body)
    )
    assert http.post("/hub/exchanges", content=body, headers=headers).status_code == 200
    again = http.post("/hub/exchanges", content=body, headers=headers)
    assert again.status_code == 401
    assert again.json()["title"] == "replay"


def test_an_unsigned_or_forged_provide_is_refused_by_the_provider(http, keys):
    body = {"exchange_id": "x", "code": "x", "requester": CHIYODA_ORG, "procedure": "p"}
    assert http.post("/tax/intermediate/provide", json=body | {"items": []}).status_code == 401
    forged = signed(http, keys, CHIYODA_ORG, "/tax/intermediate/provide", body | {"items": []})
    assert forged.status_code == 403  # only the hub may ask the intermediate server


def test_a_provider_that_is_down_gives_503_and_a_record(fed, http, claimant, monkeypatch):
    def down(uow: UnitOfWork, request: Any) -> str:
        raise ConnectionError("the intermediate server is down")

    monkeypatch.setattr(fed.agency("tax").agency, "provide", down)

    response = http.post(f"{API}/residents/{claimant['id']}/linkage/income")

    assert response.status_code == 503, response.text
    assert response.json()["title"] == "provider_unavailable"
    monkeypatch.undo()
    records = http.get(f"{API}/residents/{claimant['id']}/linkage/records").json()
    assert records[-1]["outcome"] == "provider_unavailable"


def test_a_retired_number_enrols_nobody_and_the_new_one_keeps_the_code(
    fed, http, number_of, claimant, reissue
):
    old = claimant["number"]
    code_before = code_of(fed, claimant["id"])
    response = reissue(CHIYODA, claimant["id"])
    assert response.status_code == 200, response.text
    new = number_of(CHIYODA, claimant["id"])
    assert new != old

    assert file_income(http, old, {2024: 1})["unknown"] == 1
    taxpayers = http.get("/healthz").json()["orgs"]["tax"]["taxpayers"]
    assert file_income(http, new, {2024: 4_500_000}) == {"filed": 1, "unknown": 0}
    assert http.get("/healthz").json()["orgs"]["tax"]["taxpayers"] == taxpayers  # same code
    assert code_of(fed, claimant["id"]) == code_before
    answer = http.post(f"{API}/residents/{claimant['id']}/linkage/income").json()
    assert answer["income"][0]["income_yen"] == 4_500_000


def test_records_export_as_json_with_the_chain_head(fed, http, keys, claimant):
    http.post(f"{API}/residents/{claimant['id']}/linkage/income").raise_for_status()
    response = signed(
        http, keys, CHIYODA_ORG, "/hub/records/export", {"code": code_of(fed, claimant["id"])}
    )
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    exchanges = [r for r in document["records"] if r["procedure"] != "record_access_disclosure"]
    assert exchanges[-1]["outcome"] == "provided"
    assert document["chain_head"] == http.get("/hub/log/head").json()


def test_the_log_recomputes_and_a_changed_entry_breaks_it(fed, http, claimant):
    http.post(f"{API}/residents/{claimant['id']}/linkage/income").raise_for_status()
    entries = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)

    head = chain.verify(entries)

    assert (head.seq, head.hash) == tuple(http.get("/hub/log/head").json().values())
    tampered = [dict(e) for e in entries]
    tampered[0]["outcome"] = "tampered"  # never a real outcome, whatever came first
    with pytest.raises(chain.BrokenChain):
        chain.verify(tampered)
    with pytest.raises(chain.BrokenChain):
        chain.verify(entries[1:])


def test_concurrent_exchanges_share_commits_and_the_chain_still_recomputes(
    fed, http, keys, claimant
):
    from concurrent.futures import ThreadPoolExecutor

    code = code_of(fed, claimant["id"])
    body = {"code": code, "procedure": "child_allowance_claim", "provider": "tax"}
    before = fed.hub().hub.head(UnitOfWork(fed.hub().engine)).seq

    def exchange(n: int) -> str:
        # every other one refused (an item not in the table): both outcomes are recorded
        items = ["income"] if n % 2 else ["pension"]
        answer = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body | {"items": items})
        assert answer.status_code in (200, 403), answer.text
        return str(answer.json().get("exchange_id", ""))

    with ThreadPoolExecutor(8) as pool:
        ids = [i for i in pool.map(exchange, range(40)) if i]

    entries = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)
    head = chain.verify(entries)
    assert head.seq == before + 40 and [e["seq"] for e in entries] == list(range(1, head.seq + 1))
    mine = [e for e in entries if e["seq"] > before]
    assert sorted(e["outcome"] for e in mine) == ["provided"] * 20 + ["refused"] * 20
    assert {e["exchange_id"] for e in mine if e["outcome"] == "provided"} == set(ids)


def test_no_my_number_and_no_data_at_the_hub_only_own_data_at_agencies(fed, http, claimant, caplog):
    with caplog.at_level("DEBUG"):
        http.post(f"{API}/residents/{claimant['id']}/linkage/income").raise_for_status()
        http.post(f"/municipality/{CHIYODA}/api/residents/{claimant['id']}/linkage/income")
    numbers = set()
    codes = set()
    for municipality in (CHIYODA, SHINJUKU):
        with fed.municipality(municipality).engine.connect() as conn:
            numbers.update(
                n for n in conn.scalars(text("SELECT my_number FROM residents")) if n is not None
            )
            codes.update(conn.scalars(select(registry_store.agency_codes.c.code)))
    assert len(numbers) >= 60

    hub_db = dump(fed.hub().engine)
    assert hub_db and not any(n in hub_db for n in numbers)
    assert "4350000" not in hub_db and "4500000" not in hub_db and "income_yen" not in hub_db
    assert "4500000" not in caplog.text
    for agency in ("tax", "pension", "insurer"):
        agency_db = dump(fed.services(agency).engine)
        assert agency_db
        assert not any(n in agency_db for n in numbers), agency
        assert not any(c in agency_db for c in codes), agency  # no municipality's codes
    tax_codes = set(dump(fed.services("tax").engine).split())
    pension_codes = set(dump(fed.services("pension").engine).split())
    assert not {c for c in tax_codes if len(c) == 26} & pension_codes
