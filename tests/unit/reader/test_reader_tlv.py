"""BER-TLV encode/decode round trips and truncation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.reader import CardDataError, tlv

tags = st.sampled_from([b"\x04", b"\x30", b"\xdf\x21", b"\xff\x20", b"\x7f\x21", b"\xdf\x81\x01"])


@given(tags, st.binary(max_size=70_000))
def test_tlv_round_trips(tag: bytes, value: bytes) -> None:
    encoded = tlv.encode(tag, value)
    assert tlv.decode(encoded) == (tag, value, len(encoded))
    assert tlv.total_length(encoded[:8]) == len(encoded)


@given(st.lists(st.tuples(tags, st.binary(max_size=300)), max_size=6))
def test_sequences_of_tlvs_round_trip(items) -> None:
    assert tlv.decode_all(b"".join(tlv.encode(t, v) for t, v in items)) == items


@pytest.mark.parametrize(
    ("n", "encoded"), [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100")]
)
def test_long_form_length_only_when_needed(n: int, encoded: str) -> None:
    assert tlv.encode_length(n).hex() == encoded


@pytest.mark.parametrize("data", ["", "df", "df21", "df2105aabb", "3080", "30850000000001"])
def test_truncated_or_indefinite_tlv_is_a_card_data_error(data: str) -> None:
    with pytest.raises(CardDataError):
        tlv.decode(bytes.fromhex(data))


def test_total_length_needs_the_whole_header() -> None:
    assert tlv.total_length(b"\x30\x82\x01") is None
    assert tlv.total_length(b"\x30\x82\x01\x00") == 0x104
