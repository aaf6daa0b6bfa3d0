"""Zengin 総合振込 formatting: records per second, and a whole file against the disk.

Prints JSON:

    .venv/bin/python -m benchmarks.zengin [--transfers 999999] [--read 100000]

- ``transfers_built_per_s``: ``Transfer(**fields)`` from prepared field values (validation
  and the per-payee fixed part of the record, computed once);
- ``with_amount_per_s``: reusing a payee's fixed part with a new amount;
- ``records_formatted_per_s``: ``Transfer.to_record()`` (the fixed part plus the amount);
- ``write_file_bytes_per_s``: ``write_file`` of one file with ``--transfers`` records;
- ``disk_write_bytes_per_s``: the same number of bytes written to a file in the same run
  with one ``write`` and an ``fsync`` (the I/O limit), and ``ratio_vs_disk``;
- ``read_file_records_per_s``: ``read_file`` (every field checked) on ``--read`` records.

One file holds at most 999,999 transfers (the trailer's 合計件数 is 6 digits), so the default
is that, not a round million.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.machine import machine
from mynumber.payments import (
    MAX_COUNT,
    DepositType,
    Header,
    Transfer,
    branch,
    read_file,
    to_zengin_kana,
    write_file,
)

SURNAMES = [
    "ヤマダ",
    "タナカ",
    "スズキ",
    "サトウ",
    "タカハシ",
    "イトウ",
    "ワタナベ",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
]
GIVEN = [
    "タロウ",
    "ハナコ",
    "ショウタ",
    "ユイ",
    "ケンジ",
    "ミサキ",
    "リョウ",
    "サクラ",
    "ダイスケ",
    "ヒナ",
]
BRANCHES = [("0001", "001"), ("0005", "001"), ("0009", "001"), ("0010", "100"), ("9900", "019")]


def payee_fields(count: int) -> list[dict[str, object]]:
    """Field values of ``count`` synthetic payees at a few real branches (not timed)."""
    rng = random.Random(1)
    names = [to_zengin_kana(f"{s}　{g}", field="payee_name") for s in SURNAMES for g in GIVEN]
    places = [branch(b, c) for b, c in BRANCHES]
    banks = [(p.bank.code, p.bank.kana[:15], p.code, p.kana[:15]) for p in places]
    out: list[dict[str, object]] = []
    for i in range(count):
        bank_code, bank_name, branch_code, branch_name = banks[i % len(banks)]
        out.append(
            {
                "bank_code": bank_code,
                "bank_name": bank_name,
                "branch_code": branch_code,
                "branch_name": branch_name,
                "deposit_type": DepositType.ORDINARY,
                "account_number": f"{rng.randrange(10**7):07d}",
                "payee_name": names[i % len(names)],
                "amount": rng.randrange(1, 200_001),
                "customer_code1": f"{i:010d}",
            }
        )
    return out


def timed(action: object) -> tuple[object, float]:
    assert callable(action)
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=MAX_COUNT, help="records in the file")
    parser.add_argument("--read", type=int, default=100_000, help="records read back")
    args = parser.parse_args()

    header = Header(
        requester_code="1",
        requester_name=to_zengin_kana("ナイカクフ", field="requester_name"),
        transfer_date=date(2020, 5, 1),
        bank_code="0001",
        bank_name="ﾐｽﾞﾎ",
        branch_code="001",
        branch_name="ﾄｳｷﾖｳ",
        deposit_type=DepositType.CURRENT,
        account_number="1",
    )
    fields = payee_fields(args.transfers)
    transfers, build_s = timed(lambda: [Transfer(**f) for f in fields])  # type: ignore[arg-type]
    fields.clear()  # free the prepared values
    assert isinstance(transfers, list)
    sample = transfers[: min(len(transfers), 200_000)]
    _, with_amount_s = timed(lambda: [t.with_amount(50_000) for t in sample])
    _, format_s = timed(lambda: [t.to_record() for t in transfers])
    data, write_s = timed(lambda: write_file(header, transfers))
    assert isinstance(data, bytes)
    assert len(data) == (args.transfers + 3) * 122

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zengin.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            start = time.perf_counter()
            written = os.write(fd, data)
            cached_s = time.perf_counter() - start
            os.fsync(fd)
            disk_s = time.perf_counter() - start
        finally:
            os.close(fd)
        assert written == len(data)

    small = write_file(header, transfers[: args.read])
    parsed, read_s = timed(lambda: read_file(small, reference=date(2020, 5, 1)))
    assert len(parsed.transfers) == min(args.read, args.transfers)  # type: ignore[attr-defined]

    write_rate = len(data) / write_s
    disk_rate = len(data) / disk_s
    print(
        json.dumps(
            {
                "benchmark": "zengin",
                "machine": machine(),
                "transfers": args.transfers,
                "file_bytes": len(data),
                "transfers_built_per_s": round(args.transfers / build_s),
                "with_amount_per_s": round(len(sample) / with_amount_s),
                "records_formatted_per_s": round(args.transfers / format_s),
                "write_file_seconds": round(write_s, 3),
                "write_file_bytes_per_s": round(write_rate),
                "disk_write_bytes_per_s": round(disk_rate),
                "page_cache_write_bytes_per_s": round(len(data) / cached_s),
                "ratio_vs_disk": round(write_rate / disk_rate, 3),
                "read_file_records_per_s": round(args.read / read_s),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
