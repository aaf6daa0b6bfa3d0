"""J-LIS's card use cases on its own database: a card is issued with good certificates, a
suspension revokes them all at once (and again changes nothing), the call centre suspends
only for a caller whose items match, and an issue that fails half-way records nothing.
Each use case gets the unit of work of J-LIS's database, as a route would; the chip's keys
come from the demo keys, the CAs are J-LIS's own (made once for the module)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from mynumber import errors
from mynumber.number import generate
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.callcentre import CallCentre, CallerNotIdentified
from mynumber.orgs.jlis.cards import CardIssuer, Holder, IssuedCard, Pins
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.revocation import status_of
from mynumber.pki import GOOD, Purpose, Revoked
from mynumber.platform.uow import UnitOfWork

MUNICIPALITY = "131016"
ADULT = Holder(
    name="試験\u3000花子",
    address="東京都千代田区霞が関二丁目１番２号",
    birth_date=dt.date(1990, 1, 2),
    sex="2",
    my_number=next(generate()),
)


class DemoKeys:
    """The chip's key source: the demo RSA keys in turn (generating them would be slow)."""

    def __init__(self, keys: list[rsa.RSAPrivateKey]) -> None:
        self._keys = itertools.cycle(keys)

    def new_rsa_key(self) -> rsa.RSAPrivateKey:
        return next(self._keys)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the module: J-LIS's CAs are made on first use, then kept."""
    return tmp_path_factory.mktemp("jlis-data")


@pytest.fixture(scope="module")
def authority(data_dir: Path) -> AuthorityStore:
    return AuthorityStore(data_dir)


@pytest.fixture
def uow(database) -> UnitOfWork:
    return UnitOfWork(database("jlis", "mynumber.orgs.jlis.migrations"))


def card_issuer(
    authority: AuthorityStore, data_dir: Path, keys: list[rsa.RSAPrivateKey], **kwargs: Any
) -> CardIssuer:
    numbering = Numbering(bytes(32))
    return CardIssuer(
        authority=authority,
        seal_key_path=data_dir / "card-seal.key",
        base_url="http://jlis.test",
        key_source=DemoKeys(keys),
        code_fingerprint=lambda code: numbering.fingerprint("code", code),
        **({"item_fingerprint": numbering.fingerprint} | kwargs),
    )


@pytest.fixture
def issuer(authority, data_dir, rsa_keys) -> CardIssuer:
    return card_issuer(authority, data_dir, rsa_keys)


def issue(issuer: CardIssuer, uow: UnitOfWork, key: str | None = None) -> IssuedCard:
    return issuer.issue(
        uow,
        municipality=MUNICIPALITY,
        holder=ADULT,
        pins=Pins(auth="1234", sign="ABC123"),
        idempotency_key=key,
        resident_code="12345678901",
    )


def statuses(uow: UnitOfWork, card: IssuedCard) -> dict[Purpose, object]:
    return {p: status_of(uow, p, c.serial_number) for p, c in card.certificates.items()}


def counts(uow: UnitOfWork) -> dict[str, int]:
    with uow as conn:
        return {
            t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (store.cards, store.certificates)
        }


def test_an_issued_card_is_recorded_with_both_certificates_good_and_once(issuer, uow):
    card = issue(issuer, uow, key="form-1")

    assert card.signing_certificate_issued
    assert statuses(uow, card) == {Purpose.AUTH: GOOD, Purpose.SIGN: GOOD}
    assert counts(uow) == {"cards": 1, "certificates": 2}
    with pytest.raises(errors.Conflict) as again:  # the same request again: no second card
        issue(issuer, uow, key="form-1")
    assert again.value.code == "card_already_issued"
    assert counts(uow) == {"cards": 1, "certificates": 2}


def test_a_suspension_revokes_every_certificate_at_once_and_repeating_it_changes_nothing(
    issuer, uow
):
    card = issue(issuer, uow)

    status, revoked = issuer.suspend(uow, card.manufacture_number, reason="certificateHold")
    again = issuer.suspend(uow, card.manufacture_number, reason="certificateHold")

    assert status == "suspended" and again == (status, revoked)
    assert {r.serial for r in revoked} == {c.serial_number for c in card.certificates.values()}
    assert all(isinstance(s, Revoked) for s in statuses(uow, card).values())
    with pytest.raises(errors.NotFound):
        issuer.suspend(uow, "ZZZZZZZZZZZZZ")


def test_the_call_centre_suspends_only_for_a_caller_whose_items_match(issuer, uow):
    card = issue(issuer, uow)
    centre = CallCentre(issuer)

    with pytest.raises(CallerNotIdentified):
        centre.suspend(uow, card.manufacture_number, name="試験 次郎")
    assert statuses(uow, card) == {Purpose.AUTH: GOOD, Purpose.SIGN: GOOD}

    done = centre.suspend(
        uow, card.manufacture_number, name="試験 花子", birth_date=ADULT.birth_date
    )

    assert done.status == "suspended" and len(done.revoked) == 2


def test_an_issue_that_fails_half_way_records_no_card(authority, data_dir, rsa_keys, uow):
    def unavailable(kind: str, value: str) -> str:  # after the card's rows are written
        raise errors.Unavailable("the keyed hash is unavailable")

    failing = card_issuer(authority, data_dir, rsa_keys, item_fingerprint=unavailable)

    with pytest.raises(errors.Unavailable):
        issue(failing, uow)

    assert counts(uow) == {"cards": 0, "certificates": 0}
