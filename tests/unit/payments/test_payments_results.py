"""The sandbox's transfer-results file: the data record plus a code at position 114."""

from __future__ import annotations

from datetime import date

import pytest
from mynumber_test_paykit import sample_header, sample_transfer

from mynumber.payments import (
    RESULT_OFFSET,
    ResultCode,
    Trailer,
    TransferResult,
    ZenginError,
    read_results,
    write_results,
)


def test_result_codes_are_the_documented_digits() -> None:
    assert {c.name: c.value for c in ResultCode} == {
        "CREDITED": "0",
        "NO_SUCH_ACCOUNT": "1",
        "ACCOUNT_CLOSED": "2",
        "NAME_MISMATCH": "3",
        "BANK_NOT_CONNECTED": "4",
        "OTHER": "9",
    }


def test_a_result_record_is_the_data_record_with_the_code_at_position_114() -> None:
    transfer = sample_transfer()
    record = TransferResult(transfer, ResultCode.ACCOUNT_CLOSED).to_record()
    assert len(record) == 120
    assert RESULT_OFFSET == 113
    assert record[113:114] == b"2"
    assert record[:113] == transfer.to_record()[:113]
    assert record[114:] == b" " * 6
    parsed = TransferResult.parse_record(record)
    assert parsed.transfer == transfer
    assert parsed.code is ResultCode.ACCOUNT_CLOSED
    assert not parsed.credited
    assert TransferResult(transfer, ResultCode.CREDITED).credited


@pytest.mark.parametrize(
    ("code", "field"), [(b" ", "result_code"), (b"5", "result_code"), (b"A", "result_code")]
)
def test_a_missing_or_unknown_result_code_is_refused(code: bytes, field: str) -> None:
    record = sample_transfer().to_record()
    bad = record[:113] + code + record[114:]
    with pytest.raises(ZenginError) as caught:
        TransferResult.parse_record(bad, number=3)
    assert (caught.value.field, caught.value.record) == (field, 3)


def test_a_data_record_with_a_result_code_is_not_a_transfer() -> None:
    from mynumber.payments import Transfer

    record = TransferResult(sample_transfer(), ResultCode.OTHER).to_record()
    with pytest.raises(ZenginError) as caught:
        Transfer.parse_record(record)
    assert caught.value.field == "dummy"


def test_a_results_file_round_trips_and_its_trailer_is_checked() -> None:
    answered = [
        TransferResult(sample_transfer(), ResultCode.CREDITED),
        TransferResult(sample_transfer(amount=5), ResultCode.NAME_MISMATCH),
    ]
    data = write_results(sample_header(), answered)
    parsed = read_results(data, reference=date(2020, 5, 1))
    assert parsed.results == tuple(answered)
    assert parsed.trailer == Trailer(count=2, total=100_005)
    lines = data.split(b"\r\n")
    lines[3] = Trailer(count=2, total=100_000).to_record()
    with pytest.raises(ZenginError) as caught:
        read_results(b"\r\n".join(lines), reference=date(2020, 5, 1))
    assert (caught.value.field, caught.value.record) == ("total", 4)


def test_a_transfer_result_checks_its_parts() -> None:
    with pytest.raises(ZenginError):
        TransferResult(sample_transfer(), "0")  # type: ignore[arg-type]
    with pytest.raises(ZenginError):
        TransferResult("transfer", ResultCode.CREDITED)  # type: ignore[arg-type]
