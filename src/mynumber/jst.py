"""Japan's clock. Every day this system speaks of (a birth, a move, a death, a card's expiry,
a kiosk's business day, a transfer date) is a day in Japan, whatever the host's time zone:
``today()`` is the date in JST (UTC+9, no daylight saving), never the host's local date."""

from __future__ import annotations

import datetime as dt

__all__ = ["JST", "now", "today"]

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def now() -> dt.datetime:
    """This moment, in JST."""
    return dt.datetime.now(JST)


def today() -> dt.date:
    """Today in Japan."""
    return now().date()
