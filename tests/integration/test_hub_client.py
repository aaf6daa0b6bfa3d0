"""The typed hub client every requester uses: an exchange comes back opened and checked,
the records typed; an answer outside the wire contract, or one replayed from another
exchange, is refused.

The refusals put a stand-in hub (an ``httpx.MockTransport``) between the client and the
real one: the stand-in answers what a faulty or hostile hub could, the client's checks run
as they do in production.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_linkage import API, CHIYODA, CHIYODA_ORG, code_of, file_income, register

from mynumber import errors
from mynumber.platform import wire
from mynumber.platform.http import Directory
from mynumber.platform.hub_client import Exchanged, HubClient
from mynumber.platform.wire import ExchangeRecord

PROCEDURE = "child_allowance_claim"


@pytest.fixture(scope="module")
def hub(fed) -> HubClient:
    """The municipality's own hub client, as its linkage service holds it."""
    return fed.municipality(CHIYODA).linkage.hub


@pytest.fixture
def asked(fed, http, person, number_of, hub) -> tuple[str, Exchanged, str]:
    """A claimant with income at the tax office; the municipality's exchange about them."""
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    file_income(http, number, {2024: 3_900_000})
    code = code_of(fed, resident["id"])
    answer = hub.exchange(code, procedure=PROCEDURE, provider="tax", items=["income"])
    return code, answer, resident["id"]


def test_an_exchange_comes_back_opened_and_typed(asked) -> None:
    _, answer, _ = asked
    assert isinstance(answer, Exchanged)
    assert (answer.provider, answer.procedure, answer.items) == ("tax", PROCEDURE, ["income"])
    assert answer.data["income"] == [{"year": 2024, "income_yen": 3_900_000}]


def test_the_records_and_the_export_are_typed_and_hold_the_exchange(hub, asked) -> None:
    code, answer, _ = asked
    records = hub.records(code)
    assert all(isinstance(r, ExchangeRecord) for r in records)
    mine = [r for r in records if r.exchange_id == answer.exchange_id]
    assert [(r.requester, r.provider, r.outcome) for r in mine] == [
        (CHIYODA_ORG, "tax", "provided")
    ]
    exported = hub.export(code)
    assert [r.exchange_id for r in exported.records] == [r.exchange_id for r in records]
    assert exported.chain_head.seq >= mine[0].seq


def test_the_staff_route_answers_the_typed_records(http, asked) -> None:
    _, answer, resident_id = asked
    shown = http.get(f"{API}/residents/{resident_id}/linkage/records").json()
    assert answer.exchange_id in [r["exchange_id"] for r in shown]


def _stand_in(fed, answer: Any) -> HubClient:
    """A client of a stand-in hub that answers ``answer`` to every request."""
    real = fed.municipality(CHIYODA).linkage.hub
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    directory = Directory(
        {"hub": "http://hub.test"}, httpx.Client(transport=transport, base_url="http://hub.test")
    )
    return HubClient(directory, real.identity, real.keys)


def test_an_answer_outside_the_contract_is_unavailable(fed, asked) -> None:
    code, _, _ = asked
    client = _stand_in(fed, {"exchange_id": "x", "provider": "tax"})  # no jwe, no items
    with pytest.raises(errors.Unavailable) as refused:
        client.exchange(code, procedure=PROCEDURE, provider="tax", items=["income"])
    assert refused.value.code == "bad_answer"


def test_an_answer_replayed_from_another_exchange_is_refused(fed, http, asked) -> None:
    """The hub cannot hand one exchange's sealed answer back as another's: the provider's
    signature binds the exchange id."""
    code, answer, _ = asked
    real = fed.municipality(CHIYODA).linkage.hub
    sealed = real.call(
        "POST",
        "/exchanges",
        {"code": code, "procedure": PROCEDURE, "provider": "tax", "items": ["income"]},
        answer=wire.ExchangeOut,
    )
    replayed = sealed.model_dump() | {"exchange_id": answer.exchange_id}
    with pytest.raises(errors.InvalidInput) as refused:
        _stand_in(fed, replayed).exchange(
            code, procedure=PROCEDURE, provider="tax", items=["income"]
        )
    assert refused.value.code == "bad_answer_signature"


def test_a_bulk_answer_of_another_count_is_unavailable(fed, asked) -> None:
    code, _, _ = asked
    client = _stand_in(fed, {"exchange_id": "x"})
    with pytest.raises(errors.Unavailable):
        client.exchange_bulk([code], procedure="benefit_payment", provider="accounts", items=["x"])
