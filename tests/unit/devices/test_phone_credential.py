"""The phone's secure store: signs only after its own PIN, counts wrong ones down to a lock
(saved in its file), refuses a malformed PIN before counting, keeps keys encrypted."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.devices.phone.credential import PhoneCredential
from mynumber.errors import InvalidInput
from mynumber.reader import InvalidPin, KeyKind, PinBlocked, PinIncorrect

SEAL = b"demo-seal-key-for-this-test-only"  # demo value


def test_signs_after_the_pin_and_locks_after_three_wrong_ones(tmp_path) -> None:
    store = PhoneCredential.generate("android", SEAL)
    store.install(device_id="d1", certificates={}, pin="2468", password="PHONE9")
    path = store.save(tmp_path / "p.phone")
    text = path.read_text()
    assert "BEGIN PRIVATE KEY" not in text and text.count("BEGIN ENCRYPTED PRIVATE KEY") == 2
    signature = store.sign(KeyKind.AUTH, b"challenge", pin="2468")
    key = serialization.load_der_public_key(store.public_key(KeyKind.AUTH))
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, b"challenge", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidPin):  # not 4 digits: refused before counting
        store.sign(KeyKind.AUTH, b"x", pin="12")
    for left in (2, 1):
        with pytest.raises(PinIncorrect) as wrong:
            store.sign(KeyKind.AUTH, b"x", pin="0000")
        assert wrong.value.tries_left == left
    with pytest.raises(PinBlocked):
        store.sign(KeyKind.AUTH, b"x", pin="0000")
    reloaded = PhoneCredential.load(path, SEAL)  # the lock is in the file
    with pytest.raises(PinBlocked):
        reloaded.sign(KeyKind.AUTH, b"x", pin="2468")
    # the signing password is separate and still works
    assert reloaded.sign(KeyKind.SIGN, b"doc", pin="phone9")
    with pytest.raises(InvalidInput):  # no certificate was installed
        reloaded.read_certificate(KeyKind.AUTH)


def test_a_file_that_is_not_a_phone_credential_is_refused(tmp_path) -> None:
    other = tmp_path / "x.phone"
    other.write_text('{"format": "something else"}')
    with pytest.raises(InvalidInput):
        PhoneCredential.load(other, SEAL)
    with pytest.raises(InvalidInput):
        PhoneCredential.generate("pager", SEAL)
