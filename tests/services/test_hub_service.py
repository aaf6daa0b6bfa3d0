"""The hub's relay on its own database, in a unit of work the test makes: codes converted per
agency, the permitted-exchange table enforced, the provider's sealed answer passed on unread,
every outcome recorded in the chain, deliveries and bulk exchanges recorded per person. The
provider and the recipient are functions standing in for the forward over HTTP; they seal with
real keys."""

from __future__ import annotations

import secrets
import threading
from typing import Any

import pytest

from mynumber import errors
from mynumber.orgs.hub import chain
from mynumber.orgs.hub.agency_codes import CodeScheme
from mynumber.orgs.hub.bulk import BulkRelay, BulkRequest
from mynumber.orgs.hub.deliveries import DELIVERED, NOT_DELIVERED, Deliveries, Delivery
from mynumber.orgs.hub.permitted import NotPermitted
from mynumber.orgs.hub.services import (
    NOT_FOUND,
    PROVIDED,
    REFUSED,
    UNAVAILABLE,
    Entry,
    Hub,
    Request,
)
from mynumber.platform.encryption import EncryptionKeys, open_sealed, seal
from mynumber.platform.uow import UnitOfWork


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
    for org in ("municipality-131016", "tax", "portal", "benefits"):
        keys.ensure(org)
    return keys


@pytest.fixture
def provider(keys) -> Provider:
    return Provider(keys, {})


@pytest.fixture
def engine(database):
    return database("hub", "mynumber.orgs.hub.migrations")


@pytest.fixture
def uow(engine) -> UnitOfWork:
    return UnitOfWork(engine)


class Bound:
    """The hub's use cases on one unit of work, as a route calls them with its own."""

    def __init__(self, hub: Hub, uow: UnitOfWork) -> None:
        self.service, self.uow = hub, uow

    def enrol(self, agency: str, acquisitions: list[str]) -> list[str]:
        return self.service.enrol(self.uow, agency, acquisitions)

    def person_of(self, agency: str, code: str) -> str | None:
        return self.service.person_of(self.uow, agency, code)

    def relay(self, request: Request) -> dict[str, Any]:
        return self.service.relay(self.uow, request)

    def log(self) -> list[dict[str, Any]]:
        return self.service.log(self.uow, after=0, limit=10_000)

    def head(self) -> chain.Head:
        return self.service.head(self.uow)


@pytest.fixture
def service(provider) -> Hub:
    return Hub(scheme=CodeScheme(secrets.token_bytes(32)), forward=provider)


@pytest.fixture
def hub(service, uow) -> Bound:
    return Bound(service, uow)


def enrolled(hub: Bound, provider: Provider) -> tuple[str, str]:
    """One person known to the municipality and the tax office: their two codes."""
    acquisition = secrets.token_hex(16)  # what J-LIS sends instead of a My Number
    [ours] = hub.enrol("municipality-131016", [acquisition])
    [theirs] = hub.enrol("tax", [acquisition])
    provider.records[theirs] = {"income": 4_200_000, "year": 2025}
    return ours, theirs


def claim(code: str, items: tuple[str, ...] = ("income",)) -> Request:
    return Request("municipality-131016", code, "child_allowance_claim", "tax", items)


def outcomes(hub: Bound) -> list[tuple[str, str]]:
    return [(e["outcome"], e["provider"]) for e in hub.log()]


def test_enrolment_gives_each_agency_its_own_stable_code(hub):
    acquisition = secrets.token_hex(16)
    [a] = hub.enrol("municipality-131016", [acquisition])
    [again] = hub.enrol("municipality-131016", [acquisition])
    [b] = hub.enrol("tax", [acquisition])

    assert a == again and a != b
    assert hub.person_of("municipality-131016", a) == hub.person_of("tax", b) is not None
    assert hub.person_of("tax", a) is None  # one agency's code means nothing for another


def test_enrolment_is_committed_for_the_next_unit_of_work(service, uow, engine):
    acquisitions = [secrets.token_hex(16) for _ in range(3)]
    codes = service.enrol(uow, "tax", acquisitions)

    later = UnitOfWork(engine)  # another request's
    assert len({service.person_of(later, "tax", code) for code in codes}) == 3
    assert service.population(later) == (3, 3)


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


def test_records_written_by_many_units_of_work_at_once_form_one_chain(service, engine):
    """Group commit: threads append at once, each on its own unit of work (as requests
    do); every record is written once, in one unbroken chain."""
    writers, each = 8, 5
    start = threading.Barrier(writers)
    heads: list[chain.Head] = []
    failures: list[BaseException] = []

    def write(n: int) -> None:
        mine = UnitOfWork(engine)
        start.wait()
        try:
            for i in range(each):
                entry = Entry(
                    f"ex-{n}-{i}", f"p{n}", "tax", "portal", "tax_notice", ("notice",), PROVIDED
                )
                heads.append(service.append(mine, [entry]))
        except BaseException as exc:  # reported below, outside the thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    log = service.log(UnitOfWork(engine), limit=10_000)
    assert len(log) == writers * each
    assert sorted(e["exchange_id"] for e in log) == sorted(
        f"ex-{n}-{i}" for n in range(writers) for i in range(each)
    )
    head = chain.verify(log)
    assert head == service.head(UnitOfWork(engine)) and head.seq == writers * each
    assert head in heads  # the last writer was told the head after its record


class Recipient:
    """The recipient behind a delivery (Mynaportal): takes the codes it knows."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, org: str, body: dict[str, Any]) -> Any:
        self.asked.append((org, body))
        return {"accepted": [code in self.known for code in body["codes"]], "sealed": None}


def test_a_delivery_reaches_the_recipient_by_its_codes_and_records_each_person(service, uow, keys):
    hub = Bound(service, uow)
    people = [secrets.token_hex(16) for _ in range(3)]
    tax_codes = hub.enrol("tax", people)
    portal_codes = hub.enrol("portal", people[:2])  # the third has no Mynaportal account
    recipient = Recipient(set(portal_codes))
    deliveries = Deliveries(hub=service, forward=recipient)
    sealed = seal(keys, "portal", {"messages": [{"title": "還付"}] * 3})

    answer = deliveries.deliver(
        uow,
        Delivery(
            sender="tax",
            procedure="tax_notice",
            recipient="portal",
            items=("notice",),
            codes=(*tax_codes, "z" * 26),
            sealed=sealed,
        ),
    )

    assert answer["accepted"] == [True, True, False, False]
    assert answer["reasons"][2].startswith("not_enrolled")
    assert answer["reasons"][3].startswith("unknown_code")
    [(org, body)] = recipient.asked
    assert org == "portal" and body["codes"] == [*portal_codes, None, None]
    assert body["sealed"] == sealed and not set(tax_codes) & set(str(body).split("'"))
    log = hub.log()
    assert sorted(e["outcome"] for e in log) == sorted(
        [REFUSED, DELIVERED, DELIVERED, NOT_DELIVERED]
    )
    assert {e["exchange_id"] for e in log} == {answer["delivery_id"]}
    assert chain.verify(log).seq == 4


def test_a_delivery_sealed_to_another_organisation_is_refused_and_recorded(service, uow, keys):
    hub = Bound(service, uow)
    [code] = hub.enrol("tax", [secrets.token_hex(16)])
    recipient = Recipient(set())
    deliveries = Deliveries(hub=service, forward=recipient)

    with pytest.raises(errors.InvalidInput) as refused:
        deliveries.deliver(
            uow,
            Delivery("tax", "tax_notice", "portal", ("notice",), (code,), seal(keys, "tax", {})),
        )

    assert refused.value.code == "sealed_to_another"
    assert recipient.asked == []
    [entry] = hub.log()
    assert entry["outcome"] == REFUSED and entry["reason"].startswith("sealed_to_another")


def test_a_bulk_exchange_converts_every_code_and_records_each_person(service, uow, keys):
    hub = Bound(service, uow)
    people = [secrets.token_hex(16) for _ in range(4)]
    ours = hub.enrol("benefits", people)
    theirs = hub.enrol("accounts", people[:3])
    asked: list[dict[str, Any]] = []

    def accounts(org: str, body: dict[str, Any]) -> Any:
        asked.append(body)
        return {"jwe": seal(keys, body["requester"], {"results": []})}

    answer = BulkRelay(service, accounts).relay(
        uow,
        BulkRequest(
            requester="benefits",
            procedure="benefit_payment",
            provider="accounts",
            items=("public_fund_account",),
            codes=(*ours, "y" * 26),
        ),
    )

    [body] = asked
    assert body["codes"] == [*theirs, None, None]
    assert open_sealed(keys, "benefits", answer["jwe"]) == {"results": []}
    log = hub.log()
    assert sorted(e["outcome"] for e in log) == sorted([PROVIDED] * 3 + [NOT_FOUND, REFUSED])
    assert chain.verify(log).seq == 5
