"""J-LIS's JPKI service driven by stock tools: ``mynumber run`` serves, ``mynumber card issue``
makes a card, then openssl (verify, ocsp, crl) and, through pcscd + vpcd, OpenSC
(pkcs15-tool, pkcs11-tool) use it as they would the real thing.

``openssl ocsp`` exits 0 for a revoked certificate too: its text is parsed.
The card goes into vpcd reader 1 (``Virtual PCD 00 01``), so it can sit beside the demo card
``test_opensc.py`` puts in reader 0.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.reader import JPKIClient, KeyKind, PinRef

pytestmark = [
    pytest.mark.slow(seconds=30),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]

MYNUMBER = Path(sys.executable).with_name("mynumber")
AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
READER = "Virtual PCD 00 01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@dataclass
class Service:
    base: str
    data: Path
    env: dict[str, str]
    credential: str
    folder: Path

    def mynumber(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        done = run(MYNUMBER, *args, "--data", self.data, env=self.env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done


@dataclass
class IssuedCard:
    file: Path
    pem: dict[str, Path]  # hierarchy -> user certificate
    ca: dict[str, Path]  # hierarchy -> CA certificate
    serial: dict[str, str]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``mynumber run`` on a free port (no demo seeding), and a registered verifier."""
    folder = tmp_path_factory.mktemp("jpki")
    data = folder / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYNUMBER_")}
    env["MYNUMBER_PORT"] = str(port)  # certificates issued by the CLI point at this server
    env["COLUMNS"] = "200"
    base = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [str(MYNUMBER), "run", "--port", str(port), "--data", str(data), "--no-seed"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"mynumber run exited: {(folder / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("mynumber run did not answer in 60 s")
            time.sleep(0.2)
        added = run(MYNUMBER, "jlis", "verifier", "add", "interop test", "--data", data, env=env)
        assert added.returncode == 0, added.stdout + added.stderr
        credential = added.stdout.strip().splitlines()[-1]
        assert credential.startswith("jv_")
        yield Service(base, data, env, credential, folder)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def issue(service: Service, name: str) -> IssuedCard:
    file = service.folder / f"{name}.card"
    service.mynumber(
        "card", "issue", "--out", file, "--auth-pin", AUTH_PIN, "--sign-password", SIGN_PASSWORD
    )
    chip = Chip.from_image(
        file.read_bytes(),
        seal_key=load_or_create_demo_seal_key(service.data / "card-seal.key"),
    )
    client = JPKIClient(ChipTransport(chip))
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    pem, ca, serial = {}, {}, {}
    for kind in KeyKind:
        cert = x509.load_der_x509_certificate(client.read_certificate(kind))
        pem[kind.value] = service.folder / f"{name}-{kind.value}.pem"
        pem[kind.value].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        serial[kind.value] = f"{cert.serial_number:x}"
        ca[kind.value] = service.folder / f"ca-{kind.value}.pem"
        ca[kind.value].write_bytes(httpx.get(f"{service.base}/jlis/ca/{kind.value}.pem").content)
    return IssuedCard(file, pem, ca, serial)


@pytest.fixture(scope="module")
def card(service: Service) -> IssuedCard:
    return issue(service, "good")


def openssl_ocsp(service: Service, card: IssuedCard, hierarchy: str, *, header: bool = True):
    args: list[str | Path] = [
        "openssl",
        "ocsp",
        "-issuer",
        card.ca[hierarchy],
        "-cert",
        card.pem[hierarchy],
        "-url",
        f"{service.base}/jlis/ocsp/{hierarchy}",
        "-resp_text",
        "-CAfile",
        card.ca[hierarchy],
    ]
    if header:
        args += ["-header", f"Authorization=Bearer {service.credential}"]
    return run(*args)


def ocsp_status(done: subprocess.CompletedProcess[str], leaf: Path) -> str | None:
    found = re.search(rf"^{re.escape(str(leaf))}: (\w+)", done.stdout, re.MULTILINE)
    return found.group(1) if found else None


def crl_check(service: Service, card: IssuedCard, hierarchy: str) -> subprocess.CompletedProcess:
    response = httpx.get(
        f"{service.base}/jlis/crl/{hierarchy}.crl",
        headers={"Authorization": f"Bearer {service.credential}"},
    )
    assert (
        response.status_code == 200 and response.headers["content-type"] == "application/pkix-crl"
    )
    der = service.folder / f"{hierarchy}-{time.monotonic_ns()}.crl"
    der.write_bytes(response.content)
    crl_pem = der.with_suffix(".pem")
    converted = run("openssl", "crl", "-inform", "DER", "-in", der, "-out", crl_pem)
    assert converted.returncode == 0, converted.stderr
    text = run("openssl", "crl", "-in", crl_pem, "-noout", "-text").stdout
    assert "Next Update:" in text
    return run(
        "openssl",
        "verify",
        "-crl_check",
        "-CRLfile",
        crl_pem,
        "-CAfile",
        card.ca[hierarchy],
        card.pem[hierarchy],
    )


@pytest.mark.parametrize("hierarchy", ["auth", "sign"])
def test_openssl_verify_accepts_the_issued_certificates(card: IssuedCard, hierarchy: str) -> None:
    done = run("openssl", "verify", "-CAfile", card.ca[hierarchy], card.pem[hierarchy])
    assert done.returncode == 0 and done.stdout.strip().endswith(": OK"), done.stdout + done.stderr


@pytest.mark.parametrize("hierarchy", ["auth", "sign"])
def test_openssl_ocsp_says_good_with_a_verifier_credential(service, card, hierarchy) -> None:
    done = openssl_ocsp(service, card, hierarchy)
    assert ocsp_status(done, card.pem[hierarchy]) == "good", done.stdout + done.stderr
    assert "Response verify OK" in done.stdout + done.stderr


def test_openssl_ocsp_without_the_credential_gets_no_answer(service, card) -> None:
    done = openssl_ocsp(service, card, "auth", header=False)
    assert ocsp_status(done, card.pem["auth"]) is None, done.stdout
    assert done.returncode != 0 or "Error" in done.stderr


def test_crl_over_http_lets_openssl_verify_a_good_certificate(service, card) -> None:
    done = crl_check(service, card, "auth")
    assert done.returncode == 0, done.stdout + done.stderr


def test_after_suspension_openssl_ocsp_says_revoked_and_the_crl_fails_with_error_23(
    service: Service,
) -> None:
    lost = issue(service, "lost")
    assert ocsp_status(openssl_ocsp(service, lost, "sign"), lost.pem["sign"]) == "good"
    suspended = service.mynumber("card", "suspend", lost.file)
    assert "suspended" in suspended.stdout
    for hierarchy in ("auth", "sign"):
        done = openssl_ocsp(service, lost, hierarchy)
        assert done.returncode == 0  # openssl ocsp exits 0 for "revoked" too
        assert ocsp_status(done, lost.pem[hierarchy]) == "revoked", done.stdout + done.stderr
        assert "keyCompromise" in done.stdout
        checked = crl_check(service, lost, hierarchy)
        assert checked.returncode != 0
        assert "error 23" in checked.stdout + checked.stderr, checked.stdout + checked.stderr


# --- with pcscd: the issued card through vpcd, driven by OpenSC ---------------------------


def _slot_of(pkcs11_module: str, label: str) -> str:
    """The PKCS#11 slot id of the token ``label`` in reader 1 (reader 0 may hold another)."""
    listing = run("pkcs11-tool", "--module", pkcs11_module, "-L").stdout
    slot = None
    for line in listing.splitlines():
        found = re.match(r"Slot \d+ \((0x[0-9a-f]+)\): (.*)", line.strip())
        if found:
            slot = found.group(1) if READER in found.group(2) else None
        elif slot and "token label" in line and label in line:
            return slot
    pytest.fail(f"no token {label!r} in {READER}:\n{listing}")


@pytest.mark.pcsc
def test_opensc_lists_and_signs_with_the_issued_card_in_vpcd(
    service: Service, card: IssuedCard, pcscd, pkcs11_module
) -> None:
    inserted = subprocess.Popen(
        [
            str(MYNUMBER),
            "card",
            "insert",
            str(card.file),
            "--reader",
            "1",
            "--data",
            str(service.data),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=service.env,
    )
    try:
        deadline = time.monotonic() + 20
        while run("opensc-tool", "-r", READER, "-n", timeout=10).stdout.strip() != "jpki":
            if inserted.poll() is not None or time.monotonic() > deadline:
                pytest.fail("OpenSC never saw the issued card as 'jpki'")
            time.sleep(0.3)

        listed = run("pkcs15-tool", "--reader", READER, "--list-certificates")
        assert "[User Authentication Certificate]" in listed.stdout, listed.stdout + listed.stderr
        assert "[Digital Signature Certificate CA]" in listed.stdout
        read = run("pkcs15-tool", "--reader", READER, "--read-certificate", "01")
        assert x509.load_pem_x509_certificate(
            read.stdout.encode()
        ) == x509.load_pem_x509_certificate(card.pem["auth"].read_bytes())

        data, sig = service.folder / "data.txt", service.folder / "sig.bin"
        data.write_bytes(b"signed by the issued card through PKCS#11\n")
        slot = _slot_of(pkcs11_module, "JPKI (User Authentication PIN)")
        signed = run(
            "pkcs11-tool",
            "--module",
            pkcs11_module,
            "--slot",
            slot,
            "--login",
            "--pin",
            AUTH_PIN,
            "--sign",
            "--mechanism",
            "SHA256-RSA-PKCS",
            "--id",
            "01",
            "-i",
            data,
            "-o",
            sig,
        )
        assert signed.returncode == 0, signed.stdout + signed.stderr
        pub = service.folder / "auth-pub.pem"
        extracted = run("openssl", "x509", "-in", card.pem["auth"], "-pubkey", "-noout")
        pub.write_text(extracted.stdout)
        verified = run("openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data)
        assert verified.stdout.strip() == "Verified OK", verified.stdout + verified.stderr
    finally:
        inserted.send_signal(signal.SIGINT)
        try:
            inserted.wait(10)
        except subprocess.TimeoutExpired:
            inserted.kill()
            inserted.wait()
