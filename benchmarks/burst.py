"""A burst of linkage exchanges against ``mynumber run``, and the login page meanwhile.

Prints JSON. Starts ``mynumber run`` on a free port with a fresh data folder (20 residents
per municipality), fires ``--burst`` simultaneous signed ``POST /hub/exchanges`` (income
from the tax office for 千代田区's residents: each one a nested call hub → tax over
loopback), and asks ``GET /portal/login`` every 100 ms while they run:

    .venv/bin/python -m benchmarks.burst [--burst 60] [--concurrency 8]

- ``statuses``: how the exchanges ended (200, or 503 ``busy`` past the hub's queue);
- ``burst_s``, ``exchanges_per_s``: from the first request to the last answer;
- ``login_ms``: the login page's p50 and max during the burst (its bound: 1 s);
- ``concurrency``: ``MYNUMBER_ORG_CONCURRENCY`` of the server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from test_availability import MUNICIPALITY, taxpayer_codes

from mynumber.federation.process import serving
from mynumber.orgs.municipality.services.linkage import CHILD_ALLOWANCE
from mynumber.platform.signing import Identity, KeyFolder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        with serving(
            data, settings={"seed_residents": "20", "org_concurrency": str(args.concurrency)}
        ) as server:
            base = server.base
            codes = taxpayer_codes(data)
            identity = Identity(MUNICIPALITY, KeyFolder(data / "keys").private_key(MUNICIPALITY))
            start = threading.Barrier(args.burst + 1)
            limits = httpx.Limits(max_connections=args.burst + 10)
            with httpx.Client(base_url=base, timeout=120.0, limits=limits) as http:

                def exchange(i: int) -> int:
                    body = json.dumps(
                        {
                            "code": codes[i % len(codes)],
                            "procedure": CHILD_ALLOWANCE,
                            "provider": "tax",
                            "items": ["income"],
                        }
                    ).encode()
                    headers = {"content-type": "application/json"}
                    headers.update(identity.sign("POST", "/hub/exchanges", body))
                    start.wait()
                    return http.post("/hub/exchanges", content=body, headers=headers).status_code

                with ThreadPoolExecutor(args.burst) as pool:
                    burst = [pool.submit(exchange, i) for i in range(args.burst)]
                    start.wait()
                    began = time.perf_counter()
                    login_ms: list[float] = []
                    with httpx.Client(base_url=base, timeout=30.0) as visitor:
                        while not all(f.done() for f in burst):
                            t = time.perf_counter()
                            visitor.get("/portal/login")
                            login_ms.append((time.perf_counter() - t) * 1000)
                            time.sleep(0.1)
                    statuses = Counter(f.result() for f in burst)
                    took = time.perf_counter() - began
    print(
        json.dumps(
            {
                "burst": args.burst,
                "concurrency": args.concurrency,
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "burst_s": round(took, 2),
                "exchanges_per_s": round(statuses.get(200, 0) / took, 1),
                "login_ms": {
                    "samples": len(login_ms),
                    "p50": round(statistics.median(login_ms), 1) if login_ms else None,
                    "max": round(max(login_ms), 1) if login_ms else None,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
