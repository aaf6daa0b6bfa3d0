"""The OCSP answers the portal reuses for a short while, as relying parties do.

J-LIS answers requests without a nonce from its cache (RFC 5019, the lightweight profile:
the same signed answer until its status changes or it is a few minutes old). The portal
asks that way and keeps each verified ``good`` answer for at most ``max_age`` after it
checked it, and never past the answer's own nextUpdate: a card suspended at J-LIS is
refused by the portal at most ``max_age`` later. ``max_age`` 0 asks J-LIS at every login.
Only ``good`` answers are kept; revoked and unknown are asked again each time. The key is
the serial of a certificate already verified to chain to J-LIS's auth CA.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from mynumber.pki import OCSPCheck

#: Default reuse window of a good answer (``MYNUMBER_PORTAL_OCSP_MAX_AGE``, seconds).
DEFAULT_MAX_AGE = dt.timedelta(seconds=60)


class OcspAnswers:
    """Verified good OCSP answers by certificate serial, each until its window ends."""

    def __init__(self, max_age: dt.timedelta = DEFAULT_MAX_AGE, *, size: int = 100_000) -> None:
        if max_age < dt.timedelta(0):
            raise ValueError("max_age must not be negative")
        self.max_age = max_age
        self._size = size
        self._kept: OrderedDict[int, tuple[dt.datetime, dt.datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def good(self, serial: int, now: dt.datetime) -> bool:
        """Whether a good answer about ``serial`` checked earlier still stands at ``now``."""
        with self._lock:
            kept = self._kept.get(serial)
            if kept is None:
                return False
            checked_at, next_update = kept
            until = checked_at + self.max_age
            if next_update is not None:
                until = min(until, next_update)
            if checked_at <= now < until:
                return True
            del self._kept[serial]  # the window passed (or the clock went back)
            return False

    def remember(self, check: OCSPCheck, checked_at: dt.datetime) -> None:
        """Keep a verified good answer, checked at ``checked_at``, for reuse."""
        if self.max_age <= dt.timedelta(0):
            return
        with self._lock:
            self._kept[check.serial_number] = (checked_at, check.next_update)
            self._kept.move_to_end(check.serial_number)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def forget(self) -> None:
        """Drop every kept answer (the next login of each card asks J-LIS)."""
        with self._lock:
            self._kept.clear()
