"""Capacity model of a national benefit run: workers and database nodes for 126 million
payees in ten minutes, and a simulation of the run's partitioning at that scale.

Prints JSON. Inputs are measured figures (``--from`` a JSON printed by
``python -m benchmarks.disbursement --workers 2``: its per-CPU-second rate, each phase's
share of the CPU and the scaling from one worker to two), else the defaults below, which
are this machine's figures written down in the README. The model, and what it assumes:

- CPU: every payee costs ``1 / payees_per_cpu_s`` CPU-seconds across all organisations;
  a worker is one core; workers past the first add ``scaling_1_to_2 − 1`` of a worker each
  (the measured parallel efficiency, held constant — optimistic past one machine's cores,
  pessimistic where the loss was this machine's contention).
- Databases: each payee writes ``ROWS_PER_PAYEE`` rows (a per-person programme's payee,
  its instruction, the hub's exchange record) and one node takes ``--node-rows-per-s``
  rows/s of batched inserts (COPY on PostgreSQL); nodes = rows / (deadline × that rate),
  the organisations' databases sharded by municipality (eligibility, payees) and by
  payee-id range (accounts, instructions). The hub's hash chain is one sequence: it is
  kept per shard (one chain per hub node, each chain's head cross-signed), a choice this
  model makes, not a published design.
- Partitioning (simulated): 1,741 municipalities with a heavy-tailed population (a
  log-normal fitted to Japan's: median ≈ 24,000, largest ≈ 3.7 million), read in pages of
  ``PAGE`` people; accounts in parts of ``PART`` payees; each part's time is its size over
  one worker's rate times a log-normal straggler factor (σ ``--straggle``); parts go to
  the first free worker, largest first. The makespan, the parts' time distribution and
  the workers' idle share are reported.
- Banks: one payer account, so one paying bank receives 126 files of ≤ 999,999 records
  (the 総合振込 limit); it forwards other banks' records over the Zengin network. Its
  side is modelled as ``--bank-records-per-s`` per file-ingesting process, files in
  parallel over ``--bank-processes``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
from pathlib import Path
from typing import Any

PEOPLE = 126_000_000
DEADLINE_S = 600.0
MUNICIPALITIES = 1_741
PAGE = 20_000  # the benefit office's page (orgs/benefits/run.py)
PART = 20_000
MAX_RECORDS = 999_999
ROWS_PER_PAYEE = 3

#: Defaults: this machine's measured figures (see the README's capacity model).
MEASURED = {  # run 8 of 5 December 2026 (SQLite, 200,000 residents)
    "payees_per_cpu_s": 25_979,
    "scaling_1_to_2": 1.744,
    "cpu_share": {"eligibility": 0.907, "payees": 0.003, "accounts": 0.005, "files": 0.085},
}


def populations(rng: random.Random) -> list[int]:
    """Municipal populations summing to 126 million, heavy-tailed like Japan's."""
    raw = [rng.lognormvariate(math.log(24_000), 1.25) for _ in range(MUNICIPALITIES)]
    raw = [min(x, 3_700_000.0) for x in raw]
    scale = PEOPLE / sum(raw)
    sizes = [max(100, int(x * scale)) for x in raw]
    sizes[0] += PEOPLE - sum(sizes)
    return sizes


def simulate(
    parts: list[float], workers: int, rate: float, straggle: float, rng: random.Random
) -> dict[str, Any]:
    """Parts (people each) on ``workers`` at ``rate`` people/s each, largest first."""
    times = sorted((p / rate * rng.lognormvariate(0.0, straggle) for p in parts), reverse=True)
    free = [0.0] * workers
    heapq.heapify(free)
    for t in times:
        start = heapq.heappop(free)
        heapq.heappush(free, start + t)
    makespan = max(free)
    busy = sum(times)
    ordered = sorted(times)

    def q(x: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(x * len(ordered)))], 3)

    return {
        "parts": len(parts),
        "makespan_s": round(makespan, 1),
        "part_seconds": {"p50": q(0.5), "p99": q(0.99), "max": round(ordered[-1], 3)},
        "idle_share": round(1 - busy / (makespan * workers), 3) if makespan else 0.0,
    }


def model(measured: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    per_cpu = float(measured["payees_per_cpu_s"])
    scaling = float(measured["scaling_1_to_2"])
    efficiency = max(0.05, min(1.0, scaling - 1.0))  # what each added worker adds
    cpu_seconds = PEOPLE / per_cpu
    need = PEOPLE / DEADLINE_S  # payees/s
    # 1 + (W − 1)·e workers' worth of throughput = need / per_cpu
    workers = math.ceil(1 + (need / per_cpu - 1) / efficiency)
    effective_rate = per_cpu * efficiency  # one added worker, in people/s
    rows_per_s = PEOPLE * ROWS_PER_PAYEE / DEADLINE_S
    nodes = math.ceil(rows_per_s / args.node_rows_per_s)

    sizes = populations(rng)
    share = measured["cpu_share"]
    eligibility_parts = [
        float(min(PAGE, size - start)) for size in sizes for start in range(0, size, PAGE)
    ]
    account_parts = [float(PART)] * math.ceil(PEOPLE / PART)
    phase_rate = {k: effective_rate / max(v, 1e-6) for k, v in share.items()}
    files = math.ceil(PEOPLE / MAX_RECORDS)
    bank_s = math.ceil(files / args.bank_processes) * MAX_RECORDS / args.bank_records_per_s

    def run_with(count: int) -> dict[str, Any]:
        sim = random.Random(args.seed)
        eligibility = simulate(
            eligibility_parts, count, phase_rate["eligibility"], args.straggle, sim
        )
        accounts = simulate(account_parts, count, phase_rate["accounts"], args.straggle, sim)
        # payees by municipality and files by part are partitioned the same way
        rest = PEOPLE / phase_rate["payees"] / count + PEOPLE / (
            phase_rate["files"] * min(files, count)
        )
        total = eligibility["makespan_s"] + accounts["makespan_s"] + rest
        return {
            "workers": count,
            "eligibility": eligibility,
            "accounts": accounts,
            "payees_and_files_s": round(rest, 1),
            "to_files_s": round(total, 1),
        }

    simulated = run_with(workers)
    while simulated["to_files_s"] > DEADLINE_S - bank_s and simulated["workers"] < 100_000:
        simulated = run_with(math.ceil(simulated["workers"] * 1.05))
    return {
        "assumptions": {
            "people": PEOPLE,
            "deadline_s": DEADLINE_S,
            "payees_per_cpu_s": per_cpu,
            "scaling_1_to_2": scaling,
            "added_worker_efficiency": round(efficiency, 3),
            "rows_per_payee": ROWS_PER_PAYEE,
            "node_rows_per_s": args.node_rows_per_s,
            "page": PAGE,
            "part": PART,
            "straggle_sigma": args.straggle,
            "bank_records_per_s": args.bank_records_per_s,
            "bank_processes": args.bank_processes,
        },
        "cpu_seconds": round(cpu_seconds),
        "workers_if_perfectly_pipelined": workers,
        "workers": simulated["workers"],
        "database_nodes": nodes,
        "simulation": simulated
        | {
            "municipalities": len(sizes),
            "largest_municipality": max(sizes),
            "banks": {"files": files, "seconds": round(bank_s, 1)},
            "total_s": round(simulated["to_files_s"] + bank_s, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a disbursement JSON")
    parser.add_argument("--node-rows-per-s", type=float, default=200_000.0)
    parser.add_argument("--straggle", type=float, default=0.3)
    parser.add_argument("--bank-records-per-s", type=float, default=50_000.0)
    parser.add_argument("--bank-processes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--by-cpu",
        action="store_true",
        help="take the 1 → 2 scaling from the CPU per payee (2 × CPU₁ / CPU₂: what two "
        "workers give on cores of their own) rather than from the payees/s of a shared machine",
    )
    args = parser.parse_args()
    measured: dict[str, Any] = dict(MEASURED)
    if args.source is not None:
        bench = json.loads(args.source.read_text())
        run = bench["run"]
        by_phase = run["cpu_seconds_by_phase"]
        total = sum(by_phase.values())
        scaling = bench.get("scaling", {}).get("2", MEASURED["scaling_1_to_2"])
        runs = {str(r["workers"]): r for r in bench.get("runs", [])}
        if args.by_cpu and "1" in runs and "2" in runs:
            scaling = 2 * runs["1"]["cpu_seconds"] / runs["2"]["cpu_seconds"]
        measured = {
            "payees_per_cpu_s": run["payees_per_cpu_s"],
            "scaling_1_to_2": round(scaling, 3),
            "cpu_share": {k: v / total for k, v in by_phase.items()},
        }
    print(json.dumps({"benchmark": "capacity"} | model(measured, args), indent=2))


if __name__ == "__main__":
    main()
