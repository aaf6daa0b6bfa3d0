"""Bulk exchanges: one permitted request about up to 10^5 people (a national benefit run).

``POST /exchanges/bulk`` does what :meth:`Hub.relay` does for one person, once for all of
them: the permitted-exchange table is checked once, the requester's codes are converted to
the provider's with one statement, the provider gets one signed request
(``POST /intermediate/provide-bulk``) and answers one JWE sealed to the requester holding a
result per code, and the やりとり履歴 gets one entry per person in one transaction
(:meth:`Hub.append`: the chain is computed in memory and written with COPY on PostgreSQL).
A code that matches nobody for the requester (a code of another agency, a typo) is
forwarded as null and noted in one entry of its own without a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select

from mynumber import errors
from mynumber.orgs.hub import permitted, store
from mynumber.orgs.hub.model import MAX_BULK
from mynumber.orgs.hub.services import (
    NOT_FOUND,
    PROVIDED,
    REFUSED,
    UNAVAILABLE,
    Entry,
    EntryFields,
    Hub,
    failure_reason,
)
from mynumber.platform.db import listed, plain_rows
from mynumber.platform.encryption import is_compact_jwe
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.hub")

#: How long the hub waits for a provider to answer a whole bulk request.
PROVIDER_TIMEOUT = 300.0

#: Sends the bulk request to a provider organisation: (org, body) → its JSON answer.
ForwardBulk = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class BulkRequest:
    requester: str
    procedure: str
    provider: str  # one organisation (``accounts``, ``municipality-131016``)
    items: tuple[str, ...]
    codes: tuple[str, ...]


def _persons(
    conn: Connection, agency: str, provider: str, codes: list[str]
) -> dict[str, tuple[str, str | None]]:
    """Agency code → (internal reference, the provider's code or None), for the codes that
    are the agency's own: one statement (the codes, in order, joined to the codes table
    twice)."""
    mine, theirs = store.codes.alias("mine"), store.codes.alias("theirs")
    wanted = listed(conn, sorted(set(codes)))
    joined = wanted.outerjoin(
        mine, and_(mine.c.agency == agency, mine.c.code == wanted.c.value)
    ).outerjoin(theirs, and_(theirs.c.person_ref == mine.c.person_ref, theirs.c.agency == provider))
    rows = plain_rows(
        conn, select(wanted.c.value, mine.c.person_ref, theirs.c.code).select_from(joined)
    )
    return {code: (person, at) for code, person, at in rows if person is not None}


class BulkRelay:
    """The hub's bulk path, over the same tables, lock and chain as :class:`Hub`, in the
    caller's unit of work (opened apart before and after the provider is asked)."""

    def __init__(self, hub: Hub, forward: ForwardBulk) -> None:
        self.hub = hub
        self.forward = forward

    def relay(self, uow: UnitOfWork, request: BulkRequest) -> dict[str, Any]:
        """Check once, convert all, forward once, record each person; the sealed answer."""
        if not request.codes:
            raise errors.InvalidInput("no codes were given", field="codes")
        if len(request.codes) > MAX_BULK:
            raise errors.InvalidInput(f"at most {MAX_BULK} codes per request", field="codes")
        if request.provider == "municipality":
            raise errors.InvalidInput(
                "a bulk exchange names one provider organisation (municipality-<code>)",
                field="provider",
            )
        exchange_id = new_id()
        with uow as conn:
            persons = _persons(conn, request.requester, request.provider, list(request.codes))
        # in reference order: each person's record lands in the index by person in order
        people = sorted({person for person, _ in persons.values()})
        unmatched = sum(1 for c in request.codes if c not in persons)

        def record(outcome: str, reason: str, provider: str, held: set[str] | None = None) -> None:
            first = (exchange_id, "", request.requester, provider, request.procedure)
            last = (request.items, outcome, reason)  # Entry's fields, a tuple per person
            not_found = (request.items, NOT_FOUND, reason)
            entries: list[EntryFields] = [
                (exchange_id, p, *first[2:], *(last if held is None or p in held else not_found))
                for p in people
            ]
            if unmatched:
                note = f"unknown_code: {unmatched} codes match nobody for the requester"
                entries.append(Entry(*first, request.items, REFUSED, note))
            self.hub.append(uow, entries)  # one transaction, one chain

        try:
            row = permitted.check(
                request.requester, request.procedure, request.provider, request.items
            )
        except permitted.NotPermitted as exc:
            record(REFUSED, f"not_permitted: {exc.message}", request.provider)
            raise
        provider = request.provider
        body = {
            "exchange_id": exchange_id,
            "requester": request.requester,
            "procedure": row.procedure,
            "items": sorted(request.items),
            "codes": [persons[c][1] if c in persons else None for c in request.codes],
        }
        held = {person for person, at_provider in persons.values() if at_provider is not None}
        try:
            answer = self.forward(provider, body)
        except Exception as exc:  # any failure of the provider is the same to the requester
            log.warning("provider %s failed a bulk exchange: %s", provider, type(exc).__name__)
            record(UNAVAILABLE, failure_reason(exc), provider, held)
            raise errors.Unavailable(
                f"{provider} did not answer; the exchange is recorded as failed",
                code="provider_unavailable",
            ) from None
        sealed = answer.get("jwe") if isinstance(answer, dict) else None
        if not is_compact_jwe(sealed):
            record(UNAVAILABLE, "the provider's answer was not sealed", provider, held)
            raise errors.Unavailable(
                "the provider's answer was not sealed", code="provider_unavailable"
            )
        record(PROVIDED, "", provider, held)
        return {
            "exchange_id": exchange_id,
            "provider": provider,
            "procedure": row.procedure,
            "items": sorted(request.items),
            "jwe": sealed,
        }
