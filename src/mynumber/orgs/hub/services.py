"""The hub's use cases: enrol agency codes, relay an exchange, keep and show the record.

The hub converts codes and checks the permitted-exchange table; the answer it relays is a
JWE sealed by the provider to the requester, which the hub passes on without reading.

Records are appended with group commit: an exchange queues its record and waits for the
chain's writer lock; whoever holds it writes every record queued so far, each chained to
the one before, in one transaction. Under load many exchanges share one commit; alone, an
exchange writes its own record at once. The chain is the same as one record at a time.

Each use case works in the :class:`~mynumber.platform.uow.UnitOfWork` its caller gives; a
relay opens it apart before and after the provider is asked, never across the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, select

from mynumber import errors
from mynumber.orgs.hub import chain, permitted, store
from mynumber.orgs.hub.agency_codes import CodeScheme
from mynumber.orgs.hub.model import MAX_ENROL
from mynumber.platform.db import among, bulk_insert
from mynumber.platform.encryption import is_compact_jwe
from mynumber.platform.ids import new_id, new_ids
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.hub")

#: Outcomes recorded for an exchange.
PROVIDED = "provided"
REFUSED = "refused"
NOT_FOUND = "not_found"
UNAVAILABLE = "provider_unavailable"

#: Sends the forwarded request to a provider organisation: (org, body) → its JSON answer.
Forward = Callable[[str, dict[str, Any]], Any]

# The relay's statements, built once and run with parameters: building a statement with
# literal values costs more than running it.
_PERSON_OF = select(store.codes.c.person_ref).where(
    store.codes.c.agency == bindparam("wanted_agency"), store.codes.c.code == bindparam("wanted")
)
_CODE_AT = select(store.codes.c.agency, store.codes.c.code).where(
    store.codes.c.person_ref == bindparam("ref")
)
_CODE_OF_AGENCY = (
    _CODE_AT.where(store.codes.c.agency == bindparam("wanted_agency"))
    .order_by(store.codes.c.created_at.desc())
    .limit(1)
)
_CODE_OF_KIND = (
    _CODE_AT.where(store.codes.c.agency.like(bindparam("kind_pattern")))
    .order_by(store.codes.c.created_at.desc())
    .limit(1)
)
_HEAD = (
    select(store.records.c.seq, store.records.c.hash).order_by(store.records.c.seq.desc()).limit(1)
)


#: An entry's fields in :class:`Entry`'s order, as a plain tuple (what a bulk exchange makes
#: for each of 10^5 people: no named tuple's constructor for each).
EntryFields = tuple[str, str, str, str, str, tuple[str, ...], str, str]


class Entry(NamedTuple):
    """One やりとり履歴 entry to append: who sent what about whom, and what came of it
    (a named tuple: a bulk exchange makes 10^5 of them at once, as :data:`EntryFields`)."""

    exchange_id: str
    person: str  # the internal reference; "" if no person matched
    requester: str
    provider: str
    procedure: str
    items: tuple[str, ...]
    outcome: str
    reason: str = ""


@dataclass(slots=True)
class _Queued:
    """Entries waiting for the chain's writer, then the head after them (or the error)."""

    entries: Sequence[EntryFields]
    head: chain.Head | None = None
    written: bool = False
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class Request:
    requester: str
    code: str
    procedure: str
    provider: str  # a kind (tax) or an organisation (municipality-131016)
    items: tuple[str, ...]


def failure_reason(exc: Exception) -> str:
    """What the record says of a provider that failed: our error's message (it names the
    transport failure: ``tax did not answer: ReadTimeout``), else the exception's class."""
    return exc.message if isinstance(exc, errors.Error) else type(exc).__name__


def _refs(conn: Connection, fps: list[str]) -> dict[str, str]:
    """person_fp → internal reference, for the people the hub knows."""
    p = store.persons.c
    return dict(conn.execute(select(p.person_fp, p.ref).where(among(conn, p.person_fp, fps))).all())


class Hub:
    """The hub's rules over its codes and its record chain; the database is the caller's
    unit of work, the chain's writer lock and queue are this process's."""

    def __init__(self, *, scheme: CodeScheme, forward: Forward) -> None:
        self.scheme = scheme
        self.forward = forward
        self._append_lock = threading.Lock()  # the chain's writer in this process
        self._queue_lock = threading.Lock()
        self._queue: list[_Queued] = []

    # --- codes -----------------------------------------------------------------------------

    def enrol(self, uow: UnitOfWork, agency: str, acquisitions: list[str]) -> list[str]:
        """The agency's codes for these 取得番号 (from J-LIS), made on first enrolment."""
        if len(acquisitions) > MAX_ENROL:
            raise errors.InvalidInput(f"at most {MAX_ENROL} per request", field="acquisition")
        if agency in ("hub", "jlis") or not agency:
            raise errors.InvalidInput("not an agency", field="agency")
        return uow.run(lambda conn: self._enrol(conn, agency, acquisitions))

    def _enrol(self, conn: Connection, agency: str, acquisitions: list[str]) -> list[str]:
        now = datetime.now(UTC)
        fps = [self.scheme.person_fp(a) for a in acquisitions]
        unique = list(dict.fromkeys(fps))
        refs = _refs(conn, unique)
        new = [fp for fp in unique if fp not in refs]
        if new:  # people no agency enrolled before: raw driver inserts (COPY on PostgreSQL)
            rows = [(fp, ref, now) for fp, ref in zip(new, new_ids(len(new)), strict=True)]
            bulk_insert(conn, store.persons, rows, ignore_duplicates=True)
            refs.update(_refs(conn, new))  # ours, or those of a writer that raced us
        issued = [self.scheme.code(agency, a) for a in acquisitions]
        bulk_insert(  # codes the agency already has are skipped
            conn,
            store.codes,
            [
                (agency, code, refs[fp], now)
                for code, fp in dict.fromkeys(zip(issued, fps, strict=True))
            ],
            ignore_duplicates=True,
        )
        return issued

    def person_of(self, uow: UnitOfWork, agency: str, code: str) -> str | None:
        """The internal reference behind an agency's own code (None: it matches nobody)."""
        with uow as conn:
            ref = conn.scalar(_PERSON_OF, {"wanted_agency": agency, "wanted": code})
        return None if ref is None else str(ref)

    def _code_at(self, uow: UnitOfWork, provider: str, person: str) -> tuple[str, str] | None:
        """(provider organisation, its code) for the person; a kind picks the newest."""
        if "-" in provider or provider not in ("municipality",):
            query, params = _CODE_OF_AGENCY, {"ref": person, "wanted_agency": provider}
        else:
            query, params = _CODE_OF_KIND, {"ref": person, "kind_pattern": f"{provider}-%"}
        with uow as conn:
            row = conn.execute(query, params).first()
        return None if row is None else (str(row[0]), str(row[1]))

    # --- relay -----------------------------------------------------------------------------

    def relay(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        """Check, convert, forward, record. Returns the provider's sealed answer (a JWE)."""
        exchange_id = new_id()
        person = self.person_of(uow, request.requester, request.code) or ""

        def record(outcome: str, reason: str = "", provider: str = request.provider) -> None:
            self._append(uow, exchange_id, person, request, provider, outcome, reason)

        if not person:
            record(REFUSED, "unknown_code: the code matches nobody for this requester")
            raise errors.NotFound("the code matches nobody for this requester", code="unknown_code")
        try:
            row = permitted.check(
                request.requester, request.procedure, request.provider, request.items
            )
        except permitted.NotPermitted as exc:
            record(REFUSED, f"not_permitted: {exc.message}")
            raise
        target = self._code_at(uow, request.provider, person)
        if target is None:
            record(NOT_FOUND, "the provider holds no record of this person")
            raise errors.NotFound("the provider holds no record of this person", code="not_held")
        provider, provider_code = target
        body = {
            "exchange_id": exchange_id,
            "code": provider_code,
            "requester": request.requester,
            "procedure": row.procedure,
            "items": sorted(request.items),
        }
        try:
            answer = self.forward(provider, body)
        except errors.NotFound as exc:
            record(NOT_FOUND, exc.message, provider)
            raise
        except Exception as exc:  # any failure of the provider is the same to the requester
            log.warning("provider %s failed: %s", provider, type(exc).__name__)
            record(UNAVAILABLE, failure_reason(exc), provider)
            raise errors.Unavailable(
                f"{provider} did not answer; the exchange is recorded as failed",
                code="provider_unavailable",
            ) from None
        sealed = answer.get("jwe") if isinstance(answer, dict) else None
        if not is_compact_jwe(sealed):
            record(UNAVAILABLE, "the provider's answer was not sealed", provider)
            raise errors.Unavailable(
                "the provider's answer was not sealed", code="provider_unavailable"
            )
        record(PROVIDED, "", provider)
        return {
            "exchange_id": exchange_id,
            "provider": provider,
            "procedure": row.procedure,
            "items": sorted(request.items),
            "jwe": sealed,
        }

    # --- records ---------------------------------------------------------------------------

    def _append(
        self,
        uow: UnitOfWork,
        exchange_id: str,
        person: str,
        request: Request,
        provider: str,
        outcome: str,
        reason: str,
    ) -> None:
        self.append(
            uow,
            [
                Entry(
                    exchange_id=exchange_id,
                    person=person,
                    requester=request.requester,
                    provider=provider,
                    procedure=request.procedure,
                    items=request.items,
                    outcome=outcome,
                    reason=reason,
                )
            ],
        )

    def append(self, uow: UnitOfWork, entries: Sequence[EntryFields]) -> chain.Head:
        """Append entries to the chain in one transaction, in order; returns the head after
        the last of them.

        A delivery to thousands of people is thousands of entries: one transaction keeps
        them together (all or none) and the chain unbroken. Group commit: the entries wait
        for the chain's writer lock; whoever holds it writes everything queued by then,
        other callers' entries too, in one transaction (so all of them, or none), in the
        holder's unit of work (which must not be open: the write is its own transaction).
        """
        if not entries:
            return self.head(uow)
        queued = _Queued(list(entries))
        with self._queue_lock:
            self._queue.append(queued)
        with self._append_lock:  # one writer in this process; a racing process retries
            if not queued.written:  # nobody wrote them while we waited: write all queued
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    uow.run(lambda conn: self._write(conn, batch), attempts=20)
                except BaseException as exc:
                    for waiting in batch:
                        waiting.error = exc
                    if not isinstance(exc, Exception):
                        raise
                finally:
                    for waiting in batch:
                        waiting.written = True
        if queued.error is not None:
            log.error("exchange records not written: %s", type(queued.error).__name__)
            raise errors.Unavailable(
                "the hub could not record the exchange", code="record_failed"
            ) from queued.error
        assert queued.head is not None
        return queued.head

    @staticmethod
    def _write(conn: Connection, batch: list[_Queued]) -> None:
        """Chain every queued entry after the current head, in order; note each caller's head."""
        last = conn.execute(_HEAD).first()
        head = chain.Head(0, chain.GENESIS) if last is None else chain.Head(last[0], last[1])
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        texts: dict[tuple[str, ...], str] = {}  # entries of one exchange share items

        def text_of(items: tuple[str, ...]) -> str:
            found = texts.get(items)
            if found is None:
                found = texts[items] = " ".join(sorted(items))[:2000]
            return found

        rows: list[tuple[Any, ...]] = []
        for queued in batch:
            entries = [  # the columns of store.records between seq and prev
                (
                    at,
                    exchange,
                    person,
                    asker,
                    to,
                    procedure[:60],
                    text_of(items),
                    outcome,
                    why[:500],
                )
                for exchange, person, asker, to, procedure, items, outcome, why in queued.entries
            ]
            mine, head = chain.link(entries, head)
            queued.head = head
            rows.extend(mine)
        bulk_insert(conn, store.records, rows)  # COPY on PostgreSQL

    def population(self, uow: UnitOfWork) -> tuple[int, int]:
        """How many people and agency codes the hub holds (for the health report)."""
        with uow as conn:
            return store.population(conn)

    def head(self, uow: UnitOfWork) -> chain.Head:
        """The chain's last record (sequence number and hash): genesis while it is empty."""
        with uow as conn:
            last = conn.execute(_HEAD).first()
        return chain.Head(0, chain.GENESIS) if last is None else chain.Head(last[0], last[1])

    def log(self, uow: UnitOfWork, *, after: int = 0, limit: int = 5000) -> list[dict[str, Any]]:
        """Entries after sequence number ``after``, oldest first (for ``verify-log``)."""
        with uow as conn:
            rows = conn.execute(
                select(store.records)
                .where(store.records.c.seq > after)
                .order_by(store.records.c.seq)
                .limit(limit)
            ).mappings()
            return [dict(r) for r in rows]

    def records_of(self, uow: UnitOfWork, agency: str, code: str) -> list[dict[str, Any]]:
        """Every exchange about the person behind ``agency``'s ``code``, oldest first."""
        person = self.person_of(uow, agency, code)
        if person is None:
            raise errors.NotFound("the code matches nobody for this caller", code="unknown_code")
        names = {r.procedure: r.procedure_name for r in permitted.table()}
        with uow as conn:
            rows = conn.execute(
                select(store.records)
                .where(store.records.c.person == person)
                .order_by(store.records.c.seq)
            ).mappings()
            return [
                {
                    "seq": r["seq"],
                    "at": r["at"],
                    "exchange_id": r["exchange_id"],
                    "requester": r["requester"],
                    "provider": r["provider"],
                    "procedure": r["procedure"],
                    "procedure_name": names.get(r["procedure"], ""),
                    "items": r["items"].split(),
                    "outcome": r["outcome"],
                    "reason": r["reason"],
                    "hash": r["hash"],
                }
                for r in rows
            ]
