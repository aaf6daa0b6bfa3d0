"""The eligibility system's use cases on its own database, in a unit of work the test makes:
an insurer's copy taken, a card registered and confirmed at a clinic's reader (real auth
certificate, chain and PIN signature), answers by insurance-card data, and the refusals for a
card or a member it does not know. J-LIS is a small in-process authority with real keys; no
federation is built."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from xml.etree.ElementTree import fromstring

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from servicekit import Clock
from sqlalchemy import func, select

from mynumber.orgs.oqs import model, store
from mynumber.orgs.oqs.services import CardConfirmation, EligibilitySystem
from mynumber.pki import CertificateAuthority, LocalSigner, Purpose, create_root
from mynumber.platform.deliveries import Opened
from mynumber.platform.uow import UnitOfWork

CLINIC = "1310000001"  # a medical institution (point table 1)
INSURER = "insurer-06139994"


class Jlis:
    """J-LIS as the eligibility system asks it: the auth root, a card's status, the code
    behind a registered card, and whether a copy names the card's holder."""

    def __init__(self, key: rsa.RSAPrivateKey, clock: Clock) -> None:
        self.ca: CertificateAuthority = create_root(
            Purpose.AUTH, clock() - dt.timedelta(days=30), signer=LocalSigner(key)
        )
        self.clock = clock
        self.codes: dict[str, str] = {}  # auth serial → our code for its holder
        self.holders: dict[str, tuple[str, str, str]] = {}  # serial → name, sex, birth date

    def issue(self, key: rsa.RSAPrivateKey, code: str, holder: tuple[str, str, str]) -> bytes:
        """A card's auth certificate (DER) for the person we know as ``code``."""
        cert = self.ca.issue_auth(
            key.public_key(),
            birth_date=dt.date.fromisoformat(holder[2]),
            now=self.clock(),
            ocsp_url="http://127.0.0.1:8001/ocsp/auth",
            crl_url="http://127.0.0.1:8001/crl/auth.crl",
        )
        serial = f"{cert.serial_number:x}"
        self.codes[serial] = code
        self.holders[serial] = holder
        return cert.public_bytes(Encoding.DER)

    def auth_roots(self) -> list[Any]:
        return [self.ca.certificate]

    def status(self, serial: str) -> tuple[str, str, str | None]:
        return ("active", "good", None)

    def link(self, serial: str) -> str:
        return self.codes[serial]

    def holder_matches(self, serial: str, *, name: str, sex: str, birth_date: str) -> bool:
        return self.holders[serial] == (name, sex, birth_date)


def copy(
    number: str, *, name: str = "資格　花子", birth_date: str = "1980-04-01"
) -> dict[str, Any]:
    """An insurer's eligibility copy (every field the 中間サーバー takes)."""
    return {
        "insurer_number": "06139994",
        "insurer_name": "全国健康保険協会",
        "symbol": "12",
        "number": number,
        "branch": "00",
        "relation": "1",
        "card_classification": "01",
        "name": name,
        "name_kana_half": "ｼｶｸ ﾊﾅｺ",
        "sex": "2",
        "birth_date": birth_date,
        "valid_from": "2020-04-01",
        "valid_to": None,
        "ratio": 30,
        "insured_name": name,
        "paper_card_issued_on": None,
        "paper_card_expires_on": None,
        "certificate_valid_to": None,
    }


def answer_of(xml: bytes) -> dict[str, str]:
    """Every leaf element's text by tag (the answer has each tag once)."""
    return {e.tag: (e.text or "") for e in fromstring(xml).iter() if len(e) == 0}


def query(number: str, birth_date: dt.date = dt.date(1980, 4, 1)) -> model.InsuranceQuery:
    return model.InsuranceQuery(
        institution=CLINIC,
        file_id="F1",
        insurer_number="06139994",
        symbol="12",
        number=number,
        branch="00",
        birth_date=birth_date,
    )


@pytest.fixture
def uow(database) -> UnitOfWork:
    return UnitOfWork(database("oqs", "mynumber.orgs.oqs.migrations"))


@pytest.fixture
def jlis(rsa_keys, clock) -> Jlis:
    return Jlis(rsa_keys[0], clock)


@pytest.fixture
def system(jlis, clock) -> EligibilitySystem:
    return EligibilitySystem(jlis=jlis, clock=clock)


def take(system: EligibilitySystem, uow: UnitOfWork, codes: list[str | None], messages) -> Any:
    return system.take_copies(
        uow,
        Opened(
            delivery_id=secrets.token_hex(8),
            sender=INSURER,
            procedure="eligibility_registration",
            items=("eligibility_copy",),
            codes=codes,
            messages=messages,
        ),
    )


@pytest.fixture
def member(system, uow, jlis, rsa_keys) -> tuple[str, bytes, rsa.RSAPrivateKey]:
    """A member whose copy the insurer sent and whose card is registered: (code, auth
    certificate, the card's key)."""
    code = "c" * 26
    taken = take(system, uow, [code], [copy("3456")])
    assert taken.accepted == [True] and taken.answers == [{"card_registered": False}]
    certificate = jlis.issue(rsa_keys[1], code, ("資格　花子", "2", "1980-04-01"))
    [serial] = jlis.codes
    assert system.register(uow, serial) is True  # records exist
    assert system.registered(uow, serial)
    return code, certificate, rsa_keys[1]


def pin_confirmation(
    system: EligibilitySystem, uow: UnitOfWork, certificate: bytes, key: rsa.RSAPrivateKey
) -> CardConfirmation:
    challenge_id, nonce = system.challenge(uow, CLINIC)
    signature = key.sign(nonce, padding.PKCS1v15(), hashes.SHA256())  # the card, after its PIN
    return CardConfirmation(
        mode="pin",
        certificate=certificate,
        challenge_id=challenge_id,
        signature=signature,
        consent=frozenset({"drugs"}),
    )


def test_a_registered_member_is_eligible_at_the_reader_and_the_confirmation_is_kept(
    system, uow, member
):
    code, certificate, key = member
    asked = pin_confirmation(system, uow, certificate, key)

    reference, xml = system.confirm(uow, CLINIC, asked)

    found = answer_of(xml)
    assert found["QualificationValidity"] == model.VALID
    assert found["ReferenceNumber"] == reference
    assert "資格　花子" in xml.decode("utf-8")
    with uow as conn:
        kept = conn.execute(
            select(store.confirmations.c.code, store.confirmations.c.mode).where(
                store.confirmations.c.id == reference
            )
        ).one()
        consents = conn.scalar(select(func.count()).select_from(store.consents))
    assert tuple(kept) == (code, "pin") and consents == 1
    # the challenge was spent by the confirmation: the same signature does not serve twice
    with pytest.raises(model.Refused) as again:
        system.confirm(uow, CLINIC, asked)
    assert again.value.code == "challenge_invalid"


def test_a_card_that_is_not_registered_is_refused_and_nothing_is_kept(system, uow, jlis, rsa_keys):
    take(system, uow, ["d" * 26], [copy("7777")])
    certificate = jlis.issue(rsa_keys[2], "d" * 26, ("資格　花子", "2", "1980-04-01"))

    with pytest.raises(model.Refused) as refused:
        system.confirm(uow, CLINIC, CardConfirmation(mode="visual", certificate=certificate))

    assert refused.value.code == "not_registered"
    with uow as conn:
        assert conn.scalar(select(func.count()).select_from(store.confirmations)) == 0


def test_a_copy_that_does_not_name_the_card_holder_is_refused(system, uow, jlis, rsa_keys):
    take(system, uow, ["e" * 26], [copy("8888", name="別人　太郎")])
    certificate = jlis.issue(rsa_keys[3], "e" * 26, ("資格　花子", "2", "1980-04-01"))
    [serial] = jlis.codes
    assert system.register(uow, serial)

    with pytest.raises(model.Refused) as refused:
        system.confirm(uow, CLINIC, CardConfirmation(mode="visual", certificate=certificate))

    assert refused.value.code == "identity_mismatch"


def test_insurance_card_data_answer_a_known_member_and_not_an_unknown_one(system, uow):
    take(system, uow, ["f" * 26, None], [copy("3456"), copy("9999")])

    known = answer_of(system.answer(uow, CLINIC, query("3456")))
    unknown = answer_of(system.answer(uow, CLINIC, query("0000")))
    wrong_birth = answer_of(system.answer(uow, CLINIC, query("3456", dt.date(1981, 4, 1))))

    assert known["QualificationValidity"] == model.VALID
    assert unknown["QualificationValidity"] == model.NO_QUALIFICATION
    assert wrong_birth["QualificationValidity"] == model.NO_QUALIFICATION


def test_a_malformed_copy_or_one_from_a_non_insurer_is_not_kept(system, uow):
    broken = copy("5555") | {"ratio": 40}
    taken = take(system, uow, ["g" * 26, "h" * 26], [broken, copy("6666")])
    assert taken.accepted == [False, True]

    refused = system.take_copies(
        uow,
        Opened(
            delivery_id="x",
            sender="tax",
            procedure="eligibility_registration",
            items=("eligibility_copy",),
            codes=["i" * 26],
            messages=[copy("4444")],
        ),
    )

    assert refused.accepted == [False]
    assert system.health(uow)["eligibility"] == 1
