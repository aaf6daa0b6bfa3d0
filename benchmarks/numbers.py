"""My Number validation: one at a time vs python-stdnum, and files in bulk.

Prints JSON:

    .venv/bin/python -m benchmarks.numbers [--bulk 10000000] [--seconds 2]

- ``is_valid_per_s`` and ``stdnum_is_valid_per_s``: the same numbers, the same run;
- ``bulk_numbers_per_s``: ``mynumber number check --file``'s engine on a file of valid
  numbers (reading the file included), target ≥ 10 million/s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from stdnum.jp import in_ as stdnum_in

from benchmarks.machine import machine
from mynumber import number
from mynumber.number_bulk import check_file


def per_second(numbers: list[str], check: object, seconds: float) -> float:
    assert callable(check)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for value in numbers:
            check(value)
        done += len(numbers)
    return done / (time.perf_counter() - start)


def valid_numbers_file(path: Path, count: int) -> None:
    """Write ``count`` valid numbers (vectorised, so making the file is quick)."""
    rng = np.random.default_rng(1)
    bases = rng.integers(0, 10**11, size=count, dtype=np.int64)
    digits = np.stack([(bases // 10**k) % 10 for k in range(10, -1, -1)], axis=1)
    remainder = digits @ np.array(number.WEIGHTS) % 11
    check = np.where(remainder <= 1, 0, 11 - remainder)
    rows = np.concatenate([digits, check[:, None]], axis=1).astype(np.uint8) + 48
    lines = np.concatenate([rows, np.full((count, 1), 10, np.uint8)], axis=1)
    path.write_bytes(lines.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=10_000_000, help="numbers in the bulk file")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per scalar measure")
    args = parser.parse_args()

    sample = list(number.generate(count=10_000))
    ours = per_second(sample, number.is_valid, args.seconds)
    theirs = per_second(sample, stdnum_in.is_valid, args.seconds)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.txt"
        valid_numbers_file(path, args.bulk)
        start = time.perf_counter()
        report = check_file(path)
        bulk_seconds = time.perf_counter() - start
    assert report.invalid == 0 and report.total == args.bulk
    print(
        json.dumps(
            {
                "benchmark": "numbers",
                "machine": machine(),
                "is_valid_per_s": round(ours),
                "stdnum_is_valid_per_s": round(theirs),
                "ratio_vs_stdnum": round(ours / theirs, 2),
                "bulk_numbers": args.bulk,
                "bulk_seconds": round(bulk_seconds, 3),
                "bulk_numbers_per_s": round(args.bulk / bulk_seconds),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
