"""The virtual card driven by tools nobody here wrote: OpenSC, openssl, pyscard.

Needs pcscd with vsmartcard-vpcd and OpenSC (Debian: pcscd vsmartcard-vpcd opensc).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mynumber_test_cardkit as kit
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from mynumber.card import ChipTransport
from mynumber.reader import (
    IssuerSession,
    JPKIClient,
    KeyKind,
    PCSCTransport,
    PinRef,
    verify_text_signature,
)

pytestmark = pytest.mark.pcsc

READER = "Virtual PCD 00 00"


def run_tool(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)


TOKENS = {
    KeyKind.AUTH: "JPKI (User Authentication PIN)",
    KeyKind.SIGN: "JPKI (Digital Signature PIN)",
}
KEY_IDS = {KeyKind.AUTH: "01", KeyKind.SIGN: "02"}
PINS = {KeyKind.AUTH: kit.AUTH_PIN, KeyKind.SIGN: kit.SIGN_PASSWORD}


def test_opensc_names_the_card_jpki(inserted_card) -> None:
    out = run_tool("opensc-tool", "-r", READER, "-n")
    assert out.stdout.strip() == "jpki", out.stderr


def test_opensc_reads_the_atr(inserted_card) -> None:
    out = run_tool("opensc-tool", "-r", READER, "-a")
    assert "3b:e0:00:ff:81:31:fe:45:14" in out.stdout.lower()


def test_pkcs15_tool_lists_the_four_certificates(inserted_card) -> None:
    out = run_tool("pkcs15-tool", "--reader", READER, "--list-certificates").stdout
    for label in (
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
        "Digital Signature Certificate CA",
    ):
        assert f"[{label}]" in out


@pytest.mark.parametrize(
    ("cert_id", "kind", "ca"),
    [("01", KeyKind.AUTH, False), ("03", KeyKind.AUTH, True), ("04", KeyKind.SIGN, True)],
)
def test_pkcs15_tool_reads_the_public_certificates(
    inserted_card, cert_id: str, kind: KeyKind, ca: bool
) -> None:
    out = run_tool("pkcs15-tool", "--reader", READER, "--read-certificate", cert_id)
    assert out.returncode == 0, out.stderr
    cert = x509.load_pem_x509_certificate(out.stdout.encode())
    assert cert == (kit.ca_certificate(kind) if ca else inserted_card.certificates[kind])


@pytest.mark.parametrize("kind", list(KeyKind))
def test_pkcs11_tool_signs_with_each_key_and_openssl_verifies(
    inserted_card, pkcs11_module, tmp_path: Path, kind: KeyKind
) -> None:
    data, sig, pub = tmp_path / "data.txt", tmp_path / "sig.bin", tmp_path / "pub.pem"
    data.write_bytes(b"signed through PKCS#11\n")
    out = run_tool(
        "pkcs11-tool",
        "--module",
        pkcs11_module,
        "--token-label",
        TOKENS[kind],
        "--login",
        "--pin",
        PINS[kind],
        "--sign",
        "--mechanism",
        "SHA256-RSA-PKCS",
        "--id",
        KEY_IDS[kind],
        "-i",
        str(data),
        "-o",
        str(sig),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    pub.write_bytes(
        inserted_card.certificates[kind]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    verified = run_tool(
        "openssl", "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(data)
    )
    assert verified.stdout.strip() == "Verified OK", verified.stdout + verified.stderr


def test_pcsc_transport_drives_the_virtual_reader_like_a_real_card(inserted_card) -> None:
    with PCSCTransport(READER) as transport:
        assert transport.atr() == bytes.fromhex("3BE000FF8131FE4514")
        client = JPKIClient(transport)
        assert client.read_token() == "JPKIAPICCTOKEN"
        der = client.read_certificate(KeyKind.AUTH)
        assert x509.load_der_x509_certificate(der) == inserted_card.certificates[KeyKind.AUTH]
        sig = client.sign(KeyKind.SIGN, b"over pcsc", pin=kit.SIGN_PASSWORD)
        inserted_card.certificates[KeyKind.SIGN].public_key().verify(
            sig, b"over pcsc", padding.PKCS1v15(), hashes.SHA256()
        )
        record = verify_text_signature(
            client.read_text_ap(kit.TEXT_PIN), kit.jlis_text_key().public_key()
        )
        assert record.my_number == kit.MY_NUMBER
        assert client.read_manufacture_number() == inserted_card.manufacture_number
        assert client.pin_status(PinRef.JPKI_AUTH) == 3


def test_wrong_pins_count_down_then_pkcs11_says_pin_locked(inserted_card, pkcs11_module) -> None:
    login = [
        "pkcs11-tool",
        "--module",
        pkcs11_module,
        "--token-label",
        TOKENS[KeyKind.AUTH],
        "--login",
        "-O",
        "--pin",
    ]
    try:
        left = []
        for _ in range(3):
            out = run_tool(*login, "0000")
            assert out.returncode != 0
            assert (
                "CKR_PIN_INCORRECT" in out.stdout + out.stderr
                or "CKR_PIN_LOCKED" in out.stdout + out.stderr
            )
            with PCSCTransport(READER) as transport:
                left.append(JPKIClient(transport).pin_status(PinRef.JPKI_AUTH))
        assert left == [2, 1, 0]
        out = run_tool(*login, kit.AUTH_PIN)
        assert out.returncode != 0 and "CKR_PIN_LOCKED" in out.stdout + out.stderr
    finally:  # the municipality resets the PIN (admin session in process)
        IssuerSession.open(
            ChipTransport(inserted_card.chip), issuer_key=inserted_card.issuer_key
        ).set_pin(PinRef.JPKI_AUTH, kit.AUTH_PIN)
        inserted_card.chip.reset()


def test_wrong_sign_password_counts_down_and_the_right_one_resets(
    inserted_card, pkcs11_module
) -> None:
    login = [
        "pkcs11-tool",
        "--module",
        pkcs11_module,
        "--token-label",
        TOKENS[KeyKind.SIGN],
        "--login",
        "-O",
        "--pin",
    ]
    try:
        seen = []
        for _ in range(2):
            run_tool(*login, "WRONG99")
            with PCSCTransport(READER) as transport:
                seen.append(JPKIClient(transport).pin_status(PinRef.JPKI_SIGN))
        assert seen == [4, 3]
        out = run_tool(*login, kit.SIGN_PASSWORD)
        assert out.returncode == 0, out.stdout + out.stderr
        with PCSCTransport(READER) as transport:
            assert JPKIClient(transport).pin_status(PinRef.JPKI_SIGN) == 5
    finally:
        inserted_card.chip.reset()
