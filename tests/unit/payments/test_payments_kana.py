"""Names to Zengin half-width kana (domain-reference §10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.errors import InvalidInput
from mynumber.payments import (
    ZENGIN_CHARACTERS,
    check_zengin_kana,
    fit,
    is_zengin_kana,
    to_zengin_kana,
)


@pytest.mark.parametrize(
    ("registry", "zengin"),
    [
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # full-width space
        ("ガギグゲゴ", "ｶﾞｷﾞｸﾞｹﾞｺﾞ"),  # voiced: two bytes each
        ("パピプペポ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"),  # semi-voiced
        ("ヴ", "ｳﾞ"),
        ("キャノン", "ｷﾔﾉﾝ"),  # small kana written full-size
        ("ァィゥェォャュョッヮヵヶ", "ｱｲｳｴｵﾔﾕﾖﾂﾜｶｹ"),
        ("ｷｬﾉﾝ", "ｷﾔﾉﾝ"),  # half-width small kana too
        ("コーヒー", "ｺ-ﾋ-"),  # long vowel mark
        ("ｺｰﾋｰ", "ｺ-ﾋ-"),
        ("ＳＭＩＴＨ・ジョン", "SMITH ｼﾞﾖﾝ"),  # full-width Latin; middle dot to a space
        ("smith", "SMITH"),  # lower case to upper
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits
        ("カ）ヤマダショウジ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
        ("（－．／）", "(-./)"),
        ("やまだ", "ﾔﾏﾀﾞ"),  # hiragana accepted
        ("ヲ", "ｦ"),
        ("", ""),
    ],
)
def test_names_convert_to_zengin_kana(registry: str, zengin: str) -> None:
    assert to_zengin_kana(registry, field="payee_name") == zengin
    assert is_zengin_kana(zengin)


@pytest.mark.parametrize("name", ["山田太郎", "ヤマダ太郎", "ヤマダ!", "ｱ｡", "タロウ★", "é"])
def test_kanji_and_other_characters_are_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_zengin_kana(name, field="payee_name")
    assert caught.value.field == "payee_name"
    assert name not in str(caught.value)  # the name is personal data


@pytest.mark.parametrize("text", ["ｧ", "ｰ", "ｯ", "abc", "ヤ", ",", "¥", "｢"])
def test_characters_outside_the_zengin_set_are_not_zengin_kana(text: str) -> None:
    assert not is_zengin_kana(text)
    with pytest.raises(InvalidInput):
        check_zengin_kana(text, field="bank_name")


def test_the_zengin_set_is_single_byte_cp932() -> None:
    assert len(ZENGIN_CHARACTERS.encode("cp932")) == len(ZENGIN_CHARACTERS)
    assert check_zengin_kana(ZENGIN_CHARACTERS, field="x") == ZENGIN_CHARACTERS


@given(st.text(alphabet="アイウエオカガキギクグパピプペポャュョッーンヴ　ＡＢ１２", max_size=40))
def test_converted_katakana_is_always_valid_zengin_kana(name: str) -> None:
    assert is_zengin_kana(to_zengin_kana(name, field="payee_name"))


def test_fit_pads_with_spaces_to_a_byte_width() -> None:
    assert fit("ﾔﾏﾀﾞ", 6, field="payee_name") == "ﾔﾏﾀﾞ  ".encode("cp932")
    assert len(fit("ﾔﾏﾀﾞ", 6, field="payee_name")) == 6
    assert fit("", 3, field="x") == b"   "


def test_fit_refuses_what_does_not_fit_unless_told_to_truncate() -> None:
    with pytest.raises(InvalidInput) as caught:
        fit("ｶﾞｶﾞｶﾞ", 5, field="bank_name")
    assert caught.value.field == "bank_name"
    assert fit("ｶﾞｶﾞｶﾞ", 5, field="bank_name", truncate=True) == "ｶﾞｶﾞｶ".encode("cp932")


def test_fit_refuses_non_zengin_text() -> None:
    with pytest.raises(InvalidInput):
        fit("ヤマダ", 30, field="payee_name")
