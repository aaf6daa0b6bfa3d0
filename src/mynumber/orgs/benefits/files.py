"""Zengin 総合振込 files of a run round, written atomically and deterministically.

The payer (依頼人) hands ONE 総合振込 file per round to its own bank (仕向銀行, the bank of the
programme's payer account); the paying bank credits the records addressed to itself and
the Zengin network (全銀システム) carries every other record to its receiving bank
(被仕向銀行). So a round makes one file per paying bank — a programme has one payer account,
hence one paying bank — with its records ordered by receiving bank, branch and account.
A file holds at most 999,999 records (the trailer's 合計件数 is six digits); more make
further parts. The bytes depend only on the instructions, the programme's payer account
and the round's transfer date, so a rerun after a crash writes the same file, and the
paying bank's ``Idempotency-Key`` (the file id) makes a resubmission harmless.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from mynumber.payments import (
    MAX_COUNT,
    DepositType,
    Header,
    branch,
    transfer_records,
    write_records,
)


class Line(NamedTuple):
    """One instruction as a file record needs it (a tuple: a part holds up to 999,999)."""

    instruction_id: str
    bank_code: str
    branch_code: str
    deposit_type: str
    account_number: str
    name: str
    amount: int


@dataclass(frozen=True, slots=True)
class Planned:
    """A file to write: its id (the paying bank's Idempotency-Key), the paying bank (仕向銀行)
    it is handed to, its part and its lines in order."""

    id: str
    bank_code: str
    part: int
    lines: tuple[Line, ...]


def file_id(programme_id: str, round_number: int, bank_code: str, part: int) -> str:
    return f"{programme_id}-r{round_number:03d}-{bank_code}-{part:02d}"


#: Where a record stands in the round's file: receiving bank, branch, deposit type,
#: account, instruction (the run reads its parts from the database in this order).
order: Callable[[Line], tuple[str, ...]] = itemgetter(1, 2, 3, 4, 0)


def part(
    programme_id: str, round_number: int, number: int, lines: Iterable[Line], *, paying_bank: str
) -> Planned:
    """Part ``number`` of the round's file for the paying bank, its records in
    :func:`order` (at most :data:`MAX_COUNT` of them)."""
    listed = list(lines)
    if len(listed) > MAX_COUNT:
        raise ValueError(f"a 総合振込 file holds at most {MAX_COUNT} records")
    ordered = tuple(sorted(listed, key=order))
    return Planned(
        file_id(programme_id, round_number, paying_bank, number), paying_bank, number, ordered
    )


def header(
    *,
    payer_code: str,
    payer_name: str,
    bank_code: str,
    branch_code: str,
    deposit_type: str,
    account_number: str,
    transfer_date: date,
) -> Header:
    """The 依頼人 header: the office's own account at its bank."""
    at = branch(bank_code, branch_code)
    return Header(
        requester_code=payer_code,
        requester_name=payer_name,
        transfer_date=transfer_date,
        bank_code=bank_code,
        bank_name=at.bank.kana[:15],
        branch_code=branch_code,
        branch_name=at.kana[:15],
        deposit_type=DepositType(deposit_type),
        account_number=account_number,
    )


def render(head: Header, planned: Planned) -> bytes:
    """The file's bytes: header, data records, trailer (count and total), end; cp932. The
    records are made branch by branch (:func:`~mynumber.payments.transfer_records`): the
    lines are in :func:`order`, so each branch's accounts come together."""
    records: list[bytes] = []
    for (bank_code, branch_code), lines in groupby(planned.lines, key=itemgetter(1, 2)):
        accounts = [(x.deposit_type, x.account_number, x.name, x.amount) for x in lines]
        records += transfer_records(branch(bank_code, branch_code), accounts)
    return write_records(head, records, [x.amount for x in planned.lines])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file, fsync, rename over ``path``, fsync the folder: a reader sees the old
    file or the whole new one, even if the process is killed half-way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
