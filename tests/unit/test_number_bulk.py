"""Bulk validation with NumPy gives the scalar code's verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mynumber import number
from mynumber.number_bulk import check_bytes, check_file, validate_resident_codes


def test_a_clean_file_is_all_valid(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text("".join(f"{n}\n" for n in number.generate(count=5000)))
    report = check_file(path)
    assert (report.total, report.valid, report.invalid) == (5000, 5000, 0)


def test_bad_lines_are_reported_by_line_and_reason() -> None:
    data = b"621498320257\n621498320258\nabc\n 6214 9832 0257\n\n12345678901a\r\n983205673214"
    report = check_bytes(data)
    assert report.total == 7
    assert report.invalid == 4
    assert [(b.line, b.reason) for b in report.bad_lines] == [
        (2, "check_digit"),
        (3, "length"),
        (5, "length"),
        (6, "not_digits"),
    ]


def test_crlf_files_are_read_like_lf_files() -> None:
    numbers = list(number.generate(count=100))
    assert check_bytes("\r\n".join(numbers).encode()).invalid == 0


def test_the_report_keeps_at_most_limit_bad_lines() -> None:
    report = check_bytes(b"621498320258\n" * 50, limit=10)
    assert report.invalid == 50
    assert len(report.bad_lines) == 10


lines = st.one_of(
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.text(alphabet="0123456789 -x", max_size=14),
)


def _scalar_reason(value: str) -> str | None:
    try:
        number.validate(value)
    except number.InvalidNumber as exc:
        return exc.code
    return None


@settings(max_examples=200)
@given(st.lists(lines, max_size=40))
# Thirteen bytes with a newline as the 13th, yet three lines: once read as one 12-byte row.
@example(values=["", "", "0000000000", ""])
# Twelve bytes that are not all digits, but that the scalar code refuses for their length.
@example(values=["6214 9832 02", "62149832025-"])
def test_bulk_agrees_with_the_scalar_validator(values: list[str]) -> None:
    values = [v for v in values if "\n" not in v and "\r" not in v]
    report = check_bytes("\n".join(values).encode())
    expected = [(i + 1, _scalar_reason(v)) for i, v in enumerate(values)]
    expected = [(line, reason) for line, reason in expected if reason is not None]
    if values and values[-1] == "":
        expected = expected[:-1]  # a final newline opens no line
    assert [(b.line, b.reason) for b in report.bad_lines] == expected
    assert report.invalid == len(expected)


def test_blank_lines_before_a_short_line_are_each_reported() -> None:
    report = check_bytes(b"\n\n0000000000\n")
    assert report.total == 3
    assert [(b.line, b.reason) for b in report.bad_lines] == [
        (1, "length"),
        (2, "length"),
        (3, "length"),
    ]


def test_resident_codes_in_bulk() -> None:
    codes = [number.random_resident_code() for _ in range(1000)]
    assert validate_resident_codes(codes) == codes
    codes[500] = codes[500][:-1] + str((int(codes[500][-1]) + 1) % 10)
    with pytest.raises(number.InvalidNumber) as caught:
        validate_resident_codes(codes)
    assert "#501" in caught.value.message
    assert codes[500] not in caught.value.message
