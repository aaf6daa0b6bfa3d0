"""Mynaportal login throughput, server side, against raw RSA-2048 verification.

Prints JSON. One in-process federation on SQLite in a temporary folder, one thread:

    .venv/bin/python benchmarks/login.py [--logins 300] [--split [--threads 4]]

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
- ``split`` (with ``--split``): the same logins over loopback HTTP, J-LIS, the portal and
  the hub each in its own uvicorn process as ``mynumber run --split`` starts them, with 1
  and ``--threads`` clients sending the answers, steady and with max age 0;
- ``cpu_ms_per_login``: CPU per login (in split mode summed over client and servers):
  steadier than the rate on a shared machine;
- ``rsa2048_verifications_per_s``: raw PKCS#1 v1.5 SHA-256 verifications, same run;
- ``rsa2048_signatures_per_s``: raw signatures, the floor of an OCSP answer with a nonce.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_HERE = Path(__file__).resolve().parent
# benchmarks/numbers.py shadows the stdlib ``numbers`` (which httpx needs): leave the folder
# off the path and load machine.py by its file name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


machine = _load("machine").machine

import httpx  # noqa: E402 - after the path fix

split = _load("split")

from mynumber import federation  # noqa: E402 - after the path fix
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key  # noqa: E402 - after the path fix
from mynumber.devices.phone import sign_challenge  # noqa: E402 - after the path fix
from mynumber.platform.settings import Settings  # noqa: E402 - after the path fix
from mynumber.platform.uow import UnitOfWork  # noqa: E402 - after the path fix
from mynumber.reader import JPKIClient  # noqa: E402 - after the path fix


def rate(work, seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        count += 1
    return count / (time.perf_counter() - start)


def logins(
    portal: Any, work: UnitOfWork, card: JPKIClient, count: int
) -> tuple[list[float], float]:
    """Seconds per login, sorted (challenge, answer checked, session opened), and the
    process CPU seconds they took."""
    started_at = []
    prepared = []
    start_cpu = 0.0
    for _ in range(count):  # the card's part, untimed
        t0, c0 = time.perf_counter(), time.process_time()
        challenge = portal.start(work, method="cli")
        started_at.append(time.perf_counter() - t0)
        start_cpu += time.process_time() - c0
        prepared.append((challenge, sign_challenge(card, challenge.nonce, pin="1234")))
    times = []
    cpu = time.process_time()
    for (challenge, answer), start_cost in zip(prepared, started_at, strict=True):
        t0 = time.perf_counter()
        result = portal.complete(
            work,
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


def split_logins(settings: Settings, card: JPKIClient, count: int, threads: int) -> dict[str, Any]:
    """The same logins over loopback HTTP: J-LIS, the portal and the hub each in its own
    uvicorn process. All challenges are asked for first (timed), the card signs them
    (untimed), then ``threads`` clients send the answers (timed)."""
    with split.servers(settings, ("jlis", "portal", "hub")) as (urls, pids):
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        http = httpx.Client(timeout=60.0, limits=limits)
        api = urls["portal"] + "/api/login"

        def start() -> dict[str, Any]:
            started = http.post(api + "/start", json={"method": "cli"})
            started.raise_for_status()
            return dict(started.json())

        def answer(code: str, body: dict[str, str]) -> None:
            sent = http.post(f"{api}/{code}", json=body)
            assert sent.status_code == 200, sent.text

        def signed(challenge: dict[str, Any]) -> dict[str, str]:
            nonce = base64.b64decode(challenge["challenge"])
            return sign_challenge(card, nonce, pin="1234").to_json(via="cli")

        for _ in range(3):  # warm up: verifier registration, CA fetch, connections
            warm = start()
            answer(warm["code"], signed(warm))
        figures: dict[str, Any] = {}
        for clients in sorted({1, threads}):
            wall, cpu = time.perf_counter(), time.process_time() + split.cpu_seconds(pids)
            challenges = [start() for _ in range(count)]
            start_wall = time.perf_counter() - wall
            start_cpu = time.process_time() + split.cpu_seconds(pids) - cpu
            answers = [(c["code"], signed(c)) for c in challenges]  # the card's part
            latencies: list[float] = []
            lock = threading.Lock()

            def send(
                mine: list[tuple[str, dict[str, str]]],
                latencies: list[float],
                lock: threading.Lock,
            ) -> None:
                took = []
                for code, body in mine:
                    t0 = time.perf_counter()
                    answer(code, body)
                    took.append(time.perf_counter() - t0)
                with lock:
                    latencies.extend(took)

            wall, cpu = time.perf_counter(), time.process_time() + split.cpu_seconds(pids)
            pool = [
                threading.Thread(target=send, args=(answers[n::clients], latencies, lock))
                for n in range(clients)
            ]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            answer_wall = time.perf_counter() - wall
            answer_cpu = time.process_time() + split.cpu_seconds(pids) - cpu
            latencies.sort()
            figures[f"threads_{clients}"] = {
                "logins_per_s": round(count / (start_wall + answer_wall), 1),
                "challenges_per_s": round(count / start_wall, 1),
                "answers_per_s": round(count / answer_wall, 1),
                "answer_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
                "answer_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                "cpu_ms_per_login": round((start_cpu + answer_cpu) / count * 1000, 2),
            }
        http.close()
    return figures


def split_report(over_http: dict[str, Any]) -> dict[str, Any]:
    return {
        "transport": "loopback HTTP: J-LIS, the portal and the hub each their own uvicorn "
        "process; the challenge and the answer are two requests; no session is opened "
        "(the API answer route does not); CPU summed over the client and the servers",
        **over_http,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument(
        "--split", action="store_true", help="also over loopback HTTP, one process per org"
    )
    parser.add_argument("--threads", type=int, default=4, help="client threads with --split")
    args = parser.parse_args()
    over_http: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), seed_residents=0, log_level="WARNING")
        fed = federation.build(settings)
        try:
            person = fed.register_synthetic_adult("131016")
            issued = fed.issue_card("131016", person["id"], auth_pin="1234", sign_password="ABC123")
            seal = load_or_create_demo_seal_key(Path(folder) / "card-seal.key")
            chip = Chip.from_image(issued["card_image"].encode(), seal_key=seal)
            card = JPKIClient(ChipTransport(chip))
            portal = fed.portal().portal
            work = UnitOfWork(fed.portal().engine)
            # warm up: verifier registration, CA fetch, first connections, the holder's code
            warm = portal.start(work, method="cli")
            answer = sign_challenge(card, warm.nonce, pin="1234")
            portal.complete(
                work, warm.code, signature=answer.signature, certificate=answer.certificate
            )
            times, cpu = logins(portal, work, card, args.logins)
            portal.ocsp_answers.max_age = dt.timedelta(0)
            every, every_cpu = logins(portal, work, card, args.logins)
        finally:
            fed.close()
        if args.split:
            for name, max_age in (("steady", 60.0), ("ocsp_every_login", 0.0)):
                over_http[name] = split_logins(
                    settings.model_copy(update={"portal_ocsp_max_age": max_age}),
                    card,
                    args.logins,
                    args.threads,
                )

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
                **({"split": split_report(over_http)} if over_http else {}),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
