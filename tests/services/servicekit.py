"""Helpers shared by the service tests (a uniquely named module, not a conftest)."""

from __future__ import annotations

import datetime as dt


class Clock:
    """A clock the test moves by hand (services take ``clock=``)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta
