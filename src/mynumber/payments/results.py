"""Transfer results: what the banks answered for each transfer of a file.

The paying bank (仕向銀行) assembles them: its own verdict for the records addressed to it,
the receiving banks' (被仕向銀行) for the ones the Zengin network carried to them.

Real result (不能/振込結果) formats differ from bank to bank and none is in our sources; this is
**this sandbox's own** format, modelled on the 総合振込 file (mynumber.payments.zengin):

- the same header, trailer and end records, the trailer summing every transfer answered;
- a result record per transfer: the data record (データ区分 2) unchanged, except that
  position 114 (0-based offset 113, the first byte of the data record's dummy area) holds
  a one-character :class:`ResultCode`; positions 115–120 stay spaces.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from mynumber.payments.zengin import (
    End,
    Header,
    RecordKind,
    Trailer,
    Transfer,
    ZenginError,
    _check_trailer,
    _join,
    _kinds,
    _Reader,
    split_records,
)

__all__ = [
    "RESULT_OFFSET",
    "ResultCode",
    "ResultFile",
    "TransferResult",
    "read_results",
    "write_results",
]

RESULT_OFFSET = 113  # 0-based; position 114 of the 120-byte record


class ResultCode(enum.Enum):
    """The outcome of one transfer (sandbox codes, not a Zengin standard)."""

    CREDITED = "0"  # 入金済み
    NO_SUCH_ACCOUNT = "1"  # 口座なし
    ACCOUNT_CLOSED = "2"  # 解約済み
    NAME_MISMATCH = "3"  # 受取人名相違
    #: 被仕向銀行に接続できない: the receiving bank is not on the Zengin network, or it refused
    #: the connection (nothing was credited there)
    BANK_NOT_CONNECTED = "4"
    OTHER = "9"  # その他: e.g. the receiving bank refused the forwarded records


@dataclass(frozen=True, slots=True)
class TransferResult:
    """A transfer as the receiving bank answered it."""

    transfer: Transfer
    code: ResultCode

    def __post_init__(self) -> None:
        if not isinstance(self.transfer, Transfer):
            raise ZenginError("must be a Transfer", field="transfer")
        if not isinstance(self.code, ResultCode):
            raise ZenginError("must be a ResultCode", field="result_code")

    @property
    def credited(self) -> bool:
        return self.code is ResultCode.CREDITED

    def to_record(self) -> bytes:
        record = self.transfer.to_record()
        return record[:RESULT_OFFSET] + self.code.value.encode() + record[RESULT_OFFSET + 1 :]

    @classmethod
    def parse_record(cls, record: bytes, *, number: int | None = None) -> TransferResult:
        r = _Reader(record, number, RecordKind.DATA)
        code = r.choice(RESULT_OFFSET, ResultCode, "result_code")
        r.blank(RESULT_OFFSET + 1, 120)
        as_sent = record[:RESULT_OFFSET] + b" " + record[RESULT_OFFSET + 1 :]
        return cls(transfer=Transfer.parse_record(as_sent, number=number), code=code)


@dataclass(frozen=True, slots=True)
class ResultFile:
    """A whole results file: the original header, one result per transfer, the trailer."""

    header: Header
    results: tuple[TransferResult, ...]
    trailer: Trailer


def write_results(header: Header, results: Iterable[TransferResult], *, crlf: bool = True) -> bytes:
    """Header, result records, trailer (count and total of all answered transfers), end."""
    results = list(results)
    trailer = Trailer.of(r.transfer.amount for r in results)
    records = [header.to_record(), *(r.to_record() for r in results)]
    return _join([*records, trailer.to_record(), End().to_record()], crlf)


def read_results(data: bytes, *, reference: date | None = None) -> ResultFile:
    """Parse and check a results file, as :func:`~mynumber.payments.zengin.read_file` does."""
    records = split_records(data)
    _kinds(records)
    header = Header.parse_record(records[0], reference=reference, number=1)
    results = tuple(
        TransferResult.parse_record(record, number=n)
        for n, record in enumerate(records[1:-2], start=2)
    )
    trailer = _check_trailer(records, [r.transfer.amount for r in results])
    End.parse_record(records[-1], number=len(records))
    return ResultFile(header=header, results=results, trailer=trailer)
