"""Answers are signed by their provider inside the encryption, and the requester checks it.

The hub here is made to misbehave — its forwarding is wrapped so that it swaps the tax
office's answer for one it made itself or for an earlier one — and the municipality, asking
for a claimant's income through its own API, must refuse what the hub hands it. The crypto,
the signed requests and the databases are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_linkage import API, CHIYODA, file_income, register

from mynumber.platform.encryption import EncryptionKeys, seal, seal_signed

FORGED_INCOME = {"income": [{"year": 2024, "income_yen": 1}]}

#: (the forwarded request, the provider's genuine answer) → what the hub relays instead
Swap = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


@pytest.fixture
def claimant(http, person, number_of) -> dict[str, Any]:
    """A resident of Chiyoda with income filed at the tax office, enrolled for linkage."""
    resident = register(http, person())
    number = number_of(CHIYODA, resident["id"])
    assert number is not None
    file_income(http, number, {2024: 4_350_000})
    return resident


@pytest.fixture
def enc(fed) -> EncryptionKeys:
    return EncryptionKeys(fed.settings.data_dir / "keys")


@pytest.fixture
def hub_swaps(fed, monkeypatch) -> Callable[[Swap], None]:
    """Make the hub relay ``swap(request, genuine answer)`` instead of the provider's answer."""
    hub = fed.hub().hub
    genuine = hub.forward

    def use(swap: Swap) -> None:
        monkeypatch.setattr(hub, "forward", lambda org, body: swap(body, genuine(org, body)))

    return use


def ask_income(http, claimant) -> Any:
    return http.post(f"{API}/residents/{claimant['id']}/linkage/income")


def test_a_genuine_answer_passes(http, claimant) -> None:
    response = ask_income(http, claimant)
    assert response.status_code == 200, response.text
    assert response.json()["income"] == [{"year": 2024, "income_yen": 4_350_000}]


@pytest.mark.parametrize("forger", ["hub", None])
def test_an_answer_forged_with_the_requesters_public_key_is_refused(
    http, claimant, enc, hub_swaps, forger
) -> None:
    # the hub holds the municipality's public key: it seals an answer of its own, signed
    # with its own key (or not signed at all), bound to the right exchange and procedure
    def forge(request: dict[str, Any], _: dict[str, Any]) -> dict[str, Any]:
        if forger is None:
            return {"jwe": seal(enc, request["requester"], FORGED_INCOME, exchange_id="")}
        bound = {"exchange_id": request["exchange_id"], "procedure": request["procedure"]}
        sealed = seal_signed(
            enc, FORGED_INCOME, signer=forger, recipient=request["requester"], **bound
        )
        return {"jwe": sealed}

    hub_swaps(forge)
    response = ask_income(http, claimant)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["title"] == "bad_answer_signature"
    expected = "signed by 'hub', not by tax" if forger else "not signed by its provider"
    assert expected in problem["detail"]
    assert '"income_yen":1' not in response.text.replace(" ", "")


def test_an_answer_for_another_exchange_is_refused(http, claimant, hub_swaps) -> None:
    # the hub keeps the tax office's genuine answer to one exchange and relays it again
    # for the next: signed by the right provider, but bound to the first exchange id
    kept: list[dict[str, Any]] = []

    def replay(_: dict[str, Any], genuine: dict[str, Any]) -> dict[str, Any]:
        kept.append(genuine)
        return kept[0]

    hub_swaps(replay)
    assert ask_income(http, claimant).status_code == 200
    response = ask_income(http, claimant)

    assert response.status_code == 422, response.text
    assert response.json()["title"] == "bad_answer_signature"
    assert "another exchange" in response.json()["detail"]
