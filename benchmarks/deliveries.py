"""Notices delivered through the hub to Mynaportal inboxes, by batch size.

Prints JSON. Each delivery: the tax office seals the notices to the portal (one JWE), signs
the request; the hub checks the table, converts every code, relays the JWE to the portal
(signed), which opens it, finds each person's account and stores each notice encrypted; the
hub appends one hash-chained record per person, in one transaction. The baseline is the
cryptography alone on the same notices (seal + open the JWE, AES-GCM per title and body),
so the ratio is what the network of organisations costs. In-process (no sockets), SQLite:

    .venv/bin/python -m benchmarks.deliveries [--people 10000]
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from mynumber import federation
from mynumber.orgs.hub import chain
from mynumber.orgs.portal import store as portal_store
from mynumber.orgs.portal.services.inbox import NoticeCipher
from mynumber.platform.deliveries import binding, send
from mynumber.platform.encryption import EncryptionKeys, open_signed, seal_signed
from mynumber.platform.http import ServiceClient
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork


def notice(i: int) -> dict[str, str]:
    return {
        "title": f"令和6年分 所得税の還付のお知らせ ({i})",
        "body": "還付金を公金受取口座にお振り込みします。"
        "金額と振込予定日は e-Tax でご確認ください。",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="at most 10,000 per delivery")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), seed_residents=0, log_level="WARNING")
        fed = federation.build(settings, in_process=True)
        try:
            result = run(fed, min(args.people, 10_000))
        finally:
            fed.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


def people(fed: federation.Federation, count: int) -> list[str]:
    """``count`` synthetic persons with a tax code and a Mynaportal account; their tax codes.

    The hub codes them from made-up 取得番号 (what J-LIS would send), and the portal gets an
    account with its hub code, as a first login would leave it."""
    hub = fed.hub().hub
    uow = UnitOfWork(fed.hub().engine)
    acquisitions = [f"bench-{secrets.token_hex(8)}" for _ in range(count)]
    tax = hub.enrol(uow, "tax", acquisitions)
    portal = hub.enrol(uow, "portal", acquisitions)
    now = datetime.now(UTC)
    with fed.services("portal").engine.begin() as conn:
        conn.execute(
            portal_store.accounts.insert(),
            [
                {
                    "portal_code": secrets.token_hex(16),
                    "municipality": "131016",
                    "created_at": now,
                    "last_login_at": now,
                    "hub_code": code,
                }
                for code in portal
            ],
        )
    return tax


def run(fed: federation.Federation, count: int) -> dict[str, Any]:
    codes = people(fed, count)
    enc = EncryptionKeys(fed.settings.data_dir / "keys")
    keys = KeyFolder(fed.settings.data_dir / "keys")
    client = ServiceClient(fed.directory, "hub", Identity("tax", keys.private_key("tax")))

    def deliver(batch: list[str], offset: int) -> None:
        messages = [notice(offset + i) for i in range(len(batch))]
        result = send(
            client,
            enc,
            procedure="tax_notice",
            recipient="portal",
            items=["notice"],
            codes=batch,
            messages=messages,
        )
        assert all(result.accepted), "every synthetic person has an account"

    deliver(codes[:1], 0)  # warm up
    batches: dict[str, Any] = {}
    for size, rounds in ((1, 200), (100, 10), (count, 1)):
        size = min(size, count)
        started = time.perf_counter()
        for r in range(rounds):
            start = (r * size) % count
            deliver(codes[start : start + size] or codes[:size], r * size)
        elapsed = time.perf_counter() - started
        batches[f"batch_{size}"] = {
            "deliveries": rounds,
            "notices": rounds * size,
            "notices_per_s": round(rounds * size / elapsed, 1),
            "ms_per_delivery": round(elapsed / rounds * 1000, 2),
        }

    # the floor: the cryptography alone for one delivery of ``count`` notices
    cipher = NoticeCipher(secrets.token_bytes(32))
    messages = [notice(i) for i in range(count)]
    started = time.perf_counter()
    bound = {"exchange_id": binding("tax", "tax_notice"), "procedure": "tax_notice"}
    token = seal_signed(enc, {"messages": messages}, signer="tax", recipient="portal", **bound)
    opened = open_signed(enc, token, recipient="portal", signer="tax", **bound)
    for i, m in enumerate(opened["messages"]):
        cipher.seal(str(i), "owner", "title", m["title"])
        cipher.seal(str(i), "owner", "body", m["body"])
    crypto = time.perf_counter() - started

    hub = fed.hub().hub
    started = time.perf_counter()
    head = chain.verify(hub.log(UnitOfWork(fed.hub().engine), after=0, limit=1_000_000))
    verified = time.perf_counter() - started
    whole = batches[f"batch_{count}"]
    return {
        "benchmark": "deliveries",
        "machine": machine(),
        "database": "sqlite",
        "transport": "in-process (ASGI, no sockets)",
        "people": count,
        **batches,
        "crypto_only_notices_per_s": round(count / crypto, 1),
        "overhead_ratio": round((count / crypto) / whole["notices_per_s"], 2),
        "chain_entries": head.seq,
        "chain_verify_entries_per_s": round(head.seq / verified, 1),
    }


if __name__ == "__main__":
    main()
