"""Mynaportal login throughput, server side, against raw RSA-2048 verification.

Prints JSON. One in-process federation on SQLite in a temporary folder, one thread:

    .venv/bin/python benchmarks/login.py [--logins 300]

- ``logins_per_s`` with ``p50_ms``/``p99_ms``: per login, the portal issues a challenge,
  checks the card's signature and the chain, checks the certificate's status (a good OCSP
  answer from J-LIS, as a registered verifier, reused for ``MYNUMBER_PORTAL_OCSP_MAX_AGE``,
  60 s by default), finds the person's portal code (asked of J-LIS on the certificate's
  first login, kept after), and in one transaction uses the challenge up, writes the
  account, login record and notice and opens a session. The card's own signature is made
  beforehand and not timed (the card, not the server, does that). The same card logs in
  every time, so this is the steady state of a card seen within the window.
- ``ocsp_every_login``: the same with max age 0: J-LIS's responder is asked (over the
  in-process HTTP hop) at every login, and answers from its RFC 5019 cache.
- ``rsa2048_verifications_per_s``: raw PKCS#1 v1.5 SHA-256 verifications, same run;
- ``rsa2048_signatures_per_s``: raw signatures, the floor of an OCSP answer with a nonce.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_HERE = Path(__file__).resolve().parent
# benchmarks/numbers.py shadows the stdlib ``numbers`` (which httpx needs): leave the folder
# off the path and load machine.py by its file name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
_spec = importlib.util.spec_from_file_location("bench_machine", _HERE / "machine.py")
assert _spec is not None and _spec.loader is not None
_machine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_machine)
machine = _machine.machine

from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key  # noqa: E402 - after the path fix
from mynumber.orgs.portal.phoneapp import sign_challenge  # noqa: E402 - after the path fix
from mynumber.platform import federation  # noqa: E402 - after the path fix
from mynumber.platform.settings import Settings  # noqa: E402 - after the path fix
from mynumber.reader import JPKIClient  # noqa: E402 - after the path fix


def rate(work, seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        count += 1
    return count / (time.perf_counter() - start)


def logins(portal: Any, card: JPKIClient, count: int) -> tuple[list[float], float]:
    """Seconds per login, sorted (challenge, answer checked, session opened), and the
    process CPU seconds they took."""
    started_at = []
    prepared = []
    start_cpu = 0.0
    for _ in range(count):  # the card's part, untimed
        t0, c0 = time.perf_counter(), time.process_time()
        challenge = portal.start(method="cli")
        started_at.append(time.perf_counter() - t0)
        start_cpu += time.process_time() - c0
        prepared.append((challenge, sign_challenge(card, challenge.nonce, pin="1234")))
    times = []
    cpu = time.process_time()
    for (challenge, answer), start_cost in zip(prepared, started_at, strict=True):
        t0 = time.perf_counter()
        result = portal.complete(
            challenge.code,
            signature=answer.signature,
            certificate=answer.certificate,
            open_session=True,
        )
        assert result.session_token
        times.append(time.perf_counter() - t0 + start_cost)
    return sorted(times), time.process_time() - cpu + start_cpu


def summary(times: list[float], cpu: float) -> dict[str, float]:
    return {
        "logins_per_s": round(len(times) / sum(times), 1),
        # CPU of the process per login: steadier than the rate on a shared machine
        "cpu_ms_per_login": round(cpu / len(times) * 1000, 3),
        "p50_ms": round(times[len(times) // 2] * 1000, 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        fed = federation.build(Settings(data_dir=Path(folder), seed_residents=0))
        try:
            person = fed.register_synthetic_adult("131016")
            issued = fed.issue_card("131016", person["id"], auth_pin="1234", sign_password="ABC123")
            seal = load_or_create_demo_seal_key(Path(folder) / "card-seal.key")
            chip = Chip.from_image(issued["card_image"].encode(), seal_key=seal)
            card = JPKIClient(ChipTransport(chip))
            portal = fed.apps["portal"].state.portal
            # warm up: verifier registration, CA fetch, first connections, the holder's code
            warm = portal.start(method="cli")
            answer = sign_challenge(card, warm.nonce, pin="1234")
            portal.complete(warm.code, signature=answer.signature, certificate=answer.certificate)
            times, cpu = logins(portal, card, args.logins)
            portal.ocsp_answers.max_age = dt.timedelta(0)
            every, every_cpu = logins(portal, card, args.logins)
        finally:
            fed.close()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = os.urandom(32)
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    verify_rate = rate(lambda: public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256()))
    sign_rate = rate(lambda: key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    print(
        json.dumps(
            {
                "benchmark": "portal_login",
                "machine": machine(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "database": "sqlite",
                "logins": len(times),
                **summary(times, cpu),
                "ocsp_every_login": summary(every, every_cpu),
                "rsa2048_verifications_per_s": round(verify_rate),
                "rsa2048_signatures_per_s": round(sign_rate),
                "target_logins_per_s": 500,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
