"""Ages and the child period of the child benefits: pure date rules both the portal's forms
and a municipality's review use (one definition, so the form and the review agree)."""

from __future__ import annotations

import datetime as dt

__all__ = ["add_years", "age_on", "end_of_child_period"]


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February goes to 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def end_of_child_period(birth: dt.date) -> dt.date:
    """The first 31 March on or after the day a child reaches 18 (the day before the 18th
    birthday, 年齢計算ニ関スル法律): 児童手当 (since October 2024) and 児童扶養手当 count
    them until then."""
    reached = add_years(birth, 18) - dt.timedelta(days=1)
    march = dt.date(reached.year, 3, 31)
    return march if reached <= march else dt.date(reached.year + 1, 3, 31)
