"""OCSP responder throughput, with and without the signed-answer cache, against raw RSA signing.

Prints JSON. All figures come from the same run on the same machine, one thread:

    .venv/bin/python -m benchmarks.ocsp [--seconds 2] [--serials 1000]

- ``rsa2048_signatures_per_s``: PKCS#1 v1.5 SHA-256 signatures over 200 bytes (the floor of an
  uncached answer);
- ``uncached_answers_per_s``: no-nonce requests, cache off (every answer signed);
- ``cached_answers_per_s``: the same requests, cache warmed (the pool fits in the cache);
- ``nonce_answers_per_s``: requests with a nonce (always signed, never cached).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import OCSPNonce, ocsp

from mynumber.pki import (
    GOOD,
    CertStatus,
    LocalSigner,
    OCSPResponder,
    Purpose,
    create_root,
    generate_key,
)
from mynumber.pki.ocsp import issuer_hashes


def rate(work: Callable[[int], object], seconds: float) -> tuple[float, int]:
    """Call ``work(i)`` for i = 0, 1, … for about ``seconds``; return (calls/s, calls)."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            work(count)
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--serials", type=int, default=1000, help="size of the serial pool")
    args = parser.parse_args()

    now = dt.datetime.now(dt.UTC)
    ca = create_root(Purpose.AUTH, now - dt.timedelta(days=1))
    responder_key = generate_key()
    responder_cert = ca.issue_ocsp_responder(
        responder_key.public_key(), now=now - dt.timedelta(days=1)
    )

    def status_of(issuer_key_hash: bytes, serial: int) -> CertStatus:
        return GOOD

    def responder(cache_size: int) -> OCSPResponder:
        return OCSPResponder(
            issuer=ca.certificate,
            certificate=responder_cert,
            signer=LocalSigner(responder_key),
            status_of=status_of,
            cache_size=cache_size,
            reuse_for=dt.timedelta(minutes=5),
        )

    name_hash, key_hash = issuer_hashes(ca.certificate, hashes.SHA1())

    def request(serial: int, nonce: bytes | None = None) -> bytes:
        builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            name_hash, key_hash, serial, hashes.SHA1()
        )
        if nonce is not None:
            builder = builder.add_extension(OCSPNonce(nonce), critical=False)
        return builder.build().public_bytes(Encoding.DER)

    pool = [request(1_000_000 + i) for i in range(args.serials)]
    nonced = [request(1_000_000 + i, os.urandom(16)) for i in range(args.serials)]

    data = os.urandom(200)
    rsa_rate, rsa_n = rate(
        lambda i: responder_key.sign(data, padding.PKCS1v15(), hashes.SHA256()), args.seconds
    )

    uncached = responder(0)
    uncached_rate, uncached_n = rate(lambda i: uncached.respond(pool[i % len(pool)]), args.seconds)

    nonce_responder = responder(0)
    nonce_rate, nonce_n = rate(
        lambda i: nonce_responder.respond(nonced[i % len(nonced)]), args.seconds
    )

    cached = responder(max(65_536, args.serials))
    for der in pool:  # warm: one signature per serial
        cached.respond(der)
    cached_rate, cached_n = rate(lambda i: cached.respond(pool[i % len(pool)]), args.seconds)
    stats = cached.stats

    print(
        json.dumps(
            {
                "machine": {
                    "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "cryptography": cryptography.__version__,
                    "openssl": backend.openssl_version_text(),
                },
                "parameters": {"seconds_per_measurement": args.seconds, "serials": args.serials},
                "rsa2048_signatures_per_s": round(rsa_rate, 1),
                "uncached_answers_per_s": round(uncached_rate, 1),
                "nonce_answers_per_s": round(nonce_rate, 1),
                "cached_answers_per_s": round(cached_rate, 1),
                "ratios": {
                    "uncached_to_rsa_sign": round(uncached_rate / rsa_rate, 3),
                    "cached_to_rsa_sign": round(cached_rate / rsa_rate, 1),
                    "cached_to_uncached": round(cached_rate / uncached_rate, 1),
                },
                "counts": {
                    "rsa_signatures": rsa_n,
                    "uncached_answers": uncached_n,
                    "nonce_answers": nonce_n,
                    "cached_answers": cached_n,
                    "cache_hits": stats.hits,
                    "cache_misses": stats.misses,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
