"""The issuer path: authenticated admin session, key generation, personalisation lock."""

from __future__ import annotations

import mynumber_test_cardkit as kit
import pytest
from cryptography.hazmat.primitives import serialization
from mynumber_test_cardkit import run, select_ap, select_ef, tx

from mynumber.card import (
    AID_JPKI,
    EF,
    SW,
    ChipTransport,
    Lifecycle,
    ManufactureError,
    admin_cryptogram,
    derive_issuer_key,
)
from mynumber.reader import (
    IssuerAuthenticationFailed,
    IssuerSession,
    JPKIClient,
    KeyKind,
    SecurityStatusNotSatisfied,
)


def test_issuer_key_is_hmac_sha256_of_the_manufacture_number() -> None:
    import hashlib
    import hmac

    key = derive_issuer_key(kit.MASTER_KEY, "AB12345678901")
    assert key == hmac.new(kit.MASTER_KEY, b"AB12345678901", hashlib.sha256).digest()
    assert key != derive_issuer_key(kit.MASTER_KEY, "AB12345678902")


@pytest.mark.parametrize(
    "number", ["ab12345678901", "AB1234567890", "AB123456789012", "AB12345-78901"]
)
def test_malformed_manufacture_numbers_are_refused(number: str) -> None:
    with pytest.raises(ManufactureError):
        derive_issuer_key(kit.MASTER_KEY, number)


def test_short_master_key_is_refused() -> None:
    with pytest.raises(ManufactureError):
        derive_issuer_key(b"short", "AB12345678901")


def test_generate_returns_only_a_der_subject_public_key_info(blank_chip, demo_key_source) -> None:
    chip, issuer_key = blank_chip
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    public = session.generate_key_pair(KeyKind.AUTH)
    assert public.key_size == 2048
    # and the raw APDU: 256 bytes then 61 xx, the rest by GET RESPONSE
    run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_KEY))
    head, sw = tx(chip, "0046000000")
    assert (len(head), sw >> 8) == (256, 0x61)
    tail, sw = tx(chip, bytes((0x00, 0xC0, 0x00, 0x00, sw & 0xFF)))
    assert sw == SW.OK
    spki = serialization.load_der_public_key(head + tail)
    assert (
        spki.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == head + tail
    )


def test_a_wrong_issuer_key_opens_no_session(blank_chip) -> None:
    chip, _ = blank_chip
    with pytest.raises(IssuerAuthenticationFailed):
        IssuerSession.open(
            ChipTransport(chip), issuer_key=derive_issuer_key(kit.MASTER_KEY, "ZZ12345678901")
        )
    assert (
        run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY), "0046000000")[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_admin_session_ends_with_a_reset(blank_chip) -> None:
    chip, issuer_key = blank_chip
    challenge, _ = tx(chip, "0084000010")
    tx(chip, b"\x00\x82\x00\x00\x10" + admin_cryptogram(issuer_key, challenge))
    chip.reset()
    assert (
        run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CERT), "00D6000002AABB")[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_personalisation_then_finish_locks_writes(blank_chip) -> None:
    chip, issuer_key = blank_chip
    kit.personalise(chip, issuer_key)
    assert chip.lifecycle == Lifecycle.OPERATIONAL
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    with pytest.raises(Exception) as exc:  # the CA certificate is fixed once personalised
        session.write_ca_certificate(
            KeyKind.AUTH, kit.ca_certificate(KeyKind.AUTH).public_bytes(serialization.Encoding.DER)
        )
    assert getattr(exc.value, "status_word", None) == SW.CONDITIONS_NOT_SATISFIED


def test_the_counter_rewrites_a_live_cards_key_and_certificate_in_an_issuer_session(
    blank_chip,
) -> None:
    """Renewal: a new key pair and certificate on an operational card, issuer session only."""
    chip, issuer_key = blank_chip
    kit.personalise(chip, issuer_key)
    client = JPKIClient(ChipTransport(chip))
    before = client.read_certificate(KeyKind.AUTH)
    no_session = run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY), "0046000000")
    assert no_session[1] == SW.SECURITY_STATUS_NOT_SATISFIED  # nothing is written
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    new_key = session.generate_key_pair(KeyKind.AUTH)
    der = kit.ca_certificate(KeyKind.AUTH).public_bytes(serialization.Encoding.DER)
    session.write_certificate(KeyKind.AUTH, der)
    chip.reset()
    assert client.read_certificate(KeyKind.AUTH) == der != before
    assert new_key.key_size == 2048


def test_issuer_commands_need_a_session_even_through_the_client_api(blank_chip) -> None:
    chip, issuer_key = blank_chip
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    chip.reset()  # the card was pulled out
    with pytest.raises(SecurityStatusNotSatisfied):
        session.generate_key_pair(KeyKind.AUTH)


def test_certificate_writes_must_be_one_der_sequence(blank_chip) -> None:
    chip, issuer_key = blank_chip
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    with pytest.raises(ValueError):
        session.write_certificate(KeyKind.AUTH, b"\x30\x81\x02\x00\x00")
