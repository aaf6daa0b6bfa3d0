"""Linkage exchanges through the hub, against the same requests sent straight to the provider.

Prints JSON. Each exchange through the hub: the municipality signs a request, the hub checks
the signature (replays refused), the permitted-exchange table and converts the code, signs and
forwards it to the tax office's intermediate server, which signs the income (JWS, Ed25519)
and seals it to the municipality (JWE, ECDH-ES+A256KW / A256GCM); the hub appends the
hash-chained record and relays the ciphertext; the municipality decrypts and checks the tax
office's signature. ``direct`` sends the converted request straight to the tax office
(signed as the hub would), signed, sealed, decrypted and verified the same way: the hub's
overhead is the ratio of the two. In-process (no sockets), SQLite, one run:

    .venv/bin/python -m benchmarks.linkage [--seconds 3] [--threads 4] [--people 50] [--split]

``--split`` then runs the same exchanges over loopback HTTP, the hub and the tax office each
in its own uvicorn process as ``mynumber run --split`` starts them (this process plays the
municipality's intermediate server: it signs, sends and decrypts), with 1, ``--threads`` and
twice ``--threads`` client threads, and reports them beside the in-process figures.
``cpu_ms_per_exchange`` is the CPU of this process per exchange (with the servers' CPU too
in split mode): steadier than the rate on a shared machine. ``answer_crypto`` is the CPU to
seal and open one answer, encrypted only and signed then encrypted (the signature's cost).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks.machine import machine
from benchmarks.split import cpu_seconds, servers
from mynumber import federation
from mynumber.errors import Error
from mynumber.orgs.hub import store
from mynumber.orgs.municipality import store as registry_store
from mynumber.platform.encryption import (
    EncryptionKeys,
    open_answer,
    open_sealed,
    open_signed,
    seal,
    seal_signed,
)
from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

REQUESTER = "municipality-131016"
PROCEDURE = "child_allowance_claim"
#: The organisations an exchange passes through (the requester is this process).
SPLIT_ORGS = ("hub", "tax")


def measure(
    work: Callable[[int], object], seconds: float, threads: int, servers: list[int] | None = None
) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    servers = servers or []
    server_cpu = cpu_seconds(servers)
    stop = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        mine = []
        i = offset
        while time.perf_counter() < stop:
            start = time.perf_counter()
            work(i)
            mine.append(time.perf_counter() - start)
            i += threads
        with lock:
            latencies.extend(mine)

    started, cpu = time.perf_counter(), time.process_time()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    cpu += cpu_seconds(servers) - server_cpu
    latencies.sort()
    return {
        "exchanges": len(latencies),
        "per_s": round(len(latencies) / elapsed, 1),
        # CPU of this process per exchange: steadier than the rate on a shared machine
        "cpu_ms_per_exchange": round(cpu / len(latencies) * 1000, 2),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--people", type=int, default=50, help="residents seeded per municipality")
    parser.add_argument(
        "--split", action="store_true", help="also over loopback HTTP, one process per org"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), seed_residents=args.people, log_level="WARNING")
        fed = federation.build(settings, in_process=True)
        try:
            for code in settings.municipalities:
                fed.seed(code, args.people)
            fed.seed_linkage()
            result = run(fed, args)
            if args.split:
                usable, tax_codes = people(fed)
        finally:
            fed.close()
        if args.split:
            result["split"] = run_split(settings, args, usable, tax_codes)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


def people(fed: federation.Federation) -> tuple[list[str], dict[str, str]]:
    """Up to 20 of the municipality's codes for residents the tax office knows, and the
    tax office's code for each, as the hub converts it."""
    keys = KeyFolder(fed.settings.data_dir / "keys")
    to_hub = ServiceClient(fed.directory, "hub", Identity(REQUESTER, keys.private_key(REQUESTER)))
    with fed.municipality("131016").engine.connect() as conn:
        codes = list(conn.scalars(select(registry_store.agency_codes.c.code)))
    usable = []
    for code in codes:
        body = {"code": code, "procedure": PROCEDURE, "provider": "tax"}
        try:
            to_hub.request("POST", "/exchanges", body | {"items": ["income"]})
        except Error:  # people the tax office does not know
            continue
        usable.append(code)
        if len(usable) >= 20:
            break
    assert usable, "no resident with income"
    hub_engine = fed.hub().engine
    tax_codes: dict[str, str] = {}
    for code in usable:
        ref = fed.hub().hub.person_of(UnitOfWork(hub_engine), REQUESTER, code)
        with hub_engine.connect() as conn:
            tax_codes[code] = conn.scalar(
                select(store.codes.c.code).where(
                    store.codes.c.person_ref == ref, store.codes.c.agency == "tax"
                )
            )
    return usable, tax_codes


def exchanges(
    directory: Directory, data_dir: Path, usable: list[str], tax_codes: dict[str, str]
) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """(through the hub, straight to the tax office): one signed and sealed exchange each,
    decrypted and verified."""
    keys = EncryptionKeys(data_dir / "keys")
    signing = KeyFolder(data_dir / "keys")
    to_hub = ServiceClient(directory, "hub", Identity(REQUESTER, signing.private_key(REQUESTER)))
    to_tax = ServiceClient(directory, "tax", Identity("hub", signing.private_key("hub")))

    def through_hub(i: int) -> None:
        body = {"code": usable[i % len(usable)], "procedure": PROCEDURE}
        answer = to_hub.request(
            "POST", "/exchanges", body | {"provider": "tax", "items": ["income"]}
        )
        open_answer(keys, answer, requester=REQUESTER, provider="tax", procedure=PROCEDURE)

    def direct(i: int) -> None:
        exchange_id = f"{os.getpid():08x}{i:08x}"
        body = {
            "exchange_id": exchange_id,
            "code": tax_codes[usable[i % len(usable)]],
            "requester": REQUESTER,
            "procedure": PROCEDURE,
            "items": ["income"],
        }
        answer = to_tax.request("POST", "/intermediate/provide", body)
        open_signed(
            keys,
            answer["jwe"],
            recipient=REQUESTER,
            signer="tax",
            exchange_id=exchange_id,
            procedure=PROCEDURE,
        )

    return through_hub, direct


def answer_crypto(data_dir: Path, rounds: int = 1000) -> dict[str, float]:
    """CPU µs to seal and open one income answer, encrypted only (what any holder of the
    requester's public key can make) and signed then encrypted (what providers send)."""
    keys = EncryptionKeys(data_dir / "keys")
    income = {"income": [{"year": 2024, "income_yen": 4_350_000}]}
    bound = {"exchange_id": "0" * 16, "procedure": PROCEDURE}

    def encrypted() -> None:
        token = seal(keys, REQUESTER, income, exchange_id=bound["exchange_id"])
        open_sealed(keys, REQUESTER, token, exchange_id=bound["exchange_id"])

    def signed() -> None:
        token = seal_signed(keys, income, signer="tax", recipient=REQUESTER, **bound)
        open_signed(keys, token, recipient=REQUESTER, signer="tax", **bound)

    result = {}
    for name, work in (("encrypted_us", encrypted), ("signed_and_encrypted_us", signed)):
        work()
        started = time.process_time()
        for _ in range(rounds):
            work()
        result[name] = round((time.process_time() - started) / rounds * 1e6, 1)
    return result


def run(fed: federation.Federation, args: argparse.Namespace) -> dict[str, Any]:
    usable, tax_codes = people(fed)
    through_hub, direct = exchanges(fed.directory, fed.settings.data_dir, usable, tax_codes)
    through_hub(0)
    direct(0)
    hub = measure(through_hub, args.seconds, args.threads)
    straight = measure(direct, args.seconds, args.threads)
    return {
        "benchmark": "linkage",
        "machine": machine(),
        "database": "sqlite",
        "transport": "in-process (ASGI, no sockets)",
        "threads": args.threads,
        "through_hub": hub,
        "direct_to_provider": straight,
        "hub_overhead_ratio": round(straight["per_s"] / hub["per_s"], 2),
        "target_per_s": 250,
        "records_in_chain": fed.hub().hub.head(UnitOfWork(fed.hub().engine)).seq,
        "answer_crypto": answer_crypto(fed.settings.data_dir),
    }


def run_split(
    settings: Settings, args: argparse.Namespace, usable: list[str], tax_codes: dict[str, str]
) -> dict[str, Any]:
    with servers(settings, SPLIT_ORGS) as (urls, pids):
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        directory = Directory(urls, httpx.Client(timeout=60.0, limits=limits))
        through_hub, direct = exchanges(directory, settings.data_dir, usable, tax_codes)
        for i in range(20):  # warm up: connections, key files, statement caches
            through_hub(i)
            direct(i)
        figures: dict[str, Any] = {}
        for threads in sorted({1, args.threads, 2 * args.threads}):
            figures[f"threads_{threads}"] = {
                "through_hub": measure(through_hub, args.seconds, threads, pids),
                "direct_to_provider": measure(direct, args.seconds, threads, pids),
            }
        directory.http.close()
    best = max(figures.values(), key=lambda f: f["through_hub"]["per_s"])
    return {
        "transport": "loopback HTTP, hub and tax office each their own uvicorn process",
        "processes": list(SPLIT_ORGS),
        **figures,
        "best_through_hub_per_s": best["through_hub"]["per_s"],
    }


if __name__ == "__main__":
    main()
