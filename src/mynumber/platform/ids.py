"""Opaque record ids that sort by creation time.

16 hex characters: 11 of milliseconds since the epoch, 5 of a per-process counter that
starts at a random value. Time-ordered keys make inserts append to the end of an index
instead of landing on random pages, which keeps bulk loads fast once tables hold millions.
An id carries no personal data and is no secret; access is decided elsewhere.
"""

from __future__ import annotations

import secrets
import threading
import time

#: At most this many ids in one millisecond of one process (the counter's 5 hex digits).
PER_MILLISECOND = 16**5

_next = secrets.randbelow(PER_MILLISECOND)
_lock = threading.Lock()


def new_id() -> str:
    return new_ids(1)[0]


def new_ids(count: int) -> list[str]:
    """``count`` new ids at once (one clock reading and one turn of the counter for a
    whole batch: a national run makes 10^5 per statement)."""
    global _next
    if not 0 <= count <= PER_MILLISECOND // 2:
        raise ValueError(f"at most {PER_MILLISECOND // 2} ids at once")
    with _lock:
        first, _next = _next, (_next + count) % PER_MILLISECOND
    prefix = f"{time.time_ns() // 1_000_000:011x}"
    return [f"{prefix}{(first + n) % PER_MILLISECOND:05x}" for n in range(count)]
