"""The registry's rules: the four basic items and the municipalities."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mynumber import jst
from mynumber.errors import InvalidInput
from mynumber.orgs.municipality.model import (
    MUNICIPALITIES,
    BasicItems,
    Sex,
    local_government_check_digit,
)


def items(**overrides: object) -> BasicItems:
    values: dict[str, object] = {
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "ハナコ",
        "birth_date": date(1990, 4, 1),
        "sex": Sex.FEMALE,
        "address": "東京都千代田区丸の内1丁目1番1号",
    }
    values.update(overrides)
    return BasicItems(**values)  # type: ignore[arg-type]


def test_valid_items_pass_and_hide_themselves_in_repr() -> None:
    person = items()
    assert person.name == "山田\u3000花子"
    assert "山田" not in repr(person)


def test_half_width_kana_is_normalised_to_full_width() -> None:
    assert items(family_name_kana="ﾔﾏﾀﾞ").family_name_kana == "ヤマダ"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family_name", ""),
        ("family_name", "山" * 31),
        ("given_name", "花\x00子"),
        ("family_name_kana", "やまだ"),
        ("given_name_kana", "Hanako"),
        ("birth_date", "tomorrow"),  # in Japan, when the test runs
        ("birth_date", date(1800, 1, 1)),
        ("address", " "),
    ],
)
def test_bad_items_name_the_field(field: str, value: object) -> None:
    if value == "tomorrow":
        value = jst.today() + timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        items(**{field: value})
    assert caught.value.field == field


def test_unknown_sex_is_refused() -> None:
    with pytest.raises(ValueError):
        items(sex="3")


@pytest.mark.parametrize("code", sorted(MUNICIPALITIES))
def test_municipality_codes_carry_their_check_digit(code: str) -> None:
    assert local_government_check_digit(code[:5]) == int(code[5])
