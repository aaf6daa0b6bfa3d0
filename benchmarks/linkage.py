"""Linkage exchanges through the hub, against the same requests sent straight to the provider.

Prints JSON. Each exchange through the hub: the municipality signs a request, the hub checks
the signature (replays refused), the permitted-exchange table and converts the code, signs and
forwards it to the tax office's intermediate server, which seals the income to the
municipality (JWE, ECDH-ES+A256KW / A256GCM); the hub appends the hash-chained record and
relays the ciphertext; the municipality decrypts. ``direct`` sends the converted request
straight to the tax office (signed as the hub would), sealed and decrypted the same way: the
hub's overhead is the ratio of the two. In-process (no sockets), SQLite, one run:

    .venv/bin/python -m benchmarks.linkage [--seconds 3] [--threads 4] [--people 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.machine import machine
from mynumber.errors import Error
from mynumber.orgs.hub import store
from mynumber.orgs.municipality import intermediate
from mynumber.platform import federation
from mynumber.platform.encryption import EncryptionKeys, open_sealed
from mynumber.platform.http import ServiceClient
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder

REQUESTER = "municipality-131016"


def measure(work: Callable[[int], object], seconds: float, threads: int) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
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
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), seed_residents=args.people, log_level="WARNING")
        fed = federation.build(settings, in_process=True)
        try:
            for code in settings.municipalities:
                fed.seed(code, args.people)
            fed.seed_linkage()
            result = run(fed, args)
        finally:
            fed.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


def run(fed: federation.Federation, args: argparse.Namespace) -> dict[str, Any]:
    keys = EncryptionKeys(fed.settings.data_dir / "keys")
    ctx_keys = KeyFolder(fed.settings.data_dir / "keys")

    municipality = Identity(REQUESTER, ctx_keys.private_key(REQUESTER))
    hub_identity = Identity("hub", ctx_keys.private_key("hub"))
    to_hub = ServiceClient(fed.directory, "hub", municipality)
    to_tax = ServiceClient(fed.directory, "tax", hub_identity)

    # residents the tax office knows: the municipality's codes for them, the tax office's too
    with fed.registry("131016").engine.connect() as conn:
        codes = list(conn.scalars(select(intermediate.agency_codes.c.code)))
    usable = []
    for code in codes:
        body = {"code": code, "procedure": "child_allowance_claim", "provider": "tax"}
        try:
            to_hub.request("POST", "/exchanges", body | {"items": ["income"]})
        except Error:  # people the tax office does not know
            continue
        usable.append(code)
        if len(usable) >= 20:
            break
    hub_engine = fed.apps["hub"].state.engine
    tax_codes: dict[str, str] = {}
    for code in usable:  # the provider's code for each, as the hub converts it
        ref = fed.apps["hub"].state.hub.person_of(REQUESTER, code)
        with hub_engine.connect() as conn:
            tax_codes[code] = conn.scalar(
                select(store.codes.c.code).where(
                    store.codes.c.person_ref == ref, store.codes.c.agency == "tax"
                )
            )
    assert usable, "no resident with income"

    def through_hub(i: int) -> None:
        body = {"code": usable[i % len(usable)], "procedure": "child_allowance_claim"}
        answer = to_hub.request(
            "POST", "/exchanges", body | {"provider": "tax", "items": ["income"]}
        )
        open_sealed(keys, REQUESTER, answer["jwe"], exchange_id=answer["exchange_id"])

    def direct(i: int) -> None:
        exchange_id = f"{i:016x}"
        body = {
            "exchange_id": exchange_id,
            "code": tax_codes[usable[i % len(usable)]],
            "requester": REQUESTER,
            "procedure": "child_allowance_claim",
            "items": ["income"],
        }
        answer = to_tax.request("POST", "/intermediate/provide", body)
        open_sealed(keys, REQUESTER, answer["jwe"], exchange_id=exchange_id)

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
        "records_in_chain": fed.apps["hub"].state.hub.head().seq,
    }


if __name__ == "__main__":
    main()
