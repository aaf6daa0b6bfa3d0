"""The end of the paper insurance card as dates: each boundary from both sides."""

from __future__ import annotations

import datetime as dt

import pytest

from mynumber.insurance_dates import (
    InsurerKind,
    PaperCard,
    certificate_for_everyone,
    certificate_last_day,
    insurer_kind,
    lapsed_certificate_usable_until,
    paper_card_last_day,
    paper_card_state,
)

D = dt.date.fromisoformat
EMPLOYEE, KOKUHO, KOUKI = InsurerKind.EMPLOYEE, InsurerKind.KOKUHO, InsurerKind.KOUKI


def test_insurer_kinds_by_number() -> None:
    assert insurer_kind("139993") is KOKUHO and insurer_kind("  139993") is KOKUHO
    assert insurer_kind("39131015") is KOUKI
    assert insurer_kind("06139994") is EMPLOYEE and insurer_kind("01130018") is EMPLOYEE


def test_no_paper_card_is_issued_from_2024_12_02() -> None:
    assert paper_card_last_day(EMPLOYEE, D("2024-12-01"), None) == D("2025-12-01")
    assert paper_card_last_day(EMPLOYEE, D("2024-12-02"), None) is None
    assert paper_card_state(EMPLOYEE, D("2024-12-02"), None, D("2025-01-01")) is PaperCard.NEVER


@pytest.mark.parametrize(
    ("kind", "expires", "last"),
    [
        (EMPLOYEE, None, "2025-12-01"),  # no expiry of its own: to the end of paper cards
        (EMPLOYEE, "2025-03-31", "2025-03-31"),  # its own expiry first
        (EMPLOYEE, "2027-03-31", "2025-12-01"),  # at most 2025-12-01
        (KOKUHO, None, "2025-07-31"),  # 国保 ended 2025-07-31
        (KOKUHO, "2026-07-31", "2025-07-31"),
        (KOUKI, "2025-03-31", "2025-03-31"),
        (KOUKI, None, "2025-07-31"),
    ],
)
def test_a_paper_card_s_last_day_and_the_days_around_it(kind, expires, last) -> None:
    issued = D("2022-04-01")
    expires_on = None if expires is None else D(expires)
    end = D(last)
    assert paper_card_last_day(kind, issued, expires_on) == end
    assert paper_card_state(kind, issued, expires_on, end) is PaperCard.VALID
    assert paper_card_state(kind, issued, expires_on, end + dt.timedelta(days=1)) in (
        PaperCard.GRACE,
        PaperCard.ENDED,
    )


def test_the_grace_for_expired_cards_ends_2026_03_31() -> None:
    issued = D("2023-04-01")
    assert paper_card_state(EMPLOYEE, issued, None, D("2025-12-02")) is PaperCard.GRACE
    assert paper_card_state(EMPLOYEE, issued, None, D("2026-03-31")) is PaperCard.GRACE
    assert paper_card_state(EMPLOYEE, issued, None, D("2026-04-01")) is PaperCard.ENDED
    assert paper_card_state(KOKUHO, issued, None, D("2025-08-01")) is PaperCard.GRACE


def test_a_certificate_is_valid_up_to_five_years_or_to_the_loss() -> None:
    issued = D("2026-12-03")
    assert certificate_last_day(EMPLOYEE, issued, card_registered=False) == D("2031-12-02")
    assert certificate_last_day(EMPLOYEE, issued, D("2027-03-31"), card_registered=False) == D(
        "2027-03-31"
    )
    leap = D("2028-02-29")
    assert certificate_last_day(KOKUHO, leap, card_registered=False) == D("2033-02-27")


def test_every_kouki_member_gets_one_until_2026_07_31() -> None:
    assert certificate_for_everyone(KOUKI, D("2026-07-31"))
    assert not certificate_for_everyone(KOUKI, D("2026-08-01"))
    assert not certificate_for_everyone(KOKUHO, D("2026-07-31"))
    # given to a card user under the 暫定措置: to 2026-07-31 at most; without a card, 5 years
    assert certificate_last_day(KOUKI, D("2025-07-01"), card_registered=True) == D("2026-07-31")
    assert certificate_last_day(KOUKI, D("2025-07-01"), card_registered=False) == D("2030-06-30")
    assert certificate_last_day(KOUKI, D("2026-08-01"), card_registered=True) == D("2031-07-31")


@pytest.mark.parametrize(
    ("lapsed", "until"),
    [
        ("2026-01-15", "2026-04-30"),
        ("2026-01-31", "2026-04-30"),
        ("2026-10-01", "2027-01-31"),
        ("2026-11-30", "2027-02-28"),
        ("2027-11-05", "2028-02-29"),
        ("2026-12-31", "2027-03-31"),
    ],
)
def test_a_lapsed_certificate_serves_to_the_end_of_the_third_month(lapsed, until) -> None:
    assert lapsed_certificate_usable_until(D(lapsed)) == D(until)
