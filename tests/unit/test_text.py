"""A person's text is normalised, trimmed, and refused with invisible characters."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.errors import InvalidInput
from mynumber.text import REFUSED_CATEGORIES, clean


def test_text_is_put_in_nfc_and_trimmed() -> None:
    assert clean(" \u30ab\u3099\u3000", field="name", max_length=10) == "\u30ac"


def test_kana_is_folded_from_half_width_with_nfkc() -> None:
    assert clean("ｻﾄｳ", field="kana", max_length=10, form="NFKC") == "サトウ"


@pytest.mark.parametrize("char", ["\u200b", "\ufeff", "\u2060", "\u00ad", "\u200e", "\x00"])
def test_an_invisible_character_is_refused_naming_the_field(char: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean(f"佐{char}藤", field="family_name", max_length=10)
    assert caught.value.field == "family_name"
    assert caught.value.code == "invalid_input"


def test_empty_and_too_long_are_refused() -> None:
    with pytest.raises(InvalidInput, match="required"):
        clean(" \u3000", field="name", max_length=10)
    with pytest.raises(InvalidInput, match="longer"):
        clean("あ" * 11, field="name", max_length=10)


@given(st.text(max_size=20))
def test_what_is_accepted_holds_no_refused_character(value: str) -> None:
    try:
        result = clean(value, field="name", max_length=20)
    except InvalidInput:
        return
    assert all(unicodedata.category(c) not in REFUSED_CATEGORIES for c in result)
    assert result == result.strip() and result
    assert unicodedata.is_normalized("NFC", result)
