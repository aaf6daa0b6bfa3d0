"""JPKIClient against an in-process chip: real certificates, PINs and signatures."""

from __future__ import annotations

import hashlib

import mynumber_test_cardkit as kit
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from mynumber.reader import (
    CardStatusError,
    FileNotFound,
    InvalidPin,
    JPKIClient,
    KeyKind,
    PinBlocked,
    PinIncorrect,
    PinRef,
    SecurityStatusNotSatisfied,
    TextSignatureInvalid,
    verify_text_signature,
)


def test_lists_the_four_applications_and_the_free_area(client) -> None:
    labels = [label for label, _ in client.applications()]
    assert len(labels) == 5 and labels[0].startswith("JPKI") and "住基AP" in labels


@pytest.mark.parametrize("kind", list(KeyKind))
def test_reads_the_certificates_in_chunks_by_their_der_length(card, client, kind) -> None:
    if kind is KeyKind.SIGN:
        client.verify_pin(PinRef.JPKI_SIGN, kit.SIGN_PASSWORD)
    der = client.read_certificate(kind)
    assert len(der) > 256 and x509.load_der_x509_certificate(der) == card.certificates[kind]
    ca = x509.load_der_x509_certificate(client.read_ca_certificate(kind))
    card.certificates[kind].verify_directly_issued_by(ca)


def test_sign_certificate_needs_the_password(client) -> None:
    with pytest.raises(SecurityStatusNotSatisfied):
        client.read_certificate(KeyKind.SIGN)


def test_reads_the_token(client) -> None:
    assert client.read_token() == "JPKIAPICCTOKEN"


@pytest.mark.parametrize(("kind", "pin"), [(KeyKind.AUTH, kit.AUTH_PIN), (KeyKind.SIGN, "abc123")])
def test_signs_with_either_key_and_the_signature_verifies(card, client, kind, pin) -> None:
    sig = client.sign(kind, b"challenge", pin=pin)  # the signing password is upper-cased
    card.certificates[kind].public_key().verify(
        sig, b"challenge", padding.PKCS1v15(), hashes.SHA256()
    )


def test_sign_digest_with_sha384(card, client) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    digest = hashlib.sha384(b"x").digest()
    sig = client.sign_digest(KeyKind.AUTH, digest, algorithm="sha384", pin=kit.AUTH_PIN)
    card.certificates[KeyKind.AUTH].public_key().verify(
        sig, digest, padding.PKCS1v15(), Prehashed(hashes.SHA384())
    )


def test_wrong_pins_count_down_then_block(client) -> None:
    assert client.pin_status(PinRef.JPKI_AUTH) == 3
    for left in (2, 1):
        with pytest.raises(PinIncorrect) as exc:
            client.verify_pin(PinRef.JPKI_AUTH, "0000")
        assert exc.value.tries_left == left
    with pytest.raises(PinBlocked):
        client.verify_pin(PinRef.JPKI_AUTH, "0000")
    with pytest.raises(PinBlocked):
        client.verify_pin(PinRef.JPKI_AUTH, kit.AUTH_PIN)
    assert client.pin_status(PinRef.JPKI_AUTH) == 0


def test_malformed_pins_are_refused_before_reaching_the_card(client) -> None:
    with pytest.raises(InvalidPin):
        client.verify_pin(PinRef.JPKI_AUTH, "12345")
    with pytest.raises(InvalidPin):
        client.verify_pin(PinRef.JPKI_SIGN, "AB-123")
    assert client.pin_status(PinRef.JPKI_AUTH) == 3


def test_change_pin(client) -> None:
    client.change_pin(PinRef.JPKI_SIGN, kit.SIGN_PASSWORD, "NEWPASS9")
    with pytest.raises(PinIncorrect):
        client.verify_pin(PinRef.JPKI_SIGN, kit.SIGN_PASSWORD)
    client.verify_pin(PinRef.JPKI_SIGN, "newpass9")


def test_reads_the_text_ap_and_verifies_jlis_signature(client) -> None:
    record = verify_text_signature(
        client.read_text_ap(kit.TEXT_PIN), kit.jlis_text_key().public_key()
    )
    assert record.my_number == kit.MY_NUMBER
    assert record.attributes == kit.ATTRIBUTES
    assert client.read_my_number(kit.TEXT_PIN) == kit.MY_NUMBER
    assert kit.MY_NUMBER not in repr(record)


def test_text_signature_check_fails_for_another_key_or_altered_data(client) -> None:
    record = client.read_text_ap(kit.TEXT_PIN)
    with pytest.raises(TextSignatureInvalid):
        verify_text_signature(record, kit.auth_ca_key().public_key())
    import dataclasses

    forged = dataclasses.replace(record, my_number="123456789029")
    with pytest.raises(TextSignatureInvalid):
        verify_text_signature(forged, kit.jlis_text_key().public_key())


def test_text_ap_needs_its_pin(client) -> None:
    with pytest.raises(PinIncorrect):
        client.read_text_ap("0000")


def test_reads_the_manufacture_number_without_a_pin(card, client) -> None:
    assert client.read_manufacture_number() == card.manufacture_number


def test_reads_the_card_face_with_pin_a(client) -> None:
    face = client.read_card_face(kit.MY_NUMBER)
    assert face == kit.card_face()


def test_missing_application_is_file_not_found(client) -> None:
    with pytest.raises(FileNotFound):
        client.select_application(bytes.fromhex("A000000003000000"))


def test_dead_card_gives_a_status_error(card, client) -> None:
    card.chip.tamper()
    with pytest.raises(CardStatusError) as exc:
        client.read_token()
    assert exc.value.status_word == 0x6F00


def test_public_key_from_generate_matches_the_certificate(card) -> None:
    der = (
        card.certificates[KeyKind.AUTH]
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert JPKIClient(card.transport).read_certificate(KeyKind.AUTH)
    assert der  # certificates were issued from GENERATE's public keys in cardkit.personalise
