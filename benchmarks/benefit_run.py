"""A push-type benefit run end to end: people paid per second, and the time of each phase.

Prints JSON:

    .venv/bin/python -m benchmarks.benefit_run [--residents 20000] [--postgres URL]

Seeds ``--residents`` synthetic residents in each demo municipality, opens bank accounts and
registers public-fund accounts for a share of them (as ``mynumber run`` does), creates a
programme for everyone, and runs it in-process: eligibility pages, enrolment, payees,
accounts through the hub in bulk, Zengin files, transfers (the paying bank credits its own
records and routes the others to the receiving banks over the modelled Zengin network),
notices.

- ``seconds`` in all, ``phase_seconds`` from each phase's first progress report to the
  next's; ``eligible_per_s`` over the whole run;
- ``credited``: transfers the banks credited; ``files``: one per paying bank (per part);
- ``rerun_seconds``: a second run, which finds nothing new to do.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

from benchmarks.machine import machine
from mynumber.platform import federation
from mynumber.platform.db import drop_postgres_databases
from mynumber.platform.settings import Settings


def phase_seconds(began: dict[str, float], end: float) -> dict[str, float]:
    """From each phase's first report to the next phase's (the last: to the end)."""
    order = sorted(began, key=began.__getitem__)
    ends = [began[p] for p in order[1:]] + [end]
    return {p: round(e - began[p], 3) for p, e in zip(order, ends, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=20_000, help="per municipality")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        values: dict[str, object] = {"data_dir": Path(folder), "seed_residents": 0}
        if args.postgres:
            values |= {
                "database_url": args.postgres,
                "database_prefix": f"mnb_{secrets.token_hex(4)}",
            }
        settings = Settings(**values)  # type: ignore[arg-type]
        fed = federation.build(settings, in_process=True)
        try:
            for code in settings.municipalities:
                fed.seed(code, args.residents)
            registered = fed.seed_accounts(per_municipality=args.residents)
            office = fed.apps["benefits"].state
            programme = office.programmes.create(
                name="benchmark",
                amount=100_000,
                per="person",
                municipalities=list(settings.municipalities),
            )
            began: dict[str, float] = {}  # each phase's first progress report

            def progress(phase: str, done: int, total: int | None) -> None:
                began.setdefault(phase, time.perf_counter())

            start = time.perf_counter()
            office.runner.run(programme["id"], progress)
            end = time.perf_counter()
            total = end - start
            again = time.perf_counter()
            office.runner.run(programme["id"])
            rerun = time.perf_counter() - again
            report = office.programmes.status(programme["id"])
        finally:
            fed.close()
            if settings.database_url:
                drop_postgres_databases(settings.database_url, settings.database_prefix)
    eligible = report["eligible"]
    print(
        json.dumps(
            {
                "benchmark": "benefit_run",
                "machine": machine(),
                "database": "postgresql" if args.postgres else "sqlite",
                "eligible": eligible,
                "registered_accounts": registered,
                "credited": report["payees"]["credited"]["count"],
                "files": len(report["files"]),
                "seconds": round(total, 3),
                "phase_seconds": phase_seconds(began, end),
                "eligible_per_s": round(eligible / total),
                "rerun_seconds": round(rerun, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
