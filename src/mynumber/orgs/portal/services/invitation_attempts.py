"""A limit on guessing 代理人 invitation codes: a person may enter at most
:data:`MAX_WRONG` unknown codes in :data:`WINDOW`, then is refused until the window allows
another; every wrong code and every refusal is recorded (``proxy_code_attempts``).

A code has 12 characters of a 32-letter alphabet, so guessing is hopeless at this rate;
without a limit it was only slow.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from sqlalchemy import func, select

from mynumber.errors import Conflict
from mynumber.orgs.portal import store
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

MAX_WRONG = 5
WINDOW = dt.timedelta(minutes=15)
#: What an attempt was: an unknown code, or refused for too many before it.
WRONG, BLOCKED = "wrong", "blocked"


class TooManyAttempts(Conflict):
    """Too many wrong invitation codes lately; ``retry_after`` says how long to wait."""

    code = "too_many_attempts"

    def __init__(self, retry_after: dt.timedelta) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        super().__init__(
            f"招待コードの誤りが{MAX_WRONG}回続きました。{minutes}分後にもう一度お試しください / "
            f"{MAX_WRONG} wrong invitation codes: try again in {minutes} minute"
            f"{'' if minutes == 1 else 's'}"
        )


class InvitationAttempts:
    """Counts and records a person's wrong invitation codes."""

    def __init__(
        self, *, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.clock = clock

    def check(self, uow: UnitOfWork, portal_code: str) -> None:
        """Raise :class:`TooManyAttempts` (and record the refusal) if the person entered
        :data:`MAX_WRONG` wrong codes within the last :data:`WINDOW`."""
        now = self.clock()
        a = store.proxy_code_attempts.c
        with uow as conn:
            recent = list(
                conn.scalars(
                    select(a.at)
                    .where(a.portal_code == portal_code, a.outcome == WRONG, a.at > now - WINDOW)
                    .order_by(a.at.desc())
                    .limit(MAX_WRONG)
                )
            )
        if len(recent) < MAX_WRONG:
            return
        self.record(uow, portal_code, BLOCKED)
        raise TooManyAttempts(recent[-1] + WINDOW - now)

    def record(self, uow: UnitOfWork, portal_code: str, outcome: str) -> None:
        with uow as conn:
            conn.execute(
                store.proxy_code_attempts.insert().values(
                    id=new_id(), portal_code=portal_code, at=self.clock(), outcome=outcome
                )
            )
            uow.commit()

    def count(self, uow: UnitOfWork, portal_code: str, outcome: str) -> int:
        """How many attempts of this outcome the person has on record (for the record)."""
        a = store.proxy_code_attempts.c
        with uow as conn:
            return int(
                conn.scalar(
                    select(func.count()).where(a.portal_code == portal_code, a.outcome == outcome)
                )
                or 0
            )
