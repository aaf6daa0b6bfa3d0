"""openssl (a tool nobody here wrote) accepts the JPKI certificates, CRLs and OCSP answers.

Needs only the ``openssl`` command. OCSP is exercised through files: ``openssl ocsp -reqout``
writes a request, the responder answers it in-process, ``openssl ocsp -respin`` checks the
answer. ``openssl ocsp`` exits 0 even for a revoked certificate, so its text is parsed.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mynumber.pki import (
    GOOD,
    UNKNOWN,
    BasicItems,
    CertificateAuthority,
    CertStatus,
    Gender,
    LocalSigner,
    OCSPResponder,
    Purpose,
    Revocation,
    Revoked,
    build_crl,
    create_root,
    generate_key,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

DEMO_KEYS = Path(__file__).resolve().parents[1] / "assets" / "demo-keys"
# openssl checks validity against the real clock, so the certificates start an hour ago.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
NAME = "試験 次郎"  # synthetic
ADDRESS = "北海道札幌市中央区北一条西二丁目"  # synthetic
BIRTH_DATE = dt.date(1990, 1, 2)


def openssl(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, check=check, timeout=30
    )


def pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@dataclass
class Hierarchy:
    ca: CertificateAuthority
    ca_pem: Path
    leaf: x509.Certificate
    leaf_pem: Path
    responder_cert: x509.Certificate
    responder_key: rsa.RSAPrivateKey


@dataclass
class World:
    folder: Path
    auth: Hierarchy
    sign: Hierarchy


def _keys(count: int) -> list[rsa.RSAPrivateKey]:
    keys: list[rsa.RSAPrivateKey] = []
    for path in sorted(DEMO_KEYS.glob("*.pem")) if DEMO_KEYS.is_dir() else []:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048:
            keys.append(key)
    while len(keys) < count:
        keys.append(generate_key())
    return keys[:count]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("pki")
    keys = _keys(6)
    ocsp_url, crl_url = "http://127.0.0.1:9/ocsp", "http://127.0.0.1:9/crl"

    auth_ca = create_root(Purpose.AUTH, NOW, signer=LocalSigner(keys[0]))
    auth_leaf = auth_ca.issue_auth(
        keys[2].public_key(), birth_date=BIRTH_DATE, now=NOW, ocsp_url=ocsp_url, crl_url=crl_url
    )
    sign_ca = create_root(Purpose.SIGN, NOW, signer=LocalSigner(keys[1]))
    items = BasicItems(NAME, Gender.MALE, BIRTH_DATE, ADDRESS)
    sign_leaf = sign_ca.issue_sign(
        keys[3].public_key(), items=items, now=NOW, ocsp_url=ocsp_url, crl_url=crl_url
    )
    yield World(
        folder,
        Hierarchy(
            auth_ca,
            pem(folder / "auth-ca.pem", auth_ca.certificate),
            auth_leaf,
            pem(folder / "auth.pem", auth_leaf),
            auth_ca.issue_ocsp_responder(keys[4].public_key(), now=NOW),
            keys[4],
        ),
        Hierarchy(
            sign_ca,
            pem(folder / "sign-ca.pem", sign_ca.certificate),
            sign_leaf,
            pem(folder / "sign.pem", sign_leaf),
            sign_ca.issue_ocsp_responder(keys[5].public_key(), now=NOW),
            keys[5],
        ),
    )


@pytest.fixture(params=["auth", "sign"])
def hierarchy(request: pytest.FixtureRequest, world: World) -> Hierarchy:
    return getattr(world, request.param)  # type: ignore[no-any-return]


# --- certificates ------------------------------------------------------------------------------


def test_openssl_verify_accepts_both_chains(world: World) -> None:
    for h in (world.auth, world.sign):
        result = openssl("verify", "-x509_strict", "-CAfile", h.ca_pem, h.leaf_pem)
        assert result.stdout.strip() == f"{h.leaf_pem}: OK"


def test_openssl_verify_refuses_the_other_hierarchy(world: World) -> None:
    result = openssl("verify", "-CAfile", world.sign.ca_pem, world.auth.leaf_pem, check=False)
    assert result.returncode != 0


def test_openssl_shows_policy_oids(world: World) -> None:
    auth = openssl("x509", "-in", world.auth.leaf_pem, "-noout", "-text").stdout
    sign = openssl("x509", "-in", world.sign.leaf_pem, "-noout", "-text").stdout
    assert "Policy: 1.2.392.200149.8.5.1.3" in auth
    assert "Policy: 1.2.392.200149.8.5.1.1\n" in sign
    assert "othername" not in auth


def test_openssl_shows_the_basic_items_in_san_other_names(world: World) -> None:
    text = openssl(
        "x509", "-in", world.sign.leaf_pem, "-noout", "-ext", "subjectAltName", "-nameopt", "utf8"
    ).stdout
    assert f"othername: 1.2.392.200149.8.5.5.1::{NAME}" in text
    assert f"othername: 1.2.392.200149.8.5.5.5::{ADDRESS}" in text
    # OpenSSL 3.0 prints PrintableString otherNames as <unsupported>: read them with asn1parse.
    assert "1.2.392.200149.8.5.5.3::" in text and "1.2.392.200149.8.5.5.4::" in text
    der = world.folder / "sign.der"
    der.write_bytes(world.sign.leaf.public_bytes(serialization.Encoding.DER))
    outer = openssl("asn1parse", "-inform", "DER", "-in", der).stdout
    match = re.search(
        r"X509v3 Subject Alternative Name\s*\n\s*(\d+):d=\d+\s+hl=\d+ l=\s*\d+ prim: OCTET STRING",
        outer,
    )
    assert match, outer
    inner = openssl("asn1parse", "-inform", "DER", "-in", der, "-strparse", match.group(1)).stdout
    assert re.search(r"PRINTABLESTRING\s+:1\n", inner)  # ISO 5218: male
    assert re.search(r"PRINTABLESTRING\s+:419900102\n", inner)  # 平成 1990-01-02
    assert "UTF8STRING" in inner


def test_openssl_shows_the_ca_profile(world: World) -> None:
    text = openssl("x509", "-in", world.sign.ca_pem, "-noout", "-text", "-nameopt", "utf8").stdout
    dn = "C=JP, O=JPKI, OU=JPKI for digital signature, OU=Japan Agency for Local Authority"
    assert f"Subject: {dn} Information Systems" in text
    assert re.search(r"Key Usage: critical\n\s+Certificate Sign, CRL Sign", text)
    assert re.search(r"Basic Constraints: critical\n\s+CA:TRUE", text)
    assert "Public-Key: (2048 bit)" in text and "sha256WithRSAEncryption" in text


# --- CRL ---------------------------------------------------------------------------------------


def test_openssl_parses_the_crl_and_fails_a_revoked_certificate_with_error_23(world: World) -> None:
    h = world.auth
    folder = world.folder
    later = NOW + dt.timedelta(days=1)

    def crl_pem(revocations: list[Revocation], number: int) -> Path:
        der_path = folder / f"auth-{number}.crl"
        der_path.write_bytes(
            build_crl(h.ca, revocations, crl_number=number, this_update=NOW, next_update=later)
        )
        text = openssl("crl", "-inform", "DER", "-in", der_path, "-noout", "-text").stdout
        assert f"X509v3 CRL Number: \n                {number}" in text
        pem_path = folder / f"auth-{number}.crl.pem"
        openssl("crl", "-inform", "DER", "-in", der_path, "-outform", "PEM", "-out", pem_path)
        return pem_path

    clean = crl_pem([], 1)
    ok = openssl("verify", "-crl_check", "-CRLfile", clean, "-CAfile", h.ca_pem, h.leaf_pem)
    assert ok.stdout.strip() == f"{h.leaf_pem}: OK"

    revoked = crl_pem([Revocation(h.leaf.serial_number, NOW, x509.ReasonFlags.key_compromise)], 2)
    text = openssl("crl", "-in", revoked, "-noout", "-text").stdout
    serials = [int(x, 16) for x in re.findall(r"Serial Number: ([0-9A-F]+)", text)]
    assert serials == [h.leaf.serial_number]
    assert "Key Compromise" in text
    refused = openssl(
        "verify", "-crl_check", "-CRLfile", revoked, "-CAfile", h.ca_pem, h.leaf_pem, check=False
    )
    assert refused.returncode != 0
    assert "error 23" in refused.stdout + refused.stderr
    assert "certificate revoked" in refused.stdout + refused.stderr


# --- OCSP --------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.statuses: dict[int, CertStatus] = {}

    def __call__(self, issuer_key_hash: bytes, serial: int) -> CertStatus:
        return self.statuses.get(serial, UNKNOWN)


def responder_for(h: Hierarchy, table: Table) -> OCSPResponder:
    return OCSPResponder(
        issuer=h.ca.certificate,
        certificate=h.responder_cert,
        signer=LocalSigner(h.responder_key),
        status_of=table,
    )


def ocsp_round(h: Hierarchy, responder: OCSPResponder, folder: Path, name: str) -> str:
    request, response = folder / f"{name}.req", folder / f"{name}.resp"
    openssl("ocsp", "-issuer", h.ca_pem, "-cert", h.leaf_pem, "-no_nonce", "-reqout", request)
    response.write_bytes(responder.respond(request.read_bytes()))
    result = openssl(
        "ocsp",
        "-respin",
        response,
        "-issuer",
        h.ca_pem,
        "-cert",
        h.leaf_pem,
        "-CAfile",
        h.ca_pem,
        "-no_nonce",
        "-resp_text",
    )
    assert "Response verify OK" in result.stderr, result.stderr
    match = re.search(rf"^{re.escape(str(h.leaf_pem))}: (\w+)$", result.stdout, re.M)
    assert match, result.stdout
    return match.group(1)


def test_openssl_ocsp_request_is_answered_good_then_revoked(
    hierarchy: Hierarchy, world: World
) -> None:
    table = Table()
    responder = responder_for(hierarchy, table)
    name = hierarchy.ca.purpose.value
    assert ocsp_round(hierarchy, responder, world.folder, f"{name}-unknown") == "unknown"
    table.statuses[hierarchy.leaf.serial_number] = GOOD
    assert ocsp_round(hierarchy, responder, world.folder, f"{name}-good") == "good"
    table.statuses[hierarchy.leaf.serial_number] = Revoked(
        NOW, x509.ReasonFlags.affiliation_changed
    )
    assert ocsp_round(hierarchy, responder, world.folder, f"{name}-revoked") == "revoked"


def test_openssl_ocsp_accepts_the_nonce_echo(world: World) -> None:
    h = world.auth
    table = Table()
    table.statuses[h.leaf.serial_number] = GOOD
    responder = responder_for(h, table)
    request, response = world.folder / "nonce.req", world.folder / "nonce.resp"
    openssl("ocsp", "-issuer", h.ca_pem, "-cert", h.leaf_pem, "-nonce", "-reqout", request)
    response.write_bytes(responder.respond(request.read_bytes()))
    # -reqin keeps openssl's own request in memory, so it checks the nonce against the answer.
    result = openssl(
        "ocsp", "-reqin", request, "-respin", response, "-CAfile", h.ca_pem, "-resp_text"
    )
    assert "Response verify OK" in result.stderr, result.stderr
    assert "Nonce Verify error" not in result.stderr
    assert "WARNING: no nonce" not in result.stderr
    assert "OCSP Nonce" in result.stdout and "Cert Status: good" in result.stdout

    # Control: the same answer against another request's nonce is refused by openssl.
    other = world.folder / "nonce-other.req"
    openssl("ocsp", "-issuer", h.ca_pem, "-cert", h.leaf_pem, "-nonce", "-reqout", other)
    mismatch = openssl(
        "ocsp", "-reqin", other, "-respin", response, "-CAfile", h.ca_pem, check=False
    )
    assert "Nonce Verify error" in mismatch.stderr


def test_openssl_ocsp_refuses_a_response_signed_by_another_hierarchy(world: World) -> None:
    # The sign responder answers about the auth certificate: its CA does not match.
    table = Table()
    responder = responder_for(world.sign, table)
    request = world.folder / "cross.req"
    openssl(
        "ocsp",
        "-issuer",
        world.auth.ca_pem,
        "-cert",
        world.auth.leaf_pem,
        "-no_nonce",
        "-reqout",
        request,
    )
    answer = responder.respond(request.read_bytes())
    response = world.folder / "cross.resp"
    response.write_bytes(answer)
    result = openssl("ocsp", "-respin", response, "-resp_text", check=False)
    assert "unauthorized" in result.stdout.lower() + result.stderr.lower()
