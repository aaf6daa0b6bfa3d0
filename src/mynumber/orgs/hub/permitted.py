"""The permitted-exchange table, like 番号法 別表第二: who may ask whom for what, and for which
procedure. Read from ``permitted.csv`` beside this module; anything not listed is refused.

Each row: requesting kind of organisation, procedure id and name, providing kind, the data
items (space-separated) and the legal basis. A kind is an organisation name up to its first
``-`` (``municipality-131016`` is a ``municipality``). Pure: no I/O beyond reading the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from mynumber.errors import Forbidden

TABLE_FILE = "permitted.csv"


class NotPermitted(Forbidden):
    """The exchange is not in the table; the message says which part is missing."""

    code = "not_permitted"


@dataclass(frozen=True, slots=True)
class Row:
    requester: str
    procedure: str
    procedure_name: str
    provider: str
    items: frozenset[str]
    basis: str


def kind_of(org: str) -> str:
    """``municipality-131016`` → ``municipality``; ``tax`` → ``tax``."""
    return org.partition("-")[0]


def parse(text: str) -> tuple[Row, ...]:
    rows = []
    for line in csv.DictReader(io.StringIO(text)):
        rows.append(
            Row(
                requester=line["requester"].strip(),
                procedure=line["procedure"].strip(),
                procedure_name=line["procedure_name"].strip(),
                provider=line["provider"].strip(),
                items=frozenset(line["items"].split()),
                basis=line["basis"].strip(),
            )
        )
    return tuple(rows)


@cache
def table() -> tuple[Row, ...]:
    """The table shipped with the hub."""
    return parse(resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8"))


def check(
    requester: str,
    procedure: str,
    provider: str,
    items: Iterable[str],
    rows: tuple[Row, ...] | None = None,
) -> Row:
    """The row that permits this exchange, or :class:`NotPermitted` saying why not.

    ``requester`` and ``provider`` may be organisation names or kinds.
    """
    rows = table() if rows is None else rows
    wanted = set(items)
    if not wanted:
        raise NotPermitted("no data item was asked for")
    requester, provider = kind_of(requester), kind_of(provider)
    by_procedure = [r for r in rows if r.procedure == procedure]
    if not by_procedure:
        raise NotPermitted(f"procedure {procedure!r} is not in the permitted-exchange table")
    by_requester = [r for r in by_procedure if r.requester == requester]
    if not by_requester:
        raise NotPermitted(f"a {requester} may not ask anything for {procedure!r}")
    by_provider = [r for r in by_requester if r.provider == provider]
    if not by_provider:
        raise NotPermitted(f"a {requester} may not ask a {provider} for {procedure!r}")
    allowed = frozenset().union(*(r.items for r in by_provider))
    refused = sorted(wanted - allowed)
    if refused:
        raise NotPermitted(
            f"a {requester} may not ask a {provider} for {', '.join(refused)} "
            f"under {procedure!r} (permitted: {', '.join(sorted(allowed))})"
        )
    return by_provider[0]
