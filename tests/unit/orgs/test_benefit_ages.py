"""The birth-date bounds eligibility filters on in SQL select exactly the ages ``age_on``
gives, leap days included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mynumber.errors import InvalidInput
from mynumber.orgs.municipality.model import age_on, births_for_ages

BASE_DATES = (
    date(2020, 4, 27),  # 特別定額給付金's 基準日
    date(2024, 2, 29),  # a leap day
    date(2023, 2, 28),
    date(2023, 3, 1),
    date(2025, 12, 31),
)


def _births(around: date, years: int) -> list[date]:
    start = around.replace(year=around.year - years - 2, month=1, day=1)
    return [start + timedelta(days=d) for d in range(0, (years + 3) * 366)]


@pytest.mark.parametrize("as_of", BASE_DATES)
@pytest.mark.parametrize(("min_age", "max_age"), [(0, 0), (3, 5), (18, None), (None, 17), (4, 4)])
def test_birth_bounds_select_exactly_the_ages_in_range(
    as_of: date, min_age: int | None, max_age: int | None
) -> None:
    bounds = births_for_ages(as_of, min_age, max_age)
    for birth in _births(as_of, 22):
        if birth > as_of:
            continue
        age = age_on(birth, as_of)
        wanted = (min_age is None or age >= min_age) and (max_age is None or age <= max_age)
        inside = (bounds.until is None or birth <= bounds.until) and (
            bounds.after is None or birth > bounds.after
        )
        assert inside == wanted, (birth, age)


def test_no_bounds_without_ages() -> None:
    bounds = births_for_ages(date(2020, 4, 27), None, None)
    assert bounds.after is None and bounds.until is None


def test_min_age_above_max_age_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        births_for_ages(date(2020, 4, 27), 10, 9)
    assert caught.value.field == "min_age"
