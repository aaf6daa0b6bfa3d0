"""The exchange record (やりとり履歴) as an append-only hash chain.

Every entry holds the SHA-256 of the previous one (``prev``), and its own ``hash`` is the
SHA-256 of its canonical JSON (sorted keys, no spaces, UTF-8) without ``hash``. Whoever holds
the head (the last sequence number and hash) can recompute the chain and see that no entry
was changed, removed or inserted before it. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mynumber.errors import Conflict

GENESIS = "0" * 64

#: The fields an entry's hash covers, in the order they are shown.
FIELDS = (
    "seq",
    "at",
    "exchange_id",
    "person",
    "requester",
    "provider",
    "procedure",
    "items",
    "outcome",
    "reason",
    "prev",
)


class BrokenChain(Conflict):
    """The log does not recompute: ``seq`` is the first entry at fault."""

    code = "broken_chain"

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


def entry_hash(entry: Mapping[str, Any]) -> str:
    body = {name: entry[name] for name in FIELDS}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify(entries: Iterable[Mapping[str, Any]], *, start: Head | None = None) -> Head:
    """Recompute the chain from ``start`` (the genesis by default); return its head or raise
    :class:`BrokenChain` at the first entry that does not follow."""
    head = start or Head(0, GENESIS)
    for entry in entries:
        seq = int(entry["seq"])
        if seq != head.seq + 1:
            raise BrokenChain(f"entry {seq} follows entry {head.seq}", seq=seq)
        if entry["prev"] != head.hash:
            raise BrokenChain(f"entry {seq} does not hold the previous hash", seq=seq)
        if entry_hash(entry) != entry["hash"]:
            raise BrokenChain(f"entry {seq} was changed after it was recorded", seq=seq)
        head = Head(seq, str(entry["hash"]))
    return head
