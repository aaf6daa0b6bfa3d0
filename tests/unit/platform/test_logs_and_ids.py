"""Logs never carry a My Number; record ids sort by time."""

from __future__ import annotations

import io
import json
import logging

import pytest

from mynumber.platform import logs
from mynumber.platform.ids import PER_MILLISECOND, new_id, new_ids


def test_twelve_digit_runs_are_redacted_however_written() -> None:
    for written in ("621498320257", "6214 9832 0257", "6214-9832-0257"):
        assert logs.redact(f"number {written} seen") == "number [redacted] seen"
    assert logs.redact("order 12345 of 2026") == "order 12345 of 2026"
    assert logs.redact("1234567890123") == "1234567890123"  # thirteen digits: not a My Number


def test_the_configured_logger_writes_json_without_numbers(log_stream: io.StringIO) -> None:
    stream = log_stream
    logging.getLogger("mynumber.test").info("designated %s for %s", "621498320257", "someone")
    line = json.loads(stream.getvalue())
    assert line["message"] == "designated [redacted] for someone"
    assert line["level"] == "INFO"


def test_ids_are_unique_and_sort_by_creation() -> None:
    made = [new_id() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    assert all(len(i) == 16 for i in made)
    assert made[0][:11] <= made[-1][:11]


def test_ids_made_in_batches_are_unique_with_single_ones_and_sort_by_creation() -> None:
    made = [new_id(), *new_ids(100_000), new_id(), *new_ids(3), *new_ids(0)]
    assert len(made) == 100_005 and len(set(made)) == len(made)
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in made)
    assert made[0][:11] <= made[1][:11] <= made[-1][:11]
    with pytest.raises(ValueError):
        new_ids(PER_MILLISECOND)
