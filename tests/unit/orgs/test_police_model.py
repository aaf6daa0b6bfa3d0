"""The police's plain rules and the licence's own: the 12-digit number and its check digit,
the fees of the three ways to hold a licence, the renewal's validity, who may take the
online course."""

from __future__ import annotations

import datetime as dt

import pytest

from mynumber import licence as rules
from mynumber.orgs.police import model


def test_a_licence_number_is_commission_year_serial_check_and_reissues() -> None:
    number = rules.make_number(30, 2025, 1234, reissues=2)
    assert len(number) == 12 and number[:10] == "3025001234" and number[11] == "2"
    assert number[10] == str(rules.check_digit("3025001234"))
    assert rules.is_valid_number(number)
    wrong = number[:10] + str((int(number[10]) + 1) % 10) + number[11]
    assert not rules.is_valid_number(wrong)
    assert not rules.is_valid_number("３０２５００１２３４５６")  # full-width digits
    with pytest.raises(ValueError):
        rules.make_number(100, 2025, 1)


def test_the_fees_of_each_way_to_hold_a_licence() -> None:
    assert [model.fee(h, "first") for h in model.HOLDINGS] == [1550, 2350, 2450]
    assert [model.fee(h, "renewal") for h in model.HOLDINGS] == [2100, 2850, 2950]
    assert model.change_fee("plastic", "card") == 1500  # added to a card outside renewal
    assert model.change_fee("plastic", "both") == 1500
    assert model.change_fee("both", "card") == 0
    with pytest.raises(model.Refusal):
        model.change_fee("card", "card")


def test_a_renewal_runs_to_a_month_after_the_birthday() -> None:
    birth = dt.date(1980, 5, 20)
    assert model.renewed_until(birth, dt.date(2026, 6, 20), "優良") == dt.date(2031, 6, 20)
    assert model.renewed_until(birth, dt.date(2026, 6, 20), "違反") == dt.date(2029, 6, 20)
    assert model.renewed_until(dt.date(1990, 12, 31), dt.date(2026, 1, 31), "一般") == dt.date(
        2032, 1, 30
    )


def test_the_online_course_is_for_good_and_general_holders_under_70() -> None:
    young, old = dt.date(1980, 1, 1), dt.date(1955, 1, 1)
    until = dt.date(2026, 2, 1)
    assert model.online_course_refusal("優良", young, until) is None
    assert model.online_course_refusal("一般", young, until) is None
    assert model.online_course_refusal("違反", young, until) is not None
    assert model.online_course_refusal("優良", old, until) is not None
    assert model.same_person("運転　花子", "運転 花子") and not model.same_person(
        "運転 花子", "運転 一郎"
    )
