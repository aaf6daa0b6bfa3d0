"""Throughput of the in-process chip; prints JSON.

- ``apdu_mix_per_s``: SELECT AP + SELECT EF + READ BINARY (4 bytes) + SELECT PIN EF +
  PIN status, counted per APDU;
- ``sign_apdu_per_s``: COMPUTE DIGITAL SIGNATURE APDUs (RSA-2048, PIN verified);
- ``raw_rsa2048_sign_per_s``: ``cryptography`` RSA-2048 PKCS#1 v1.5 SHA-256 signs, same run.

Run: ``.venv/bin/python benchmarks/card_apdu.py [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.card import AID_JPKI, EF, Chip, ChipTransport, derive_issuer_key
from mynumber.reader import IssuerSession, KeyKind, PinRef, digest_info


def _apdu(header: str, data: bytes = b"", le: int | None = None) -> bytes:
    out = bytes.fromhex(header)
    if data:
        out += bytes((len(data),)) + data
    if le is not None:
        out += bytes((le & 0xFF,))
    return out


def _rate(fn, seconds: float, per_call: int = 1) -> float:
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        calls += 1
    return calls * per_call / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()

    mfg = "BENCH00000001"
    issuer_key = derive_issuer_key(b"benchmark master key, demo only", mfg)
    chip = Chip.manufacture(manufacture_number=mfg, issuer_key=issuer_key, seal_key=bytes(32))
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    session.generate_key_pair(KeyKind.AUTH)
    dummy_cert = b"\x30\x82\x03\xe4" + bytes(0x3E4)  # certificate-sized filler, not parsed
    session.write_certificate(KeyKind.AUTH, dummy_cert)
    session.set_pin(PinRef.JPKI_AUTH, "1234")
    session.finish()
    chip.reset()

    mix = [
        _apdu("00A4040C", AID_JPKI),
        _apdu("00A4020C", EF.JPKI_AUTH_CERT.to_bytes(2, "big")),
        _apdu("00B00000", le=4),
        _apdu("00A4020C", EF.JPKI_AUTH_PIN.to_bytes(2, "big")),
        _apdu("00200080"),
    ]

    def run_mix() -> None:
        for apdu in mix:
            chip.transmit(apdu)

    apdu_rate = _rate(run_mix, args.seconds, per_call=len(mix))

    for apdu in (
        _apdu("00A4040C", AID_JPKI),
        _apdu("00A4020C", EF.JPKI_AUTH_PIN.to_bytes(2, "big")),
        _apdu("00200080", b"1234"),
        _apdu("00A4020C", EF.JPKI_AUTH_KEY.to_bytes(2, "big")),
    ):
        assert chip.transmit(apdu)[-2:] == b"\x90\x00"
    sign = _apdu("802A0080", digest_info(hashlib.sha256(b"benchmark").digest()), le=0)
    assert chip.transmit(sign)[-2:] == b"\x90\x00"
    sign_rate = _rate(lambda: chip.transmit(sign), args.seconds)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raw_rate = _rate(
        lambda: key.sign(b"benchmark", padding.PKCS1v15(), hashes.SHA256()), args.seconds
    )

    print(
        json.dumps(
            {
                "benchmark": "card_apdu",
                "machine": {
                    "platform": platform.platform(),
                    "cpu_count": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "implementation": platform.python_implementation(),
                    "cryptography": cryptography.__version__,
                },
                "seconds_per_measurement": args.seconds,
                "apdu_mix": "SELECT AP, SELECT EF, READ BINARY 4, SELECT PIN EF, PIN status",
                "apdu_mix_per_s": round(apdu_rate),
                "sign_apdu_per_s": round(sign_rate, 1),
                "raw_rsa2048_sign_per_s": round(raw_rate, 1),
                "sign_apdu_vs_raw": round(sign_rate / raw_rate, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
