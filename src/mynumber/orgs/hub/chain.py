"""The exchange record (やりとり履歴) as an append-only hash chain.

Every entry holds the SHA-256 of the previous one (``prev``), and its own ``hash`` is the
SHA-256 of its canonical JSON (sorted keys, no spaces, UTF-8) without ``hash``. Whoever holds
the head (the last sequence number and hash) can recompute the chain and see that no entry
was changed, removed or inserted before it. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
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


#: What an entry to link holds, in this order (the record's columns between ``seq`` and
#: ``prev``); a linked record is ``(seq, *entry, prev, hash)``: the records table's order.
ENTRY = (
    *("at", "exchange_id", "person", "requester", "provider"),
    *("procedure", "items", "outcome", "reason"),
)
RECORD = ("seq", *ENTRY, "prev", "hash")

#: The canonical JSON of an entry with its keys sorted (what :func:`entry_hash` hashes),
#: the fields other than ``person``, ``prev`` and ``seq`` filled in (JSON-encoded, ``%``
#: doubled): ``% (person, prev, seq)`` completes it.
_SHAPE = (
    '{"at":%s,"exchange_id":%s,"items":%s,"outcome":%s,"person":%%s,"prev":"%%s",'
    '"procedure":%s,"provider":%s,"reason":%s,"requester":%s,"seq":%%d}'
)
_PLAIN = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


def _json(value: str) -> str:
    """``json.dumps(value, ensure_ascii=False)`` (a plain id needs no escaping)."""
    return f'"{value}"' if _PLAIN.issuperset(value) else json.dumps(value, ensure_ascii=False)


def link(entries: Iterable[Sequence[str]], head: Head) -> tuple[list[tuple[Any, ...]], Head]:
    """Number and hash ``entries`` (each the fields of :data:`ENTRY`) in order after
    ``head``: the records (:data:`RECORD`) and the new head.

    The same hashes as :func:`entry_hash`, at bulk speed: a bulk exchange or delivery
    appends 10^5 entries that differ only in the person, so the canonical text of each
    other combination of fields is made once (``sorted(FIELDS)`` is the key order; a unit
    test holds the two equal).
    """
    shapes: dict[tuple[str, ...], str] = {}
    seq, prev = head.seq, head.hash
    sha256 = hashlib.sha256
    records: list[tuple[Any, ...]] = []
    for entry in entries:
        at, exchange_id, person, requester, provider, procedure, items, outcome, reason = entry
        key = (at, exchange_id, requester, provider, procedure, items, outcome, reason)
        shape = shapes.get(key)
        if shape is None:
            text = (at, exchange_id, items, outcome, procedure, provider, reason, requester)
            shape = shapes[key] = _SHAPE % tuple(_json(v).replace("%", "%%") for v in text)
        seq += 1
        digest = sha256((shape % (_json(person), prev, seq)).encode()).hexdigest()
        records.append((seq, *entry, prev, digest))
        prev = digest
    return records, Head(seq, prev)


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
