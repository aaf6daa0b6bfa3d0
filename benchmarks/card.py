"""The My Number card and J-LIS's JPKI service, measured; prints JSON.

All figures come from one run on one machine, one thread:

- ``cards_issued_per_s``: whole issuances through a municipality's API, in-process (chip
  manufacture, two RSA-2048 key pairs generated on the chip, two certificates, text AP,
  PINs, records); ``rsa2048_keygen_per_s`` beside it, since key generation dominates;
- ``apdu_mix_per_s`` (in-process) and ``vpcd_apdu_mix_per_s`` (pyscard → pcscd → vpcd → the
  chip over TCP): SELECT AP, SELECT EF, READ BINARY 4, SELECT PIN EF, PIN status, per APDU;
- ``sign_apdu_per_s``: COMPUTE DIGITAL SIGNATURE APDUs in-process (RSA-2048, PIN verified);
- ``pkcs11_sign_round_trip_ms``: one ``pkcs11-tool --login --sign`` process (OpenSC through
  pcscd and vpcd), median of a few;
- ``ocsp_*_answers_per_s``: ``POST /jlis/ocsp/auth`` through the in-process HTTP client with
  a verifier credential, without nonce (cached answers) and with one (signed each time),
  against ``rsa2048_signatures_per_s`` measured in the same run.

The vpcd figures need pcscd with vsmartcard-vpcd and OpenSC; if pcscd is not running it
is started for the run and stopped after; if that fails the figures are null with a note.

Run: ``.venv/bin/python -m benchmarks.card [--seconds 2] [--cards 5]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from benchmarks.machine import machine
from mynumber import federation
from mynumber.card import (
    AID_JPKI,
    EF,
    Chip,
    ChipTransport,
    VpcdCard,
    load_or_create_demo_seal_key,
    reader_name,
    reader_port,
)
from mynumber.pki import Purpose, build_ocsp_request
from mynumber.platform.settings import Settings
from mynumber.reader import JPKIClient, KeyKind, PinRef, digest_info

PKCS11_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
)
READER = 1  # reader 1, out of the way of a test card in reader 0


def _apdu(header: str, data: bytes = b"", le: int | None = None) -> bytes:
    out = bytes.fromhex(header)
    if data:
        out += bytes((len(data),)) + data
    if le is not None:
        out += bytes((le & 0xFF,))
    return out


MIX = [
    _apdu("00A4040C", AID_JPKI),
    _apdu("00A4020C", EF.JPKI_AUTH_CERT.to_bytes(2, "big")),
    _apdu("00B00000", le=4),
    _apdu("00A4020C", EF.JPKI_AUTH_PIN.to_bytes(2, "big")),
    _apdu("00200080"),
]


def rate(work: Callable[[], object], seconds: float, per_call: int = 1) -> float:
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        work()
        calls += 1
    return calls * per_call / elapsed


def _tool(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)


def _vpcd_listed() -> bool:
    if shutil.which("opensc-tool") is None:
        return False
    try:
        return "Virtual PCD" in _tool("opensc-tool", "-l", timeout=5).stdout
    except subprocess.TimeoutExpired:
        return False


@contextmanager
def pcscd() -> Iterator[str | None]:
    """Yields None when pcscd with vpcd is there (started here if needed), else a note."""
    if _vpcd_listed():
        yield None
        return
    if shutil.which("pcscd") is None:
        yield "pcscd is not installed"
        return
    process = subprocess.Popen(
        ["pcscd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 15
        while not _vpcd_listed():
            if time.monotonic() > deadline or process.poll() is not None:
                yield "pcscd did not list a Virtual PCD reader (vsmartcard-vpcd missing?)"
                return
            time.sleep(0.2)
        yield None
    finally:
        gc.collect()  # release pyscard's contexts while pcscd is still there
        process.terminate()
        process.wait(10)


def vpcd_figures(chip: Chip, seconds: float) -> dict[str, object]:
    from mynumber.reader import PCSCTransport

    out: dict[str, object] = {"vpcd_apdu_mix_per_s": None, "pkcs11_sign_round_trip_ms": None}
    with pcscd() as note:
        if note is not None:
            out["vpcd_note"] = note
            return out
        served = VpcdCard(chip, port=reader_port(READER))
        served.start()
        try:
            if not served.connected.wait(10):
                out["vpcd_note"] = "vpcd did not accept the card"
                return out
            name = reader_name(READER)
            deadline = time.monotonic() + 15
            while _tool("opensc-tool", "-r", name, "-n").stdout.strip() != "jpki":
                if time.monotonic() > deadline:
                    out["vpcd_note"] = "OpenSC did not see the card"
                    return out
                time.sleep(0.2)
            with PCSCTransport(name) as transport:
                out["vpcd_apdu_mix_per_s"] = round(
                    rate(lambda: [transport.transmit(a) for a in MIX], seconds, len(MIX))
                )
            module = next((p for p in PKCS11_CANDIDATES if Path(p).exists()), None)
            if module is None:
                out["vpcd_note"] = "opensc-pkcs11.so not found"
                return out
            slot = _slot(module, name, "JPKI (User Authentication PIN)")
            with tempfile.TemporaryDirectory() as folder:
                data = Path(folder) / "data"
                data.write_bytes(b"benchmark")
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    done = _tool(
                        "pkcs11-tool", "--module", module, "--slot", slot, "--login",
                        "--pin", "1234", "--sign", "--mechanism", "SHA256-RSA-PKCS",
                        "--id", "01", "-i", str(data), "-o", str(Path(folder) / "sig"),
                    )  # fmt: skip
                    times.append((time.perf_counter() - start) * 1000)
                    if done.returncode != 0:
                        out["vpcd_note"] = "pkcs11-tool failed: " + done.stderr[-200:]
                        return out
                out["pkcs11_sign_round_trip_ms"] = round(statistics.median(times), 1)
        finally:
            served.stop()
    return out


def _slot(module: str, reader: str, label: str) -> str:
    slot = None
    for line in _tool("pkcs11-tool", "--module", module, "-L").stdout.splitlines():
        line = line.strip()
        if line.startswith("Slot "):
            slot = line.split("(")[1].split(")")[0] if reader in line else None
        elif slot and "token label" in line and label in line:
            return slot
    raise RuntimeError(f"no token {label} in {reader}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--cards", type=int, default=5, help="cards issued for the rate")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), seed_residents=0)
        fed = federation.build(settings, in_process=True)
        try:
            fed.jlis().authority.get()  # CA material first: not a card's cost
            people = [fed.register_synthetic_adult("131016") for _ in range(args.cards)]
            start = time.perf_counter()
            issued = [
                fed.issue_card("131016", p["id"], auth_pin="1234", sign_password="ABC123")
                for p in people
            ]
            cards_rate = len(issued) / (time.perf_counter() - start)
            keygen_rate = rate(
                lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
                args.seconds,
            )

            seal_key = load_or_create_demo_seal_key(Path(folder) / "card-seal.key")
            chip = Chip.from_image(issued[0]["card_image"].encode(), seal_key=seal_key)
            apdu_rate = rate(lambda: [chip.transmit(a) for a in MIX], args.seconds, len(MIX))
            client = JPKIClient(ChipTransport(chip))
            auth_der = client.read_certificate(KeyKind.AUTH)
            client.verify_pin(PinRef.JPKI_AUTH, "1234")
            client.select_ef(EF.JPKI_AUTH_KEY)
            sign = _apdu("802A0080", digest_info(hashlib.sha256(b"bench").digest()), le=0)
            assert chip.transmit(sign)[-2:] == b"\x90\x00"
            sign_rate = rate(lambda: chip.transmit(sign), args.seconds)
            chip.reset()

            registered = fed.admin_http.post("/jlis/verifiers", json={"name": "benchmark"})
            credential = registered.raise_for_status().json()["credential"]
            http = fed.directory.http
            ca = x509.load_pem_x509_certificate(http.get("/jlis/ca/auth.pem").content)
            leaves = [
                x509.load_der_x509_certificate(
                    JPKIClient(
                        ChipTransport(Chip.from_image(c["card_image"].encode(), seal_key=seal_key))
                    ).read_certificate(KeyKind.AUTH)
                )
                for c in issued
            ]
            plain = [build_ocsp_request(leaf, ca) for leaf in leaves]
            headers = {
                "Authorization": f"Bearer {credential}",
                "Content-Type": "application/ocsp-request",
            }
            counter = iter(range(10**9))

            def ask(nonce: bool) -> None:
                i = next(counter)
                body = (
                    build_ocsp_request(leaves[i % len(leaves)], ca, secrets.token_bytes(16))
                    if nonce
                    else plain[i % len(plain)]
                )
                response = http.post(
                    f"/jlis/ocsp/{Purpose.AUTH.value}", content=body, headers=headers
                )
                assert response.status_code == 200

            ocsp_cached = rate(lambda: ask(False), args.seconds)
            ocsp_nonce = rate(lambda: ask(True), args.seconds)
            responder_key = fed.jlis().authority.get().responders[Purpose.AUTH].key
            rsa_rate = rate(
                lambda: responder_key.sign(os.urandom(200), padding.PKCS1v15(), hashes.SHA256()),
                args.seconds,
            )
            assert auth_der
            vpcd = vpcd_figures(
                Chip.from_image(issued[0]["card_image"].encode(), seal_key=seal_key), args.seconds
            )
        finally:
            fed.close()

    print(
        json.dumps(
            {
                "benchmark": "card",
                "machine": machine(),
                "parameters": {"seconds_per_measurement": args.seconds, "cards": args.cards},
                "cards_issued_per_s": round(cards_rate, 2),
                "rsa2048_keygen_per_s": round(keygen_rate, 1),
                "apdu_mix": "SELECT AP, SELECT EF, READ BINARY 4, SELECT PIN EF, PIN status",
                "apdu_mix_per_s": round(apdu_rate),
                "sign_apdu_per_s": round(sign_rate, 1),
                **vpcd,
                "ocsp_cached_answers_per_s": round(ocsp_cached, 1),
                "ocsp_nonce_answers_per_s": round(ocsp_nonce, 1),
                "rsa2048_signatures_per_s": round(rsa_rate, 1),
                "ocsp_nonce_to_rsa_sign": round(ocsp_nonce / rsa_rate, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
