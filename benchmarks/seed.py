"""Seeding synthetic residents: residents/s into SQLite and PostgreSQL.

Prints JSON:

    .venv/bin/python -m benchmarks.seed [--residents 1000000] [--skip-postgres]

For each database: the whole path of ``mynumber seed`` (synthetic people, codes and
numbers from J-LIS over its API, rows into the registry with its indexes), and as a
baseline from the same run, the same number of rows of the same width written by the
driver alone into a table without indexes (what the database can take at best).
Target: 1,000,000 residents in under 2 minutes on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Date, MetaData, String, Table

from benchmarks.machine import machine
from mynumber import federation
from mynumber.platform.db import bulk_insert, create_org_engine, drop_postgres_databases
from mynumber.platform.settings import Settings

POSTGRES = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def baseline(settings: Settings, count: int) -> float:
    """Rows/s for ``count`` registry-sized rows written straight by the driver, no indexes."""
    metadata = MetaData()
    table = Table(
        "baseline",
        metadata,
        *(Column(f"c{i}", String(40)) for i in range(16)),
        Column("d1", Date),
        Column("d2", Date),
    )
    engine = create_org_engine(settings, "baseline")
    metadata.create_all(engine)
    today = time.strftime("%Y-%m-%d")
    row = {f"c{i}": f"{secrets.token_hex(8)}東京都千代田区" for i in range(16)} | {
        "d1": today,
        "d2": today,
    }
    rows = [row] * 20_000
    start = time.perf_counter()
    for done in range(0, count, len(rows)):
        with engine.begin() as conn:
            bulk_insert(conn, table, rows[: count - done])
    seconds = time.perf_counter() - start
    engine.dispose()
    return count / seconds


def run(settings: Settings, count: int) -> dict[str, object]:
    fed = federation.build(settings, in_process=True)
    try:
        report = fed.seed(settings.municipalities[0], count)
    finally:
        fed.close()
    raw = baseline(settings, count)
    rate = report.residents / report.seconds
    return {
        "residents": report.residents,
        "seconds": round(report.seconds, 1),
        "residents_per_s": round(rate),
        "numbering_seconds": round(report.numbering_seconds, 1),
        "writing_seconds": round(report.writing_seconds, 1),
        "baseline_rows_per_s": round(raw),
        "ratio_to_baseline": round(rate / raw, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"benchmark": "seed", "machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = run(Settings(data_dir=Path(folder), seed_residents=0), args.residents)
    if not args.skip_postgres:
        prefix = f"bench_{secrets.token_hex(3)}"
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                data_dir=Path(folder),
                database_url=POSTGRES,
                database_prefix=prefix,
                seed_residents=0,
            )
            try:
                result["postgresql"] = run(settings, args.residents)
            finally:
                drop_postgres_databases(POSTGRES, prefix)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
