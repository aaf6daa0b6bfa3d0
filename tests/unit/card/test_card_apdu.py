"""APDU parse/build: round trips (Hypothesis) and malformed lengths."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mynumber.card import SW, ApduError, Command, Response

byte = st.integers(0, 255)
commands = st.builds(
    Command,
    cla=byte,
    ins=byte,
    p1=byte,
    p2=byte,
    data=st.binary(max_size=255),
    le=st.none() | st.integers(1, 256),
)


@given(commands)
def test_command_round_trips_through_bytes(cmd: Command) -> None:
    assert Command.from_bytes(cmd.to_bytes()) == cmd


@given(st.binary(min_size=4, max_size=300))
def test_any_bytes_either_parse_to_a_command_that_rebuilds_them_or_are_wrong_length(
    raw: bytes,
) -> None:
    try:
        cmd = Command.from_bytes(raw)
    except ApduError as exc:
        assert exc.status_word == SW.WRONG_LENGTH
    else:
        assert cmd.to_bytes() == raw


@given(st.integers(0, 0xFFFF), st.binary(max_size=300))
def test_response_round_trips_through_bytes(sw: int, data: bytes) -> None:
    resp = Response(sw, data)
    assert Response.from_bytes(resp.to_bytes()) == resp


@pytest.mark.parametrize(
    ("hexstr", "case", "nc", "ne"),
    [
        ("00A40000", 1, 0, None),
        ("00B0000004", 2, 0, 4),
        ("00B0000000", 2, 0, 256),
        ("00A4020C020017", 3, 2, None),
        ("802A0080020102" + "00", 4, 2, 256),
    ],
)
def test_the_four_short_cases_parse(hexstr: str, case: int, nc: int, ne: int | None) -> None:
    cmd = Command.from_bytes(bytes.fromhex(hexstr))
    assert (cmd.case, len(cmd.data), cmd.le, cmd.extended) == (case, nc, ne, False)
    assert cmd.to_bytes() == bytes.fromhex(hexstr)


@pytest.mark.parametrize(
    ("hexstr", "case", "nc", "ne"),
    [
        ("00B08A00000000", 2, 0, 65536),  # jsapdu readEfBinaryFull(0x0A)
        ("00B00000000100", 2, 0, 256),
        ("00B0000000FFFF", 2, 0, 65535),
        ("00A4040C000002D392", 3, 2, None),
        ("00D60000000100" + "AB" * 256, 3, 256, None),
        ("802A0080" + "000002" + "0102" + "0000", 4, 2, 65536),
        ("802A0080" + "000002" + "0102" + "0100", 4, 2, 256),
    ],
)
def test_the_extended_cases_parse(hexstr: str, case: int, nc: int, ne: int | None) -> None:
    raw = bytes.fromhex(hexstr)
    cmd = Command.from_bytes(raw)
    assert (cmd.case, len(cmd.data), cmd.le, cmd.extended) == (case, nc, ne, True)
    assert cmd.to_bytes() == raw


@given(
    st.binary(min_size=0, max_size=700),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_extended_commands_round_trip_through_bytes(data: bytes, le: int | None) -> None:
    assume(data or le is not None)  # case 1 has no length field to be extended
    cmd = Command(0x00, 0xB0, 0x81, 0x00, data, le, extended=True)
    assert Command.from_bytes(cmd.to_bytes()) == cmd


@pytest.mark.parametrize(
    "hexstr",
    [
        "00A400",  # shorter than a header
        "00B000000001",  # extended Le cut short (00 01)
        "00A4040C00000002D392",  # extended Lc of zero
        "00A4040C000005D392",  # extended Lc says 5, 2 bytes follow
        "00A4040C000002D39200",  # extended case 4E with a one-byte Le
        "00A4040C05D392",  # Lc says 5, 2 bytes follow
        "00A4040C02D392F0F0F0",  # Lc says 2, 4 bytes follow
    ],
)
def test_malformed_length_is_wrong_length(hexstr: str) -> None:
    with pytest.raises(ApduError) as exc:
        Command.from_bytes(bytes.fromhex(hexstr))
    assert exc.value.status_word == SW.WRONG_LENGTH


def test_building_rejects_out_of_range_fields() -> None:
    with pytest.raises(ApduError):
        Command(0x100, 0, 0, 0)
    with pytest.raises(ApduError):
        Command(0, 0, 0, 0, b"x" * 256)
    with pytest.raises(ApduError):
        Command(0, 0, 0, 0, le=257)


def test_command_repr_hides_data_such_as_a_pin() -> None:
    cmd = Command(0x00, 0x20, 0x00, 0x80, b"1234")
    assert "1234" not in repr(cmd)
    assert "31323334" not in repr(cmd).lower()
