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


#: The canonical JSON of an entry with its keys sorted (what :func:`entry_hash` hashes):
#: each ``%s`` a JSON-encoded string, ``%d`` the sequence number.
_CANONICAL = (
    '{"at":%s,"exchange_id":%s,"items":%s,"outcome":%s,"person":%s,"prev":"%s",'
    '"procedure":%s,"provider":%s,"reason":%s,"requester":%s,"seq":%d}'
)
_TEXT_FIELDS = ("at", "exchange_id", "items", "outcome", "person")
_MORE_TEXT = ("procedure", "provider", "reason", "requester")


def link(rows: list[dict[str, Any]], head: Head) -> Head:
    """Number and hash ``rows`` (entries without ``seq``, ``prev``, ``hash``) in order after
    ``head``, filling those three in; returns the new head.

    The same hashes as :func:`entry_hash`, at bulk speed: a bulk exchange or delivery
    appends 10^5 entries whose texts mostly repeat, so each distinct text is JSON-encoded
    once (``sorted(FIELDS)`` is the key order; a unit test holds the two equal).
    """
    encoded: dict[str, str] = {}

    def enc(value: str) -> str:
        found = encoded.get(value)
        if found is None:
            found = encoded[value] = json.dumps(value, ensure_ascii=False)
        return found

    seq, prev = head.seq, head.hash
    sha256 = hashlib.sha256
    for row in rows:
        seq += 1
        canonical = _CANONICAL % (
            *(enc(row[name]) for name in _TEXT_FIELDS),
            prev,
            *(enc(row[name]) for name in _MORE_TEXT),
            seq,
        )
        row["seq"], row["prev"] = seq, prev
        row["hash"] = prev = sha256(canonical.encode()).hexdigest()
    return Head(seq, prev)


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
