"""Every parser against its serialiser (Hypothesis round trips)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from mynumber_test_paykit import headers, results, small_transfers, transfers

from mynumber.payments import (
    RECORD_LENGTH,
    End,
    Header,
    Trailer,
    Transfer,
    TransferResult,
    read_file,
    read_results,
    write_file,
    write_results,
)


@given(headers)
def test_header_round_trips(header: Header) -> None:
    record = header.to_record()
    assert len(record) == RECORD_LENGTH
    assert Header.parse_record(record, reference=header.transfer_date) == header


@given(headers, st.integers(-150, 150))
def test_header_date_round_trips_from_a_reference_within_five_months(
    header: Header, days: int
) -> None:
    reference = date.fromordinal(header.transfer_date.toordinal() + days)
    parsed = Header.parse_record(header.to_record(), reference=reference)
    assert parsed.transfer_date == header.transfer_date


@given(transfers())
def test_transfer_round_trips(transfer: Transfer) -> None:
    record = transfer.to_record()
    assert len(record) == RECORD_LENGTH
    parsed = Transfer.parse_record(record)
    assert parsed == transfer
    assert parsed.to_record() == record


@given(transfers(), st.integers(1, 10**10 - 1))
def test_with_amount_equals_building_afresh(transfer: Transfer, amount: int) -> None:
    changed = transfer.with_amount(amount)
    assert changed.to_record() == Transfer.parse_record(changed.to_record()).to_record()
    assert Transfer.parse_record(changed.to_record()) == changed


@given(st.integers(0, 10**6 - 1), st.integers(0, 10**12 - 1))
def test_trailer_round_trips(count: int, total: int) -> None:
    trailer = Trailer(count=count, total=total)
    record = trailer.to_record()
    assert len(record) == RECORD_LENGTH
    assert Trailer.parse_record(record) == trailer


def test_end_round_trips() -> None:
    assert End.parse_record(End().to_record()) == End()


@given(results)
def test_result_round_trips(result: TransferResult) -> None:
    record = result.to_record()
    assert len(record) == RECORD_LENGTH
    assert TransferResult.parse_record(record) == result


@settings(max_examples=50)
@given(headers, small_transfers, st.booleans())
def test_whole_files_round_trip(header: Header, batch: list[Transfer], crlf: bool) -> None:
    data = write_file(header, batch, crlf=crlf)
    assert len(data) == (len(batch) + 3) * (122 if crlf else 120)
    parsed = read_file(data, reference=header.transfer_date)
    assert parsed.header == header
    assert parsed.transfers == tuple(batch)
    assert parsed.trailer == Trailer(count=len(batch), total=sum(t.amount for t in batch))
    assert write_file(parsed.header, parsed.transfers, crlf=crlf) == data


@settings(max_examples=50)
@given(headers, st.lists(results, max_size=6), st.booleans())
def test_whole_results_files_round_trip(
    header: Header, answered: list[TransferResult], crlf: bool
) -> None:
    answered = [r for r in answered if r.transfer.amount < 10**10 // 8]
    data = write_results(header, answered, crlf=crlf)
    parsed = read_results(data, reference=header.transfer_date)
    assert (parsed.header, parsed.results) == (header, tuple(answered))
    assert write_results(parsed.header, parsed.results, crlf=crlf) == data


@given(transfers())
def test_unpadded_values_build_the_same_transfer(transfer: Transfer) -> None:
    # the field-by-field path (normalising) must agree with the fast path
    loose = Transfer(
        bank_code=transfer.bank_code,
        bank_name=transfer.bank_name + " ",
        branch_code=transfer.branch_code,
        branch_name=transfer.branch_name,
        clearing_house=transfer.clearing_house.lstrip("0") or "0",
        deposit_type=transfer.deposit_type,
        account_number=transfer.account_number.lstrip("0") or "0",
        payee_name=transfer.payee_name + "  ",
        amount=transfer.amount,
        new_code=transfer.new_code,
        customer_code1=transfer.customer_code1.lstrip("0") or "0",
        customer_code2=transfer.customer_code2,
        edi_info=None if transfer.edi_info is None else transfer.edi_info + " ",
        transfer_kind=transfer.transfer_kind,
    )
    assert loose == transfer
    assert loose.to_record() == transfer.to_record()
