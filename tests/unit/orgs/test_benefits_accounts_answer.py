"""The registry's bulk answer as the benefit office reads it: a row of values per person in
the order of the answer's fields; a row that is not an account the office can pay into is
no account (None), whatever else the answer holds."""

from __future__ import annotations

from typing import Any

import pytest

from mynumber import errors
from mynumber.orgs.benefits.clients import accounts_in

FIELDS = ["bank_code", "branch_code", "deposit_type", "number", "holder_kana"]
GOOD = ["0001", "001", "1", "1234567", "ﾔﾏﾀﾞ ﾀﾛｳ"]


def test_accounts_are_read_by_their_fields_names_in_any_order() -> None:
    reordered = ["holder_kana", "number", "deposit_type", "branch_code", "bank_code", "extra"]
    row = [*reversed(GOOD), "anything"]

    assert accounts_in(FIELDS, [GOOD, None]) == [("0001", "001", "1", "1234567"), None]
    assert accounts_in(reordered, [row]) == [("0001", "001", "1", "1234567")]
    assert accounts_in(FIELDS, [[*GOOD[:3], "89", GOOD[4]]]) == [("0001", "001", "1", "0000089")]


@pytest.mark.parametrize(
    "row",
    [
        ["9999", "001", "1", "1234567", "x"],  # no such bank
        ["0001", "998", "1", "1234567", "x"],  # no such branch
        ["0001", "001", "9", "1234567", "x"],  # その他: not paid into
        ["0001", "001", "1", "12345678", "x"],  # eight digits
        ["0001", "001", "1", "12a4567", "x"],
        ["0001", "001", "1", 1234567, "x"],  # a number, not its digits
        ["0001", "001", "1", "", "x"],
        [["0001"], "001", "1", "1234567", "x"],  # not even hashable
        [{"bank_code": "0001"}, "001", "1", "1234567", "x"],
        GOOD[:4],  # a value short
        {"bank_code": "0001"},  # an object, not a row
        "0001 001 1 1234567",
        7,
    ],
)
def test_a_row_that_is_no_payable_account_is_none(row: Any) -> None:
    assert accounts_in(FIELDS, [row, GOOD]) == [None, ("0001", "001", "1", "1234567")]


def test_an_answer_without_the_accounts_fields_is_a_bad_answer() -> None:
    with pytest.raises(errors.Unavailable):
        accounts_in(["bank_code", "branch_code", "number"], [GOOD[:2] + GOOD[3:4]])
