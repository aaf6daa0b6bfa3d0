"""What every benchmark prints about the machine it ran on, with a CPU baseline measured in
the same run: the same code's figures from two days on a shared machine can differ by half
when the host under it differs, and the baseline says by how much."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        return None
    return None


def cpu_baseline() -> dict[str, float]:
    """Seconds of CPU for two fixed pieces of work: a pure-Python loop (10^7 additions) and
    100,000 rows inserted into an indexed in-memory SQLite table (the kind of work most
    benchmarks here do). Divide a benchmark's CPU-seconds by these to compare two runs."""
    started = time.process_time()
    total = 0
    for n in range(10_000_000):
        total += n
    loop = time.process_time() - started
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT UNIQUE, n INTEGER)")
    rows = [(f"{n:016x}", f"{(n * 2_654_435_761) % 2**32:032x}", n) for n in range(100_000)]
    started = time.process_time()
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    db.commit()
    inserts = time.process_time() - started
    db.close()
    return {"python_loop_s": round(loop, 3), "sqlite_100k_inserts_s": round(inserts, 3)}


def machine() -> dict[str, object]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "cpu_baseline": cpu_baseline(),
    }
