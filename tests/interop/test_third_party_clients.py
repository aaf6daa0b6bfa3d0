"""A card from ``mynumber card issue`` read by clients written elsewhere, through pcscd+vpcd.

- pyjpki (meowkawaiijp/pyjpki, on pyscard): ``read_certificate`` reads 255-byte chunks until
  an empty answer or ``6B 00``; ``sign_data`` signs a SHA-256 DigestInfo. Its code is taken
  from the ``fetch`` mirror at test time (checked out into a temporary folder with ``git``),
  never copied into this tree; the test skips only when that mirror is absent.
- AokiApp jsapdu's APDUs (``readEfBinaryFull``: ``00 B0 80|sfi 00 00 00 00``; ``verify``
  with ``P2 = 80|sfi``), sent raw through pyscard: jsapdu itself is TypeScript.

Reader 1 (``Virtual PCD 00 01``) is used so the card never meets the OpenSC tests' card.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.card import (
    AID_JPKI,
    AID_TEXT,
    AID_VISUAL,
    CardFile,
    Chip,
    VpcdCard,
    load_or_create_demo_seal_key,
    reader_name,
    reader_port,
)

pytestmark = [pytest.mark.pcsc, pytest.mark.slow]

PYJPKI_MIRROR = Path(os.environ.get("PYJPKI_MIRROR", "/work/.mirror/meowkawaiijp+pyjpki/repo"))
READER = 1
AUTH_PIN = "1234"
SIGN_PASSWORD = "ABC123"  # demo value
#: DER DigestInfo prefixes for SHA-256, with and without NULL parameters (RFC 8017 §9.2).
SHA256_INFO_NULL = bytes.fromhex("3031300d060960864801650304020105000420")
SHA256_INFO_ABSENT = bytes.fromhex("302f300b06096086480165030402010420")


@dataclass
class IssuedCard:
    chip: Chip
    birth_date: str  # YYYY-MM-DD
    expiry: str  # YYYY-MM-DD
    security_code: str


@pytest.fixture(scope="module")
def issued(pcscd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IssuedCard]:
    """``mynumber card issue`` in a fresh data folder, then the card in vpcd reader 1."""
    data = tmp_path_factory.mktemp("data")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mynumber.cli import main; main()",
            "card",
            "issue",
            "--out",
            str(data / "card.json"),
            "--auth-pin",
            AUTH_PIN,
            "--sign-password",
            SIGN_PASSWORD,
            "--data",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    birth = re.search(r", (\d{4}-\d{2}-\d{2})\) in ", out.stdout)
    face = re.search(r"expires (\d{4}-\d{2}-\d{2}), security code (\d{4})", out.stdout)
    assert birth and face, out.stdout
    store = CardFile(data / "card.json")
    chip = Chip.from_image(
        store.load(), seal_key=load_or_create_demo_seal_key(data / "card-seal.key"), store=store
    )
    served = VpcdCard(chip, port=reader_port(READER))
    served.start()
    try:
        if not served.connected.wait(10):
            pytest.skip(f"vpcd did not accept the card on port {reader_port(READER)}")
        # vpcd has the card, but pcscd sees it only at its next poll of the reader: a client
        # that connects before then is told there is no card
        if not _card_present(timeout=15):
            pytest.fail(f"pcscd never saw the card in {reader_name(READER)}")
        yield IssuedCard(chip, birth.group(1), face.group(1), face.group(2))
    finally:
        served.stop()


@pytest.fixture(scope="module")
def pyjpki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not (PYJPKI_MIRROR / "HEAD").exists():
        pytest.skip(f"no pyjpki mirror at {PYJPKI_MIRROR} (fetch github:meowkawaiijp/pyjpki)")
    checkout = tmp_path_factory.mktemp("pyjpki") / "pyjpki"
    subprocess.run(
        ["git", "clone", "--quiet", str(PYJPKI_MIRROR), str(checkout)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    sys.path.insert(0, str(checkout))
    try:
        yield importlib.import_module("pyjpki")
    finally:
        sys.path.remove(str(checkout))
        for name in [m for m in sys.modules if m == "pyjpki" or m.startswith("pyjpki.")]:
            del sys.modules[name]
        shutil.rmtree(checkout, ignore_errors=True)


def _card_present(timeout: float) -> bool:
    """Whether pcscd reports a card in the reader within ``timeout`` seconds."""
    from smartcard.Exceptions import CardConnectionException, NoCardException
    from smartcard.System import readers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reader = next((r for r in readers() if str(r) == reader_name(READER)), None)
        if reader is not None:
            connection = reader.createConnection()
            try:
                connection.connect()
            except (NoCardException, CardConnectionException):
                pass
            else:
                connection.disconnect()
                return True
        time.sleep(0.2)
    return False


def _reader_index() -> int:
    from smartcard.System import readers

    names = [str(r) for r in readers()]
    return names.index(reader_name(READER))


@pytest.fixture
def manager(issued: IssuedCard, pyjpki: ModuleType) -> Iterator[object]:
    issued.chip.reset()
    with pyjpki.CardManager(reader_index=_reader_index()) as cm:
        yield cm


def _ca(issued: IssuedCard, ef: str) -> x509.Certificate:
    """The CA certificate the card carries, read by jsapdu's whole-EF READ BINARY."""
    raw = _raw_session(issued)
    _ok(raw(_select(AID_JPKI)))
    return x509.load_der_x509_certificate(_ok(raw(f"00B0{0x80 | int(ef, 16):02X}00000000")))


def test_pyjpki_reads_the_auth_certificate_and_its_chain_checks(manager, pyjpki, issued) -> None:
    cert = manager.read_certificate("auth")
    ca = _ca(issued, "0B")
    assert pyjpki.validate_certificate(cert, ca)
    assert cert.issuer == ca.subject


def test_pyjpki_reads_the_sign_certificate_after_the_password(manager, pyjpki, issued) -> None:
    manager.verify_pin(SIGN_PASSWORD, pin_type="sign")
    cert = manager.read_certificate("sign")
    assert pyjpki.validate_certificate(cert, _ca(issued, "02"))


@pytest.mark.parametrize(("kind", "pin"), [("auth", AUTH_PIN), ("sign", SIGN_PASSWORD)])
def test_pyjpki_signatures_verify_with_the_certificate(manager, kind: str, pin: str) -> None:
    message = f"pyjpki {kind} signature".encode()
    """pyjpki builds its DigestInfo with pyasn1, which (0.6) leaves out the NULL parameters;
    the card signs the bytes it is given, so the PKCS#1 v1.5 block holds exactly that
    SHA-256 DigestInfo (RFC 8017 §9.2 note 1 allows both encodings)."""
    signature = manager.sign_data(message, sign_type=kind, pin=pin)
    cert = manager.read_certificate(kind)  # the sign certificate: the password is verified
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    recovered = key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
    digest = hashlib.sha256(message).digest()
    assert recovered in (SHA256_INFO_NULL + digest, SHA256_INFO_ABSENT + digest)
    if recovered.startswith(SHA256_INFO_NULL):
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


# --- jsapdu's APDUs through pyscard --------------------------------------------------------


def _raw_session(issued: IssuedCard):
    from smartcard.System import readers

    issued.chip.reset()
    reader = next(r for r in readers() if str(r) == reader_name(READER))
    connection = reader.createConnection()
    connection.connect()

    def transmit(apdu: str | bytes) -> tuple[bytes, int]:
        raw = bytes.fromhex(apdu) if isinstance(apdu, str) else apdu
        data, sw1, sw2 = connection.transmit(list(raw))
        return bytes(data), (sw1 << 8) | sw2

    return transmit


def _select(aid: bytes) -> bytes:
    return bytes((0x00, 0xA4, 0x04, 0x0C, len(aid))) + aid


def _verify_sfi(sfi: int, pin: str) -> bytes:
    return bytes((0x00, 0x20, 0x00, 0x80 | sfi, len(pin))) + pin.encode("ascii")


def _ok(answer: tuple[bytes, int]) -> bytes:
    data, sw = answer
    assert sw == 0x9000, f"SW {sw:04X}"
    return data


def test_read_binary_by_sfi_with_extended_le_returns_a_whole_certificate(manager, issued) -> None:
    expected = manager.read_certificate("auth").public_bytes(serialization.Encoding.DER)
    assert len(expected) > 256
    raw = _raw_session(issued)
    _ok(raw(_select(AID_JPKI)))
    assert _ok(raw("00B08A00000000")) == expected


def test_the_face_ap_opens_with_its_real_pin_b(issued) -> None:
    """照合番号B: birth date YYMMDD + the card's expiry year + the 4-digit security code."""
    pin_b = issued.birth_date[2:].replace("-", "") + issued.expiry[:4] + issued.security_code
    raw = _raw_session(issued)
    _ok(raw(_select(AID_VISUAL)))
    assert raw("00B08200000000")[1] == 0x6982  # closed until a 照合番号 is verified
    wrong = ("1" if pin_b[0] == "0" else "0") + pin_b[1:]  # the first digit changed
    assert raw(_verify_sfi(0x12, wrong))[1] == 0x63C9
    _ok(raw(_verify_sfi(0x12, pin_b)))
    face = _ok(raw("00B08200000000"))
    assert issued.birth_date.replace("-", "").encode() in face
    assert issued.expiry.replace("-", "").encode() in face


def test_text_ap_basic_four_read_the_jsapdu_way(issued) -> None:
    raw = _raw_session(issued)
    _ok(raw(_select(AID_TEXT)))
    _ok(raw(_verify_sfi(0x11, AUTH_PIN)))
    items = _ok(raw("00B08200000000"))
    assert items[:2] == b"\xff\x20"
    assert issued.birth_date.replace("-", "").encode() in items
