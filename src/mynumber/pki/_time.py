"""Time helpers: certificates carry UTC; JPKI's calendar (birthdays, issue days) is Japan's."""

from __future__ import annotations

import datetime as dt

from mynumber.errors import InvalidInput
from mynumber.jst import JST


def as_utc(moment: dt.datetime, *, field: str = "now") -> dt.datetime:
    """``moment`` in UTC, truncated to whole seconds (X.509 times have no fractions)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} must be timezone-aware", field=field, code="naive_datetime")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def jst_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Japan at ``moment``."""
    return as_utc(moment).astimezone(JST).date()


def end_of_jst_day(day: dt.date) -> dt.datetime:
    """23:59:59 JST on ``day``, in UTC (the JPKI CAs end their validity the same way)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), JST).astimezone(dt.UTC)
