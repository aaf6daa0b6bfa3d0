"""The card image: atomic files, persistence before the answer, sealing, no key exposed."""

from __future__ import annotations

import inspect
import json

import mynumber_test_cardkit as kit
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mynumber_test_cardkit import PIN_STATUS, run, select_ap, select_ef, tx, verify

from mynumber.card import (
    AID_JPKI,
    EF,
    CardFile,
    Chip,
    ChipTransport,
    ImageError,
    MemoryStore,
    PersistenceError,
    SealError,
    load_or_create_demo_seal_key,
    read_seal_key,
)
from mynumber.reader import JPKIClient, KeyKind, PinRef


class CrashAfter:
    """A store that accepts ``n`` saves, then fails like a crashed disk."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.images: list[bytes] = []

    def save(self, image: bytes) -> None:
        if len(self.images) >= self.n:
            raise OSError("simulated crash")
        self.images.append(image)


def _tries(image: bytes, slot: str = "jpki/0018") -> int:
    return json.loads(image)["pin_tries"][slot]


def test_a_wrong_pin_is_persisted_before_the_answer_leaves() -> None:
    store = MemoryStore()
    card = kit.make_card(store=store)
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN))
    saved = len(store.images)
    assert tx(card.chip, verify("0000"))[1] == 0x63C2
    assert len(store.images) == saved + 1 and _tries(store.last) == 2


def test_a_crash_during_verify_never_gives_back_a_try() -> None:
    card = kit.make_card()
    crash = CrashAfter(1)  # the try is spent and saved, then the disk fails
    card.chip._store = crash
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN))
    with pytest.raises(PersistenceError):
        card.chip.transmit(verify(kit.AUTH_PIN))  # even the right PIN
    assert _tries(crash.images[-1]) == 2
    reloaded = Chip.from_image(crash.images[-1], seal_key=kit.SEAL_KEY)
    assert run(reloaded, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), PIN_STATUS)[1] == 0x63C2


def test_no_answer_when_the_first_save_fails() -> None:
    card = kit.make_card()
    card.chip._store = CrashAfter(0)
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN))
    with pytest.raises(PersistenceError):
        card.chip.transmit(verify("0000"))


def test_image_reload_keeps_pins_counters_files_and_keys(tmp_path) -> None:
    path = tmp_path / "card.json"
    card = kit.make_card(store=CardFile(path))
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_PIN), verify("WRONG1"))
    reloaded = Chip.from_image(CardFile(path).load(), seal_key=kit.SEAL_KEY)
    client = JPKIClient(ChipTransport(reloaded))
    assert client.pin_status(PinRef.JPKI_SIGN) == 4
    assert client.read_certificate(KeyKind.AUTH) == card.certificates[KeyKind.AUTH].public_bytes(
        __import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]
        ).Encoding.DER
    )
    sig = client.sign(KeyKind.AUTH, b"hello", pin=kit.AUTH_PIN)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    card.certificates[KeyKind.AUTH].public_key().verify(
        sig, b"hello", padding.PKCS1v15(), hashes.SHA256()
    )
    assert reloaded.to_image() == CardFile(path).load()


def test_card_file_is_written_atomically_and_leaves_no_temp_files(tmp_path) -> None:
    path = tmp_path / "cards" / "card.json"
    kit.make_card(store=CardFile(path))
    assert [p.name for p in path.parent.iterdir()] == ["card.json"]


def test_sealed_image_is_useless_without_the_seal_key() -> None:
    store = MemoryStore()
    kit.make_card(store=store)
    image = store.last
    with pytest.raises(SealError):
        Chip.from_image(image, seal_key=bytes(32))
    text = image.decode()
    assert kit.MY_NUMBER not in text
    assert "PRIVATE" not in text and kit.SIGN_PASSWORD not in text
    assert "デモ" not in text and "\\u30c7" not in text.lower()


def test_an_edited_retry_counter_is_detected() -> None:
    store = MemoryStore()
    card = kit.make_card(store=store)
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), verify("0000"))
    doc = json.loads(store.last)
    doc["pin_tries"]["jpki/0018"] = 3
    with pytest.raises(SealError):
        Chip.from_image(json.dumps(doc).encode(), seal_key=kit.SEAL_KEY)


@pytest.mark.parametrize("image", [b"", b"[]", b'{"format": "other"}', b"\xff\xfe"])
def test_malformed_images_are_refused(image: bytes) -> None:
    with pytest.raises(ImageError):
        Chip.from_image(image, seal_key=kit.SEAL_KEY)


def test_no_public_attribute_or_method_gives_a_private_key() -> None:
    card = kit.make_card()
    for name, value in inspect.getmembers(card.chip):
        if name.startswith("_"):
            continue
        assert not isinstance(value, rsa.RSAPrivateKey), name
        if callable(value):
            params = inspect.signature(value).parameters
            if not params:
                result = value()
                assert not isinstance(result, rsa.RSAPrivateKey), name
    assert "RSAPrivateKey" not in repr(card.chip)


def test_repr_of_chip_and_stores_shows_no_secret() -> None:
    card = kit.make_card("ZX98765098765", store=MemoryStore())
    for thing in (card.chip, card.store, card.transport):
        text = repr(thing)
        assert kit.MY_NUMBER not in text and kit.AUTH_PIN not in text
        assert kit.SIGN_PASSWORD not in text


def test_demo_seal_key_file_is_created_once_and_marked(tmp_path) -> None:
    path = tmp_path / "var" / "card-seal.key"
    key = load_or_create_demo_seal_key(path)
    assert load_or_create_demo_seal_key(path) == key == read_seal_key(path)
    assert "DEMO" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_bad_seal_key_files_are_refused(tmp_path) -> None:
    path = tmp_path / "k"
    path.write_text("abcd\n")
    with pytest.raises(SealError):
        read_seal_key(path)
    with pytest.raises(SealError):
        read_seal_key(tmp_path / "missing")
