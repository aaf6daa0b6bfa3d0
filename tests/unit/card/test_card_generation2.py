"""The generation-2 card (this project's model of 次期個人番号カード): two applications, two
PINs, ECDSA P-384 keys made on the chip, certificates from a second J-LIS hierarchy
(P-384 / SHA-384) that ``openssl verify`` accepts, a CRL of that hierarchy, and the
project's verifiers accepting its signatures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import mynumber_test_cardkit as kit
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from mynumber_test_cardkit import run, select_ap, select_ef, tx

from mynumber.card import (
    AID_AUTH_GEN2,
    AID_FACE_GEN2,
    AID_FREE_AREA,
    AID_JPKI,
    AID_JUKI,
    AID_TEXT,
    AID_VISUAL,
    EF2,
    SW,
    Chip,
    MemoryStore,
    admin_cryptogram,
    derive_issuer_key,
)
from mynumber.card.files import BinaryFile, KeyFile, PinFile, RecordFile
from mynumber.errors import InvalidInput
from mynumber.pki import (
    GOOD,
    CertificateAuthority,
    CertStatus,
    LocalSigner,
    OCSPResponder,
    Purpose,
    Revocation,
    Revoked,
    build_crl,
    build_ocsp_request,
    check_crl,
    check_ocsp_response,
    create_root,
    generate_gen2_key,
    verify_chain,
    verify_signature,
)
from mynumber.pki.basic_items import BasicItems, Gender
from mynumber.pki.errors import CertificateRevoked

NOW = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)
BIRTH = dt.date(1990, 1, 2)
PIN = "4321"
PASSWORD = "GEN2PASS9"  # demo value
MFG = "GN20000000001"
OCSP, CRL = "http://127.0.0.1:8000/jlis/ocsp/auth2", "http://127.0.0.1:8000/jlis/crl/auth2.crl"

EXPECTED = {
    AID_AUTH_GEN2: {
        0x0001: ("binary", "signing certificate"),
        0x0002: ("binary", "signing CA certificate"),
        0x0006: ("binary", "token"),
        0x000A: ("binary", "user-authentication certificate"),
        0x000B: ("binary", "user-authentication CA certificate"),
        0x0011: ("binary", "My Number"),
        0x0012: ("binary", "four basic items"),
        0x0013: ("binary", "J-LIS signature"),
        0x0014: ("binary", "追記欄"),
        0x0017: ("key", "user-authentication private key (ECDSA P-384)"),
        0x0018: ("pin", "card PIN"),
        0x001A: ("key", "signing private key (ECDSA P-384)"),
        0x001B: ("pin", "signing password"),
    },
    AID_FACE_GEN2: {
        0x0002: ("binary", "card face"),
        0x0012: ("pin", "照合番号B"),
        0x0013: ("pin", "照合番号A"),
        0x001D: ("record", "card manufacture number"),
    },
    # the free area's applications belong to other issuers (police, employers), as on gen 1
    AID_FREE_AREA: {
        0x0001: ("binary", "employee application"),
        0x0010: ("binary", "licence application"),
        0x0011: ("binary", "police certificate and signature"),
        0x0012: ("pin", "licence PIN"),
    },
}
KIND = {BinaryFile: "binary", RecordFile: "record", PinFile: "pin", KeyFile: "key"}


def _apdu(ins: int, p1: int, p2: int, data: bytes = b"", le: bytes = b"") -> bytes:
    """A C-APDU; data longer than 255 bytes goes in an extended Lc (case 3E)."""
    head = bytes((0x00, ins, p1, p2))
    if len(data) > 255:
        return head + b"\x00" + len(data).to_bytes(2, "big") + data + le
    return head + (bytes((len(data),)) + data if data else b"") + le


@pytest.fixture(scope="module")
def hierarchy() -> dict[Purpose, CertificateAuthority]:
    return {p: create_root(p, NOW - dt.timedelta(days=1), generation=2) for p in Purpose}


@pytest.fixture(scope="module")
def card(hierarchy) -> tuple[Chip, dict[Purpose, x509.Certificate], MemoryStore]:
    """A generation-2 chip personalised as J-LIS would: keys made on the chip, then
    certificates, PINs and ACTIVATE, all through APDUs."""
    store = MemoryStore()
    issuer_key = derive_issuer_key(kit.MASTER_KEY, MFG)
    chip = Chip.manufacture(
        manufacture_number=MFG,
        issuer_key=issuer_key,
        seal_key=kit.SEAL_KEY,
        store=store,
        generation=2,
    )
    challenge, sw = tx(chip, "0084000010")
    assert sw == SW.OK
    run(chip, _apdu(0x82, 0, 0, admin_cryptogram(issuer_key, challenge)), select_ap(AID_AUTH_GEN2))
    items = BasicItems(
        name="次期 花子", gender=Gender.FEMALE, birth_date=BIRTH, address="東京都千代田区1-1"
    )
    certs = {}
    for purpose, key_ef, cert_ef, ca_ef in (
        (Purpose.AUTH, EF2.AUTH_KEY, EF2.AUTH_CERT, EF2.AUTH_CA),
        (Purpose.SIGN, EF2.SIGN_KEY, EF2.SIGN_CERT, EF2.SIGN_CA),
    ):
        spki, sw = run(chip, select_ef(key_ef), "00460000000000")  # extended Le
        assert sw == SW.OK
        public = serialization.load_der_public_key(spki)
        assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp384r1"
        ca = hierarchy[purpose]
        if purpose is Purpose.AUTH:
            cert = ca.issue_auth(public, birth_date=BIRTH, now=NOW, ocsp_url=OCSP, crl_url=CRL)
        else:
            cert = ca.issue_sign(public, items=items, now=NOW, ocsp_url=OCSP, crl_url=CRL)
        der = cert.public_bytes(serialization.Encoding.DER)
        assert len(der) > 255
        run(chip, select_ef(cert_ef), _apdu(0xD6, 0, 0, der))
        ca_der = ca.certificate.public_bytes(serialization.Encoding.DER)
        run(chip, select_ef(ca_ef), _apdu(0xD6, 0, 0, ca_der))
        certs[purpose] = cert
    for ef, value in ((EF2.PIN, PIN), (EF2.SIGN_PASSWORD, PASSWORD)):
        run(chip, select_ef(ef), _apdu(0x2C, 0x02, 0x80, value.encode()))
    run(chip, "00440000")
    chip.reset()
    return chip, certs, store


def test_the_generation_2_chip_holds_exactly_the_listed_files(card) -> None:
    chip, _, _ = card
    assert chip.generation == 2
    assert list(chip._dfs) == list(EXPECTED)
    for aid, df in chip._dfs.items():
        assert set(df.efs) == set(EXPECTED[aid]), df.name
        for fid, ef in df.efs.items():
            kind, holds = EXPECTED[aid][fid]
            assert KIND[type(ef)] == kind and holds in ef.holds


def test_two_pins_and_the_old_applications_are_gone(card) -> None:
    chip, _, _ = card
    pins = [
        ef
        for df in chip._dfs.values()
        if df.aid != AID_FREE_AREA  # the licence PIN is the police's, not the card's
        for ef in df.efs.values()
        if isinstance(ef, PinFile)
    ]
    assert sorted(p.holds for p in pins if "照合番号" not in p.holds) == [
        "card PIN (4 digits)",
        "signing password",
    ]
    for aid in (AID_JPKI, AID_TEXT, AID_VISUAL, AID_JUKI):
        assert tx(chip, select_ap(aid))[1] == SW.FILE_NOT_FOUND


def _read_whole(chip: Chip, aid: bytes, ef: int) -> bytes:
    chip.reset()
    data, sw = run(chip, select_ap(aid), bytes((0x00, 0xB0, 0x80 | ef, 0, 0, 0, 0)))
    assert sw == SW.OK
    return data


def _openssl_verify(tmp_path: Path, ca: bytes, leaf: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "ca.der").write_bytes(ca)
    (tmp_path / "leaf.der").write_bytes(leaf)
    for name in ("ca", "leaf"):
        subprocess.run(
            ["openssl", "x509", "-inform", "DER", "-in", str(tmp_path / f"{name}.der"),
             "-out", str(tmp_path / f"{name}.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
    return subprocess.run(
        ["openssl", "verify", "-attime", str(int(NOW.timestamp()) + 3600), "-CAfile",
         str(tmp_path / "ca.pem"), str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_openssl_verifies_the_auth_chain_read_from_the_chip(card, tmp_path: Path) -> None:
    chip, certs, _ = card
    leaf = _read_whole(chip, AID_AUTH_GEN2, EF2.AUTH_CERT)
    ca = _read_whole(chip, AID_AUTH_GEN2, EF2.AUTH_CA)
    cert = x509.load_der_x509_certificate(leaf)
    assert cert == certs[Purpose.AUTH]
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
    assert "(generation 2)" in cert.issuer.rfc4514_string()
    out = _openssl_verify(tmp_path, ca, leaf)
    assert out.returncode == 0 and "leaf.pem: OK" in out.stdout, out.stdout + out.stderr


def test_openssl_verifies_the_sign_chain_after_the_password(card, tmp_path: Path) -> None:
    chip, certs, _ = card
    chip.reset()
    assert (
        run(chip, select_ap(AID_AUTH_GEN2), "00B08100000000")[1] == SW.SECURITY_STATUS_NOT_SATISFIED
    )
    run(chip, _apdu(0x20, 0, 0x80 | EF2.SIGN_PASSWORD, PASSWORD.encode()))
    leaf, sw = tx(chip, "00B08100000000")
    assert sw == SW.OK and x509.load_der_x509_certificate(leaf) == certs[Purpose.SIGN]
    out = _openssl_verify(tmp_path, _read_whole(chip, AID_AUTH_GEN2, EF2.SIGN_CA), leaf)
    assert out.returncode == 0, out.stdout + out.stderr


def test_certificates_run_ten_years_to_the_birthday_plus_one_month(card) -> None:
    _, certs, _ = card
    for cert in certs.values():
        # issued 2026-12-03: 10th birthday after issue 2036-01-02, plus a month, 23:59:59 JST
        assert cert.not_valid_after_utc == dt.datetime(2036, 2, 2, 14, 59, 59, tzinfo=dt.UTC)


def _sign(chip: Chip, key_ef: int, pin_ef: int, pin: str, digest: bytes) -> tuple[bytes, int]:
    chip.reset()
    return run(
        chip,
        select_ap(AID_AUTH_GEN2),
        _apdu(0x20, 0, 0x80 | pin_ef, pin.encode()),
        select_ef(key_ef),
        bytes((0x80, 0x2A, 0x00, 0x80, len(digest))) + digest + b"\x00",
    )


def test_the_chip_signs_a_sha384_hash_and_the_verifiers_accept_it(
    card, hierarchy, tmp_path
) -> None:
    chip, certs, _ = card
    message = b"login challenge for a generation-2 card"
    signature, sw = _sign(chip, EF2.AUTH_KEY, EF2.PIN, PIN, hashlib.sha384(message).digest())
    assert sw == SW.OK
    cert = certs[Purpose.AUTH]
    verify_chain(cert, [hierarchy[Purpose.AUTH].certificate], NOW, purpose=Purpose.AUTH)
    verify_signature(cert, message, signature)
    (tmp_path / "m").write_bytes(message)
    (tmp_path / "sig").write_bytes(signature)
    (tmp_path / "pub.pem").write_bytes(
        cert.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    out = subprocess.run(
        ["openssl", "dgst", "-sha384", "-verify", str(tmp_path / "pub.pem"), "-signature",
         str(tmp_path / "sig"), str(tmp_path / "m")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and "Verified OK" in out.stdout, out.stderr
    with pytest.raises(Exception, match="does not verify"):
        verify_signature(cert, message + b"!", signature)


@pytest.mark.parametrize(
    ("data", "sw"),
    [
        (hashlib.sha256(b"x").digest(), SW.WRONG_DATA),  # a SHA-256 hash: not 48 bytes
        (bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32), SW.WRONG_DATA),
    ],
)
def test_the_p384_key_signs_only_a_sha384_hash(card, data: bytes, sw: int) -> None:
    chip, _, _ = card
    assert _sign(chip, EF2.AUTH_KEY, EF2.PIN, PIN, data)[1] == sw


def test_the_signing_key_needs_the_password_not_the_pin(card) -> None:
    chip, _, _ = card
    digest = hashlib.sha384(b"x").digest()
    assert _sign(chip, EF2.SIGN_KEY, EF2.PIN, PIN, digest)[1] == SW.SECURITY_STATUS_NOT_SATISFIED


def test_the_text_items_open_with_the_card_pin(card) -> None:
    chip, _, _ = card
    chip.reset()
    assert run(chip, select_ap(AID_AUTH_GEN2), "00B09100000000")[1] == (
        SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_the_image_keeps_the_generation_and_the_p384_keys(card) -> None:
    _, certs, store = card
    image = store.last
    assert image is not None and b'"generation":2' in image
    again = Chip.from_image(image, seal_key=kit.SEAL_KEY)
    assert again.generation == 2
    message = b"after a reload"
    signature, sw = _sign(again, EF2.AUTH_KEY, EF2.PIN, PIN, hashlib.sha384(message).digest())
    assert sw == SW.OK
    verify_signature(certs[Purpose.AUTH], message, signature)


def test_a_crl_of_the_second_hierarchy_lists_a_revoked_card(card, hierarchy) -> None:
    _, certs, _ = card
    ca, cert = hierarchy[Purpose.AUTH], certs[Purpose.AUTH]
    later = NOW + dt.timedelta(days=1)
    clean = build_crl(ca, [], crl_number=1, this_update=NOW, next_update=later)
    assert check_crl(clean, cert, ca.certificate, NOW).next_update_utc == later
    listed = build_crl(
        ca,
        [Revocation(cert.serial_number, NOW, x509.ReasonFlags.key_compromise)],
        crl_number=2,
        this_update=NOW,
        next_update=later,
    )
    with pytest.raises(CertificateRevoked):
        check_crl(listed, cert, ca.certificate, NOW + dt.timedelta(hours=1))


def test_both_hierarchies_run_side_by_side(hierarchy) -> None:
    """Both hierarchies side by side: a generation-1 CA still issues RSA certificates
    only, and a P-384 key never gets a generation-1 CA name."""
    gen1 = create_root(Purpose.AUTH, NOW)
    assert gen1.generation == 1 and hierarchy[Purpose.AUTH].generation == 2
    assert gen1.certificate.subject != hierarchy[Purpose.AUTH].certificate.subject
    assert isinstance(gen1.certificate.signature_hash_algorithm, hashes.SHA256)
    with pytest.raises(InvalidInput):
        create_root(Purpose.AUTH, NOW, generation=3)


def test_ocsp_of_the_second_hierarchy_answers_good_then_revoked(card, hierarchy) -> None:
    """A delegated P-384 responder signs with SHA-384; the verifier accepts its answers."""
    _, certs, _ = card
    ca, cert = hierarchy[Purpose.AUTH], certs[Purpose.AUTH]
    key = generate_gen2_key()
    responder_cert = ca.issue_ocsp_responder(key.public_key(), now=NOW)
    revoked: set[int] = set()

    def status_of(_issuer_key_hash: bytes, serial: int) -> CertStatus:
        return Revoked(NOW, x509.ReasonFlags.key_compromise) if serial in revoked else GOOD

    responder = OCSPResponder(
        issuer=ca.certificate,
        certificate=responder_cert,
        signer=LocalSigner(key),
        status_of=status_of,
        reuse_for=dt.timedelta(0),
    )
    moment = NOW + dt.timedelta(minutes=1)
    answer = responder.respond(build_ocsp_request(cert, ca.certificate), now=NOW)
    assert isinstance(ocsp.load_der_ocsp_response(answer).signature_hash_algorithm, hashes.SHA384)
    check_ocsp_response(answer, cert, ca.certificate, moment)
    revoked.add(cert.serial_number)
    answer = responder.respond(build_ocsp_request(cert, ca.certificate), now=NOW)
    with pytest.raises(CertificateRevoked):
        check_ocsp_response(answer, cert, ca.certificate, moment)
