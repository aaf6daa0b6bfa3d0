"""Bank and branch codes against the zengin_code list; account numbers."""

from __future__ import annotations

import pytest

from mynumber.errors import InvalidInput
from mynumber.payments import DepositType, account_number, bank, branch, is_zengin_kana


def test_mizuho_0001_exists_with_its_name_in_half_width_kana() -> None:
    mizuho = bank("0001")
    assert (mizuho.code, mizuho.name, mizuho.kana) == ("0001", "みずほ", "ﾐｽﾞﾎ")


def test_a_branch_carries_its_bank_and_zengin_kana() -> None:
    tokyo = branch("0001", "001")
    assert tokyo.bank == bank("0001")
    assert tokyo.code == "001"
    assert tokyo.name == "東京営業部"
    assert tokyo.kana == "ﾄｳｷﾖｳ"
    assert is_zengin_kana(tokyo.kana)


def test_lookups_are_cached() -> None:
    assert bank("0001") is bank("0001")
    assert branch("0001", "001") is branch("0001", "001")


@pytest.mark.parametrize("code", ["0002", "9998"])
def test_unknown_bank_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        bank(code)
    assert caught.value.field == "bank_code"
    assert caught.value.code == "unknown_bank"


@pytest.mark.parametrize("code", ["1", "00001", "abcd", "０００１", ""])
def test_malformed_bank_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        bank(code)
    assert caught.value.field == "bank_code"


def test_unknown_and_malformed_branch_codes_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        branch("0001", "999")
    assert caught.value.field == "branch_code"
    assert caught.value.code == "unknown_branch"
    for code in ("1", "0001", "x01"):
        with pytest.raises(InvalidInput) as caught:
            branch("0001", code)
        assert caught.value.field == "branch_code"
    with pytest.raises(InvalidInput) as caught:
        branch("9998", "001")
    assert caught.value.field == "bank_code"


def test_account_numbers_are_seven_digits_zero_padded() -> None:
    assert account_number("1234567") == "1234567"
    assert account_number("123") == "0000123"
    for bad in ("", "12345678", "12a", "１２３"):
        with pytest.raises(InvalidInput) as caught:
            account_number(bad)
        assert caught.value.field == "account_number"


def test_deposit_types_are_the_zengin_digits() -> None:
    assert {t.value for t in DepositType} == {"1", "2", "4", "9"}
    assert DepositType("1") is DepositType.ORDINARY
