"""The resident registry's rules on its own database: registration designates the number J-LIS
generates, once per person and request; a move hands the records to the new municipality and
closes them here, and a refused or unfinished move leaves the person here. J-LIS is a typed
fake; the new municipality is a second registry on a database of its own. Each use case
gets the unit of work of its municipality's database, as a route would."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, NamedTuple

import pytest

from mynumber import errors, jst
from mynumber.number import generate, is_valid, random_resident_code
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.clients import JlisIssuer, PeerMunicipality
from mynumber.orgs.municipality.model import BasicItems, Sex, municipality
from mynumber.orgs.municipality.schemas import Transfer, TransferMember
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.platform.uow import UnitOfWork

CHIYODA, SHINJUKU, OSAKA = "131016", "131041", "271004"


class FakeJlis:
    """J-LIS in miniature: reserves each resident code once, numbers it, issues cards."""

    def __init__(self) -> None:
        self.numbers: dict[str, str] = {}
        self.cards = itertools.count(1)
        self.revoked: list[str] = []
        self.suspended: list[str] = []

    def reserve_and_number(self, codes: list[str]) -> dict[str, str]:
        fresh = [c for c in codes if c not in self.numbers]
        for code, number in zip(fresh, generate(count=len(fresh)), strict=True):
            self.numbers[code] = number
        return {c: self.numbers[c] for c in fresh}

    def reissue_number(self, code: str, old_number: str, reason: str) -> str:
        self.numbers[code] = next(generate())
        return self.numbers[code]

    def issue_card(self, application: dict[str, Any]) -> dict[str, Any]:
        return {"summary": {"manufacture_number": f"CARD{next(self.cards):08d}"}}

    def revoke_signing(self, manufacture_number: str, reason: str) -> None:
        self.revoked.append(manufacture_number)

    def suspend_card(self, manufacture_number: str, reason: str) -> None:
        self.suspended.append(manufacture_number)


class Town(NamedTuple):
    """A municipality's registry and the unit of work of its own database."""

    registry: ResidentRegistry
    uow: UnitOfWork


class Peer:
    """Another municipality as the registry calls it: its registry, or a failure."""

    def __init__(self, town: Town | None) -> None:
        self.town = town
        self.failure: Exception | None = None

    def reachable(self) -> bool:
        return self.town is not None

    def move_in(self, transfer: dict[str, Any]) -> list[dict[str, Any]]:
        if self.failure is not None:
            raise self.failure
        assert self.town is not None
        registry, uow = self.town
        moved = registry.receive_move_in(uow, Transfer.model_validate(transfer))
        return [r.model_dump(mode="json") for r in moved]


@pytest.fixture
def jlis() -> FakeJlis:
    return FakeJlis()


def ports(jlis: FakeJlis, peer: Peer) -> tuple[JlisIssuer, PeerMunicipality]:
    """The fakes as the registry's ports (``mypy`` on this file checks they fit)."""
    return jlis, peer


@pytest.fixture
def shinjuku(database, jlis) -> Town:
    engine = database(f"municipality-{SHINJUKU}", "mynumber.orgs.municipality.migrations")
    registry = ResidentRegistry(
        municipality=municipality(SHINJUKU),
        jlis=ports(jlis, Peer(None))[0],
        peer=lambda code: Peer(None),
    )
    return Town(registry, UnitOfWork(engine))


@pytest.fixture
def peer(shinjuku) -> Peer:
    return Peer(shinjuku)


@pytest.fixture
def chiyoda(database, jlis, peer) -> Town:
    engine = database(f"municipality-{CHIYODA}", "mynumber.orgs.municipality.migrations")
    registry = ResidentRegistry(
        municipality=municipality(CHIYODA),
        jlis=jlis,
        peer=lambda code: peer if code == SHINJUKU else Peer(None),
    )
    return Town(registry, UnitOfWork(engine))


def person(given: str = "花子", address: str = "東京都千代田区霞が関二丁目１番２号") -> BasicItems:
    return BasicItems(
        family_name="試験",
        given_name=given,
        family_name_kana="シケン",
        given_name_kana="ハナコ",
        birth_date=date(1990, 1, 2),
        sex=Sex.FEMALE,
        address=address,
    )


def test_registration_designates_the_number_jlis_generated_for_the_reserved_code(chiyoda, jlis):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())

    number = jlis.numbers[resident.resident_code]
    assert is_valid(number)
    assert resident.my_number_masked is not None and number not in resident.model_dump_json()
    assert chiyoda.registry.find(chiyoda.uow, my_number=number).id == resident.id
    assert [e["kind"] for e in chiyoda.registry.history(chiyoda.uow, resident.id)] == [
        "birth",
        "number",
    ]


def test_a_retried_registration_with_its_key_registers_nobody_twice(chiyoda, jlis):
    first = chiyoda.registry.register(chiyoda.uow, items=person(), idempotency_key="form-1")
    again = chiyoda.registry.register(chiyoda.uow, items=person(), idempotency_key="form-1")

    assert again.id == first.id and len(jlis.numbers) == 1
    with pytest.raises(errors.Conflict) as reused:
        chiyoda.registry.register(chiyoda.uow, items=person(given="次郎"), idempotency_key="form-1")
    assert reused.value.code == "key_reused"


def test_the_same_person_at_the_same_address_is_not_registered_twice(chiyoda):
    chiyoda.registry.register(chiyoda.uow, items=person())

    with pytest.raises(errors.Conflict) as twice:
        chiyoda.registry.register(chiyoda.uow, items=person())

    assert twice.value.code == "already_registered"
    assert chiyoda.registry.search(chiyoda.uow)[0] == 1


def test_a_move_hands_the_record_to_the_new_municipality_with_the_same_number(
    chiyoda, shinjuku, jlis
):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())
    card = chiyoda.registry.issue_card(chiyoda.uow, resident.id, {}, None)["summary"][
        "manufacture_number"
    ]
    number = jlis.numbers[resident.resident_code]

    [arrived] = chiyoda.registry.move_out(
        chiyoda.uow, resident.id, to=SHINJUKU, address="東京都新宿区西新宿二丁目８番１号"
    )

    assert chiyoda.registry.get(chiyoda.uow, resident.id).status == "moved_out"
    assert shinjuku.registry.find(shinjuku.uow, my_number=number).id == arrived.id
    assert (arrived.municipality, arrived.resident_code) == (SHINJUKU, resident.resident_code)
    assert jlis.revoked == [card]  # the address changed: the signing certificate goes
    assert [e["kind"] for e in shinjuku.registry.history(shinjuku.uow, arrived.id)] == [
        "move_in",
        "number",
        "card_moved",  # the card stays valid: the new municipality knows it
    ]
    assert shinjuku.registry.cards_of(shinjuku.uow, arrived.id) == [card]
    with pytest.raises(errors.Conflict):
        chiyoda.registry.move_out(
            chiyoda.uow, resident.id, to=SHINJUKU, address="東京都新宿区西新宿二丁目８番１号"
        )


def test_a_move_the_new_municipality_refuses_leaves_the_person_here(chiyoda, shinjuku):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())

    with pytest.raises(errors.InvalidInput) as refused:  # Shinjuku checks the new address
        chiyoda.registry.move_out(chiyoda.uow, resident.id, to=SHINJUKU, address="")

    assert refused.value.field == "address"
    assert chiyoda.registry.get(chiyoda.uow, resident.id).status == "active"
    assert shinjuku.registry.search(shinjuku.uow, status="")[0] == 0


def test_a_move_the_new_municipality_never_answered_stays_claimed_until_retried(
    chiyoda, shinjuku, peer
):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())
    peer.failure = errors.Unavailable("municipality-131041 did not answer")

    with pytest.raises(errors.Unavailable):
        chiyoda.registry.move_out(
            chiyoda.uow, resident.id, to=SHINJUKU, address="東京都新宿区西新宿二丁目８番１号"
        )

    assert chiyoda.registry.get(chiyoda.uow, resident.id).status == "moving"
    peer.failure = None
    with pytest.raises(errors.Conflict) as claimed:  # a second clerk cannot move them again
        chiyoda.registry.move_out(
            chiyoda.uow, resident.id, to=SHINJUKU, address="東京都新宿区西新宿二丁目８番１号"
        )
    assert claimed.value.code == "not_active"
    assert shinjuku.registry.search(shinjuku.uow, status="")[0] == 0


@pytest.mark.parametrize(("to", "why"), [(CHIYODA, "within"), (OSAKA, "not served")])
def test_a_move_to_itself_or_to_a_municipality_not_served_is_refused(chiyoda, to, why):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())

    with pytest.raises(errors.InvalidInput) as refused:
        chiyoda.registry.move_out(
            chiyoda.uow, resident.id, to=to, address="大阪府大阪市北区梅田一丁目１番１号"
        )

    assert refused.value.field == "to" and why in refused.value.message
    assert chiyoda.registry.get(chiyoda.uow, resident.id).status == "active"


def test_a_death_closes_the_record_and_suspends_the_persons_cards(chiyoda, jlis):
    resident = chiyoda.registry.register(chiyoda.uow, items=person())
    card = chiyoda.registry.issue_card(chiyoda.uow, resident.id, {}, None)["summary"][
        "manufacture_number"
    ]

    closed = chiyoda.registry.record_death(chiyoda.uow, resident.id, died_on=jst.today())

    assert closed.status == "deceased" and jlis.suspended == [card]
    with pytest.raises(errors.NotFound):
        chiyoda.registry.find(chiyoda.uow, my_number=jlis.numbers[resident.resident_code])


@pytest.fixture(params=["AOE+12", "LINT-14"], ids=["host-behind-japan", "host-ahead-of-japan"])
def host_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The host's clock in a zone 21 hours behind Japan or 5 hours ahead (POSIX TZ strings):
    at any moment, in one of the two the host's date is not Japan's."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_registrys_today_is_the_day_in_japan_whatever_the_hosts_zone(chiyoda, host_zone):
    today = jst.today()
    tomorrow = today + timedelta(days=1)

    with pytest.raises(errors.InvalidInput):
        dataclasses.replace(person(), birth_date=tomorrow)
    born = chiyoda.registry.register(
        chiyoda.uow, items=dataclasses.replace(person(), birth_date=today)
    )
    with pytest.raises(errors.InvalidInput):
        chiyoda.registry.record_death(chiyoda.uow, born.id, died_on=tomorrow)
    assert chiyoda.registry.record_death(chiyoda.uow, born.id, died_on=today).left_on == today


def test_a_move_in_that_fails_half_way_leaves_nothing_behind(shinjuku):
    registry, uow = shinjuku
    living = registry.register(uow, items=person(address="東京都新宿区西新宿二丁目８番１号"))
    with uow as conn:
        before = {t.name: len(conn.execute(t.select()).all()) for t in store.metadata.sorted_tables}
    arriving = [
        TransferMember(
            resident_code=random_resident_code(),
            my_number=None,
            family_name="試験",
            given_name=given,
            family_name_kana="シケン",
            given_name_kana="ハナコ",
            birth_date=date(1990, 1, 2),
            sex="2",
            relationship=relationship,
            cards=[],
        )
        for given, relationship in (("次郎", "世帯主"), ("花子", "子"))
    ]
    transfer = Transfer(
        moved_from=CHIYODA,
        moved_on=jst.today(),
        address="東京都新宿区西新宿二丁目８番１号",
        members=arriving,
    )

    # the first member is written, the second is someone already living here: all undone
    with pytest.raises(errors.Conflict) as twice:
        registry.receive_move_in(uow, transfer)

    assert twice.value.code == "already_registered"
    with uow as conn:
        after = {t.name: len(conn.execute(t.select()).all()) for t in store.metadata.sorted_tables}
    assert after == before
    assert [r.id for r in registry.search(uow, status="")[1]] == [living.id]
