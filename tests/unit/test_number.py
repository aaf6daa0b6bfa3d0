"""The My Number and Corporate Number: check digits, validation, formatting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.jp import cn as stdnum_cn
from stdnum.jp import in_ as stdnum_in

from mynumber import number

# Worked examples from domain-reference §1.1 and §1.2 (python-stdnum doctests, qiita).
VALID = ["621498320257", "983205673214", "123456789018", "000000000000"]
VALID_CORPORATE = ["5835678256246", "7000012050002", "1180301018771"]


@pytest.mark.parametrize("value", VALID)
def test_known_numbers_are_valid(value: str) -> None:
    assert number.is_valid(value)
    assert number.validate(value) == value


def test_the_stdnum_counter_example_is_invalid() -> None:
    with pytest.raises(number.InvalidNumber) as caught:
        number.validate("621498320258")
    assert caught.value.code == "check_digit"


def test_check_digit_follows_the_ordinance() -> None:
    assert number.check_digit("62149832025") == 7
    assert number.check_digit("98320567321") == 4
    assert number.check_digit("00000000000") == 0


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("62149832025", "length"),
        ("6214983202577", "length"),
        ("", "length"),
        ("62149832025a", "not_digits"),
        ("６２１４９８３２０２５a", "not_digits"),
        ("621498320258", "check_digit"),
    ],
)
def test_validate_says_what_is_wrong(value: str, code: str) -> None:
    with pytest.raises(number.InvalidNumber) as caught:
        number.validate(value)
    assert caught.value.code == code
    assert caught.value.field == "number"


def test_errors_never_quote_the_number() -> None:
    with pytest.raises(number.InvalidNumber) as caught:
        number.validate("621498320258")
    assert "621498320258" not in str(caught.value)


@pytest.mark.parametrize(
    "written",
    [
        "6214 9832 0257",
        "6214-9832-0257",
        "６２１４９８３２０２５７",
        " 621498320257 ",
        "6214\u30009832\u30000257",
    ],
)
def test_validate_normalises_spaces_hyphens_and_full_width_digits(written: str) -> None:
    assert number.validate(written) == "621498320257"


def test_format_groups_by_four() -> None:
    assert number.format("621498320257") == "6214 9832 0257"
    assert number.format_corporate("5835678256246") == "5-8356-7825-6246"


def test_mask_shows_only_the_last_four_digits() -> None:
    assert number.mask("621498320257") == "••••••••0257"


def test_generate_gives_distinct_valid_numbers() -> None:
    made = list(number.generate(count=2000))
    assert len(set(made)) == 2000
    assert all(stdnum_in.is_valid(n) for n in made)


@pytest.mark.parametrize("value", VALID_CORPORATE)
def test_known_corporate_numbers_are_valid(value: str) -> None:
    assert number.is_valid_corporate(value)


def test_corporate_check_digit_comes_first() -> None:
    assert number.corporate_check_digit("835678256246") == 5
    assert not number.is_valid_corporate("6835678256246")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_agrees_with_python_stdnum_on_every_twelve_digits(value: str) -> None:
    assert number.is_valid(value) == stdnum_in.is_valid(value)


@given(st.text(alphabet="0123456789 -a", max_size=16))
def test_agrees_with_python_stdnum_on_any_input(value: str) -> None:
    assert number.is_valid(value) == stdnum_in.is_valid(value)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_corporate_agrees_with_python_stdnum(value: str) -> None:
    assert number.is_valid_corporate(value) == stdnum_cn.is_valid(value)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_appending_the_check_digit_makes_a_valid_number(base: str) -> None:
    assert number.is_valid(base + str(number.check_digit(base)))


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_format_round_trips(value: str) -> None:
    valid = value[:11] + str(number.check_digit(value[:11]))
    assert number.validate(number.format(valid)) == valid


def test_resident_codes_carry_a_check_digit() -> None:
    code = number.random_resident_code()
    assert number.validate_resident_code(code) == code
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(number.InvalidNumber) as caught:
        number.validate_resident_code(wrong)
    assert caught.value.code == "check_digit"
