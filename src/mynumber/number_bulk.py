"""Validate files of My Numbers in bulk, vectorised with NumPy.

A file holds one number a line. Lines of exactly twelve ASCII characters (the common case)
are checked all at once; any other line goes through :func:`mynumber.number.validate`, so
the two paths give the same verdicts. Reports name line numbers and reasons, never the
numbers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mynumber.number import (
    LENGTH,
    RESIDENT_CODE_LENGTH,
    RESIDENT_WEIGHTS,
    WEIGHTS,
    InvalidNumber,
    validate,
    validate_resident_code,
)

__all__ = ["BadLine", "BulkReport", "check_bytes", "check_file", "validate_resident_codes"]

_CHUNK_LINES = 1 << 20
_WEIGHTS = np.array(WEIGHTS, dtype=np.int32)


@dataclass(frozen=True, slots=True)
class BadLine:
    """An invalid line: its 1-based number and why it failed (a code from InvalidNumber)."""

    line: int
    reason: str


@dataclass(slots=True)
class BulkReport:
    """How many lines were read and which were bad (the first ``limit`` of them are kept)."""

    total: int = 0
    invalid: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.total - self.invalid


def _verdicts(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.int8]:
    """Per row of 12 ASCII bytes: 0 valid, 1 not digits, 2 wrong check digit.

    Column by column in uint16 (a weighted sum is at most 9 × 47), which keeps every
    intermediate array narrow: several times faster than one matrix product in int32.
    """
    digits = rows - np.uint8(48)  # a non-digit wraps to a value above 9
    not_digits = (digits > 9).any(axis=1)
    total = np.zeros(rows.shape[0], dtype=np.uint16)
    for column, weight in enumerate(WEIGHTS):
        total += digits[:, column] * np.uint16(weight)
    remainder = total % 11
    expected = np.where(remainder <= 1, 0, 11 - remainder)
    verdict = np.where(expected != digits[:, LENGTH - 1], 2, 0)
    return np.where(not_digits, 1, verdict).astype(np.int8)


def _uniform_rows(buf: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """The 12-byte rows as a view when every line is 12 bytes and LF-terminated.

    Every 13th byte being a newline is not enough: ``"\\n\\n0000000000\\n"`` has one there
    too, yet holds three lines. So the file must hold no other newline either.
    """
    stride = LENGTH + 1
    if buf.size % stride or not (buf[LENGTH::stride] == 10).all():
        return None
    if np.count_nonzero(buf == 10) != buf.size // stride:
        return None
    return buf.reshape(-1, stride)[:, :LENGTH]


_REASONS = {1: "not_digits", 2: "check_digit"}


def check_bytes(data: bytes, *, limit: int = 1000) -> BulkReport:
    """Check every line of ``data``; keep at most ``limit`` bad lines in the report."""
    report = BulkReport()
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size == 0:
        return report
    uniform = _uniform_rows(buf)
    if uniform is not None:
        report.total = uniform.shape[0]
        _collect(report, _verdicts(uniform), np.arange(report.total), uniform, limit)
        return report
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [buf.size]))
    if starts[-1] == buf.size:  # a final newline opens no line
        starts, ends = starts[:-1], ends[:-1]
    carriage = ends > starts
    carriage[carriage] &= buf[ends[carriage] - 1] == 13
    ends = ends - carriage
    report.total = int(starts.size)

    lengths = ends - starts
    regular = np.flatnonzero(lengths == LENGTH)
    offsets = np.arange(LENGTH)
    for begin in range(0, regular.size, _CHUNK_LINES):
        lines = regular[begin : begin + _CHUNK_LINES]
        rows = buf[starts[lines][:, None] + offsets]
        _collect(report, _verdicts(rows), lines, rows, limit)
    for line in np.flatnonzero(lengths != LENGTH):
        reason = _scalar_reason(bytes(buf[starts[line] : ends[line]]))
        if reason is not None:
            report.invalid += 1
            report.bad_lines.append(BadLine(int(line) + 1, reason))
    report.bad_lines.sort(key=lambda bad: bad.line)
    del report.bad_lines[limit:]
    return report


def _scalar_reason(line: bytes) -> str | None:
    """Why :func:`mynumber.number.validate` refuses ``line`` (None when it accepts it)."""
    try:
        validate(line.decode("utf-8", errors="replace"))
    except InvalidNumber as exc:
        return exc.code
    return None


def _collect(
    report: BulkReport,
    verdicts: npt.NDArray[np.int8],
    lines: npt.NDArray[np.intp],
    rows: npt.NDArray[np.uint8],
    limit: int,
) -> None:
    """Count the failed rows; report the first ``limit`` with the scalar code's reason.

    A 12-byte row that is not all digits may still hold a separator or a multi-byte digit,
    which the scalar code strips or translates before it counts digits ("length", not
    "not_digits"), so those few rows are asked of the scalar code itself.
    """
    failed = np.flatnonzero(verdicts)
    report.invalid += int(failed.size)
    for i in failed[:limit]:
        verdict = int(verdicts[i])
        reason = _REASONS[verdict]
        if verdict == 1:
            reason = _scalar_reason(rows[i].tobytes()) or reason
        report.bad_lines.append(BadLine(int(lines[i]) + 1, reason))


def check_file(path: Path, *, limit: int = 1000) -> BulkReport:
    """Check a file of one number a line (see :func:`check_bytes`)."""
    return check_bytes(path.read_bytes(), limit=limit)


def validate_resident_codes(codes: list[str]) -> list[str]:
    """Validate many resident record codes at once; raise for the first bad one.

    The error names the position of the bad code in the list, never the code itself.
    """
    length = RESIDENT_CODE_LENGTH
    joined = "".join(codes)
    if len(joined) == len(codes) * length and joined.isascii():
        rows = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, length)
        digits = rows - np.uint8(48)
        total = np.zeros(rows.shape[0], dtype=np.uint16)
        for column, weight in enumerate(RESIDENT_WEIGHTS):
            total += digits[:, column] * np.uint16(weight)
        remainder = total % 11
        expected = np.where(remainder <= 1, 0, 11 - remainder)
        bad = np.flatnonzero((digits > 9).any(axis=1) | (expected != digits[:, length - 1]))
        if bad.size == 0:
            return codes
        first = int(bad[0])
    else:
        first = next(i for i, c in enumerate(codes) if len(c) != length or not c.isascii())
    try:
        validate_resident_code(codes[first])
    except InvalidNumber as exc:
        raise InvalidNumber(
            f"resident code #{first + 1}: {exc.message}", field="resident_codes", code=exc.code
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover
