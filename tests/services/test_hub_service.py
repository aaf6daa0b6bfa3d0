"""The hub's relay on its own database: codes converted per agency, the permitted-exchange
table enforced, the provider's sealed answer passed on unread, every outcome recorded in the
chain. The provider is a function standing in for the forward over HTTP; it seals with real
keys."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from mynumber import errors
from mynumber.orgs.hub import chain
from mynumber.orgs.hub.agency_codes import CodeScheme
from mynumber.orgs.hub.permitted import NotPermitted
from mynumber.orgs.hub.services import NOT_FOUND, PROVIDED, REFUSED, UNAVAILABLE, Hub, Request
from mynumber.platform.encryption import EncryptionKeys, open_sealed, seal


class Provider:
    """A providing agency behind the hub: answers with its record, sealed to the requester."""

    def __init__(self, keys: EncryptionKeys, records: dict[str, dict[str, Any]]) -> None:
        self.keys = keys
        self.records = records  # the provider's own code → its record
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.failure: Exception | None = None
        self.unsealed = False

    def __call__(self, org: str, body: dict[str, Any]) -> Any:
        self.asked.append((org, body))
        if self.failure is not None:
            raise self.failure
        record = self.records.get(body["code"])
        if record is None:
            raise errors.NotFound("no record of this person", code="not_held")
        if self.unsealed:
            return {"jwe": record}
        sealed = seal(self.keys, body["requester"], record, exchange_id=body["exchange_id"])
        return {"jwe": sealed}


@pytest.fixture
def keys(tmp_path) -> EncryptionKeys:
    keys = EncryptionKeys(tmp_path / "keys")
    for org in ("municipality-131016", "tax"):
        keys.ensure(org)
    return keys


@pytest.fixture
def provider(keys) -> Provider:
    return Provider(keys, {})


@pytest.fixture
def hub(database, provider) -> Hub:
    engine = database("hub", "mynumber.orgs.hub.migrations")
    return Hub(engine=engine, scheme=CodeScheme(secrets.token_bytes(32)), forward=provider)


def enrolled(hub: Hub, provider: Provider) -> tuple[str, str]:
    """One person known to the municipality and the tax office: their two codes."""
    acquisition = secrets.token_hex(16)  # what J-LIS sends instead of a My Number
    [ours] = hub.enrol("municipality-131016", [acquisition])
    [theirs] = hub.enrol("tax", [acquisition])
    provider.records[theirs] = {"income": 4_200_000, "year": 2025}
    return ours, theirs


def claim(code: str, items: tuple[str, ...] = ("income",)) -> Request:
    return Request("municipality-131016", code, "child_allowance_claim", "tax", items)


def outcomes(hub: Hub) -> list[tuple[str, str]]:
    return [(e["outcome"], e["provider"]) for e in hub.log()]


def test_enrolment_gives_each_agency_its_own_stable_code(hub):
    acquisition = secrets.token_hex(16)
    [a] = hub.enrol("municipality-131016", [acquisition])
    [again] = hub.enrol("municipality-131016", [acquisition])
    [b] = hub.enrol("tax", [acquisition])

    assert a == again and a != b
    assert hub.person_of("municipality-131016", a) == hub.person_of("tax", b) is not None
    assert hub.person_of("tax", a) is None  # one agency's code means nothing for another


@pytest.mark.parametrize("agency", ["hub", "jlis", ""])
def test_the_hub_and_jlis_get_no_agency_codes(hub, agency):
    with pytest.raises(errors.InvalidInput):
        hub.enrol(agency, [secrets.token_hex(16)])


def test_a_permitted_exchange_reaches_the_provider_under_its_own_code_and_is_recorded(
    hub, provider, keys
):
    ours, theirs = enrolled(hub, provider)

    answer = hub.relay(claim(ours))

    [(org, body)] = provider.asked
    assert org == "tax" and body["code"] == theirs and ours not in str(body)
    opened = open_sealed(
        keys, "municipality-131016", answer["jwe"], exchange_id=answer["exchange_id"]
    )
    assert opened == {"income": 4_200_000, "year": 2025}
    assert outcomes(hub) == [(PROVIDED, "tax")]
    chain.verify(hub.log())


def test_a_code_that_matches_nobody_is_refused_and_recorded_without_a_person(hub, provider):
    enrolled(hub, provider)

    with pytest.raises(errors.NotFound) as refused:
        hub.relay(claim("a" * 26))

    assert refused.value.code == "unknown_code"
    assert provider.asked == []
    [entry] = hub.log()
    assert (entry["outcome"], entry["person"]) == (REFUSED, "")


@pytest.mark.parametrize(
    ("procedure", "items"),
    [
        ("child_allowance_claim", ("income", "pension")),  # an item the row does not list
        ("tax_refund", ("income",)),  # a procedure of another kind of requester
        ("no_such_procedure", ("income",)),
    ],
)
def test_an_exchange_outside_the_permitted_table_never_reaches_the_provider(
    hub, provider, procedure, items
):
    ours, _ = enrolled(hub, provider)

    with pytest.raises(NotPermitted):
        hub.relay(Request("municipality-131016", ours, procedure, "tax", items))

    assert provider.asked == []
    assert outcomes(hub) == [(REFUSED, "tax")]


def test_a_provider_that_holds_no_code_for_the_person_is_not_asked(hub, provider):
    acquisition = secrets.token_hex(16)
    [ours] = hub.enrol("municipality-131016", [acquisition])  # the tax office never enrolled

    with pytest.raises(errors.NotFound) as missing:
        hub.relay(claim(ours))

    assert missing.value.code == "not_held"
    assert provider.asked == []
    assert outcomes(hub) == [(NOT_FOUND, "tax")]


def test_a_failing_provider_is_unavailable_to_the_requester_and_recorded_as_failed(hub, provider):
    ours, _ = enrolled(hub, provider)
    provider.failure = ConnectionError("connection refused")

    with pytest.raises(errors.Unavailable) as failed:
        hub.relay(claim(ours))

    assert failed.value.code == "provider_unavailable"
    [entry] = hub.log()
    assert (entry["outcome"], entry["reason"]) == (UNAVAILABLE, "ConnectionError")


def test_an_answer_the_provider_did_not_seal_is_not_passed_on(hub, provider):
    ours, _ = enrolled(hub, provider)
    provider.unsealed = True

    with pytest.raises(errors.Unavailable):
        hub.relay(claim(ours))

    assert outcomes(hub) == [(UNAVAILABLE, "tax")]


def test_every_outcome_is_chained_and_a_changed_record_is_found(hub, provider):
    ours, _ = enrolled(hub, provider)
    hub.relay(claim(ours))
    with pytest.raises(errors.NotFound):
        hub.relay(claim("b" * 26))
    hub.relay(claim(ours))

    head = chain.verify(hub.log())
    assert head == hub.head() and head.seq == 3

    entries = hub.log()
    entries[1]["outcome"] = PROVIDED
    with pytest.raises(chain.BrokenChain) as broken:
        chain.verify(entries)
    assert broken.value.seq == 2
