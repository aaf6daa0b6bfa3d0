"""Opaque record ids that sort by creation time.

16 hex characters: 11 of milliseconds since the epoch, 5 of a per-process counter that
starts at a random value. Time-ordered keys make inserts append to the end of an index
instead of landing on random pages, which keeps bulk loads fast once tables hold millions.
An id carries no personal data and is no secret; access is decided elsewhere.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time

_counter = itertools.count(secrets.randbelow(16**5))
_lock = threading.Lock()


def new_id() -> str:
    with _lock:
        sequence = next(_counter) % 16**5
    return f"{time.time_ns() // 1_000_000:011x}{sequence:05x}"
