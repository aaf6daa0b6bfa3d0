"""COMPUTE DIGITAL SIGNATURE: real RSA signatures, checked with cryptography."""

from __future__ import annotations

import hashlib

import mynumber_test_cardkit as kit
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed
from mynumber_test_cardkit import run, select_ap, select_ef, sign_apdu, tx, verify

from mynumber.card import AID_JPKI, EF, SW
from mynumber.reader import KeyKind, digest_info

KEYS = [
    (KeyKind.AUTH, EF.JPKI_AUTH_PIN, kit.AUTH_PIN, EF.JPKI_AUTH_KEY),
    (KeyKind.SIGN, EF.JPKI_SIGN_PIN, kit.SIGN_PASSWORD, EF.JPKI_SIGN_KEY),
]


def _unlock(chip, pin_ef: int, pin: str, key_ef: int) -> None:
    run(chip, select_ap(AID_JPKI), select_ef(pin_ef), verify(pin), select_ef(key_ef))


@pytest.mark.parametrize(("kind", "pin_ef", "pin", "key_ef"), KEYS)
def test_signature_over_sha256_digest_info_verifies_with_the_certificate_key(
    card, kind, pin_ef, pin, key_ef
) -> None:
    _unlock(card.chip, pin_ef, pin, key_ef)
    digest = hashlib.sha256(b"document").digest()
    sig, sw = tx(card.chip, sign_apdu(digest_info(digest)))
    assert (len(sig), sw) == (256, SW.OK)
    card.certificates[kind].public_key().verify(
        sig, b"document", padding.PKCS1v15(), hashes.SHA256()
    )


@pytest.mark.parametrize("algorithm", ["sha1", "sha384", "sha512"])
def test_other_hashes_sign_the_digest_info_given(card, algorithm: str) -> None:
    _unlock(card.chip, *KEYS[0][1:])
    digest = hashlib.new(algorithm, b"doc").digest()
    sig, sw = tx(card.chip, sign_apdu(digest_info(digest, algorithm)))
    assert sw == SW.OK
    algo = {"sha1": hashes.SHA1(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[algorithm]
    card.certificates[KeyKind.AUTH].public_key().verify(
        sig, digest, padding.PKCS1v15(), Prehashed(algo)
    )


def test_digest_info_without_null_parameter_is_signed_as_given(card) -> None:
    _unlock(card.chip, *KEYS[0][1:])
    digest = hashlib.sha256(b"x").digest()
    info = bytes.fromhex("302f300b0609608648016503040201") + b"\x04\x20" + digest
    sig, sw = tx(card.chip, sign_apdu(info))
    assert sw == SW.OK
    card.certificates[KeyKind.AUTH].public_key().verify(
        sig, info, padding.PKCS1v15(), NoDigestInfo()
    )


def test_the_pin_stays_verified_for_several_signatures(card) -> None:
    _unlock(card.chip, *KEYS[1][1:])
    info = digest_info(hashlib.sha256(b"a").digest())
    assert [tx(card.chip, sign_apdu(info))[1] for _ in range(3)] == [SW.OK] * 3


def test_same_input_gives_the_same_signature(card) -> None:
    _unlock(card.chip, *KEYS[0][1:])
    info = digest_info(hashlib.sha256(b"a").digest())
    assert tx(card.chip, sign_apdu(info)) == tx(card.chip, sign_apdu(info))
