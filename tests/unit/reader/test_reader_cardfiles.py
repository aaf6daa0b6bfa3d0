"""Text AP and visual AP file formats: round trips and masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.reader import (
    CardFace,
    TextAttributes,
    decode_attributes,
    decode_card_face,
    decode_my_number,
    decode_text_signature,
    encode_attributes,
    encode_card_face,
    encode_my_number,
    encode_text_signature,
    placeholder_png,
)

dates = st.from_regex(r"[0-9]{8}", fullmatch=True)
sexes = st.sampled_from(["0", "1", "2", "9"])


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_my_number_file_round_trips_and_is_17_bytes(number: str) -> None:
    data = encode_my_number(number)
    assert len(data) == 17 and data[:3] == b"\xff\x10\x0c"
    assert decode_my_number(data) == number


@given(st.text(max_size=80), st.text(max_size=200), dates, sexes)
def test_attributes_round_trip(name: str, address: str, birth: str, sex: str) -> None:
    attrs = TextAttributes(name=name, address=address, birth_date=birth, sex=sex)
    assert decode_attributes(encode_attributes(attrs)) == attrs


def test_short_attributes_use_a_one_byte_length() -> None:
    data = encode_attributes(TextAttributes("山田", "東京", "19900101", "2"))
    assert data[:2] == b"\xff\x20" and data[2] < 0x80


def test_long_attributes_use_the_long_form() -> None:
    data = encode_attributes(TextAttributes("山田" * 20, "東京都" * 10, "19900101", "2"))
    assert data[2] == 0x81


@given(
    dates, sexes, st.binary(max_size=300), st.binary(max_size=300), st.binary(max_size=3000), dates
)
def test_card_face_round_trips(birth, sex, name, address, photo, expiry) -> None:
    face = CardFace(
        birth_date=birth,
        sex=sex,
        name_image=name,
        address_image=address,
        photo=photo,
        expiry=expiry,
    )
    assert decode_card_face(encode_card_face(face)) == face


def test_text_signature_block_round_trips() -> None:
    block = encode_text_signature(bytes(range(64)), b"\x01" * 256)
    assert block[:2] == b"\xff\x30"
    assert decode_text_signature(block) == (bytes(range(32)), bytes(range(32, 64)), b"\x01" * 256)


@pytest.mark.parametrize("bad", [{"birth_date": "1990-01-01"}, {"sex": "M"}])
def test_attributes_validate_themselves(bad) -> None:
    fields = {"name": "a", "address": "b", "birth_date": "19900101", "sex": "1"} | bad
    with pytest.raises(ValueError):
        TextAttributes(**fields)


def test_reprs_mask_personal_data() -> None:
    attrs = TextAttributes("山田太郎", "東京都", "19900101", "1")
    assert "山田" not in repr(attrs) and "1990" not in repr(attrs)
    face = CardFace("19900101", "1", b"", b"", b"x", "20350101")
    assert "1990" not in repr(face)


def test_placeholder_png_is_a_png() -> None:
    png = placeholder_png(8, 4)
    assert (
        png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png and png.endswith(b"IEND\xaeB`\x82")
    )


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(ValueError):
        TextAttributes("a", "b", "1990010٠", "1")
    with pytest.raises(ValueError):
        encode_my_number("12345678901٠")
