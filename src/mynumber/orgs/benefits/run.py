"""A push-type payment run (プッシュ型給付), resumable phase by phase.

A run works in rounds. Round 1 goes through every phase; a later round (``benefit run``
again) starts at ``accounts`` and retries whoever is not yet paid: people who have since
registered an account or applied get a new attempt, nobody else is touched.

1. ``eligibility`` — pages of eligible residents from each municipality; each page's My
   Numbers become the office's own codes (kept from an earlier enrolment, else enrolled
   now through J-LIS and the hub) and are dropped; a per-person programme's payees with
   their first round's instructions (their accounts asked for as in ``accounts``), or a
   household programme's eligible people, and the municipality's cursor are stored in one
   transaction;
2. ``payees`` — one payee per (programme, code); a household benefit pays its head (its
   payees are made municipality by municipality, a part each);
3. ``accounts`` — each payee's account (a one-click application, else the registered
   public-fund account through the hub in bulk) becomes a payment instruction with the
   unique keys (programme, payee, attempt) and (payee, round); the first round asks about
   each pending payee once, a later round about everyone not yet paid;
4. ``files`` — the round's Zengin 総合振込 file for the paying bank (the payer account's
   bank), in parts of at most 999,999 records (:mod:`.files`);
5. ``transfers`` — each file (a part each) to the paying bank with its id as
   ``Idempotency-Key``; the paying bank credits its own records and routes the others over
   the Zengin network to their receiving banks; its result file is stored and each
   instruction marked credited or failed with the reason;
6. ``notices`` — through the hub to Mynaportal: credited, failed (why, what to do), or no
   registered account (with the one-click application link); on an engine in ranges of
   notice ids, a part each.

State lives in the office's database; each step commits what it did together with how far
it got, so a process killed at any moment reruns to the same end. Payments are exactly
once (unique keys, deterministic files, the banks' idempotency); a notice is sent at
least once (a crash between the hub's answer and our commit sends it again) and kept once:
each carries the ref ``programme:round:payee:kind`` (:func:`notice_ref`), which the portal
keeps unique per person.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, and_, bindparam, func, or_, select, tuple_, update

from mynumber import errors, jst
from mynumber.orgs.benefits import files, model, store
from mynumber.orgs.benefits.clients import Eligibility, EligiblePage
from mynumber.payments import MAX_COUNT, ResultCode, bank, read_results
from mynumber.platform.db import (
    among,
    bulk_insert,
    chunked,
    every_nth,
    insert_ignoring_duplicates,
    listed,
    plain_rows,
)
from mynumber.platform.ids import new_id, new_ids
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.benefits")

#: Why an instruction failed when its bank is not on this network: the paying bank's
#: result code for a receiving bank it cannot reach, or the office's own verdict when the
#: paying bank itself is off the network (then no file was sent).
BANK_NOT_CONNECTED = "bank_not_connected"

#: A new payee's (status, reason), the last columns of store.payees.
_PENDING = ("pending", None)

PHASES = ("eligibility", "payees", "accounts", "files", "transfers", "notices", "done")
#: Residents per eligibility page; payees per account batch (a bulk exchange at the hub);
#: notices per delivery. A page or batch costs a few round trips and signatures whatever
#: its size, so a national run wants them large — but past ~20,000 that cost is lost in
#: the noise (measured: pages of 20,000 and of 50,000 cost the same CPU per payee), while
#: on an engine a municipality is cut into ranges of a page, one part each, and smaller
#: parts keep the workers evenly busy to the end. A page of 20,000 is ~4 MB in memory.
PAGE = 20_000
BATCH = 20_000
NOTICE_BATCH = 1_000

#: On an engine's workers, a round's file is cut in up to this many parts (of at least
#: ``part_size`` records) for workers to write side by side; the paying bank gets each part
#: as a file of its own, as it does beyond 999,999 records. This project's choice.
FILE_PARTS_ON_WORKERS = 8

#: How long a run's lease on its round lasts unless renewed (each batch renews it).
LEASE = timedelta(minutes=10)

#: (phase, done, total) — total None while unknown.
Progress = Callable[[str, int, int | None], None]

#: A fresh unit of work on the office's database, made by the composition (the app, a
#: worker, a command): a run commits in many short transactions, one per page or batch.
Units = Callable[[], UnitOfWork]


class RunClients(Protocol):
    """What a run asks of other organisations (:class:`.clients.Clients` over the network;
    a service test's fakes): the municipalities' eligibility pages, the office's codes
    (J-LIS and the hub), registered accounts (the hub), the paying bank, Mynaportal."""

    def eligible(
        self,
        municipality: str,
        who: Eligibility,
        *,
        after: str | None,
        upto: str | None,
        limit: int,
    ) -> EligiblePage: ...

    def eligible_bounds(self, municipality: str, who: Eligibility, *, every: int) -> list[str]: ...

    def enrol(self, numbers: list[str]) -> dict[str, str | None]: ...

    def accounts(self, codes: list[str]) -> list[model.Account | None]: ...

    def reaches(self, bank_code: str) -> bool: ...

    def transfer(self, bank_code: str, file_id: str, content: bytes) -> bytes: ...

    def notify(
        self, codes: list[str], messages: list[dict[str, str]]
    ) -> tuple[str, list[bool]]: ...


@dataclass(frozen=True, slots=True)
class Part:
    """One partition of a phase: a range of a municipality's eligibility pages
    (``("eligibility", programme, round, municipality, None, range)``), a household
    programme's payees in one municipality (``("payees", programme, round, municipality,
    None)``), the open payees of a round with ids in ``(after, upto]`` (``("accounts",
    programme, round, after, upto)``; ``upto`` None: to the end), part ``number`` of the
    round's file, its records in ``(after, upto]`` by :func:`files.order`, a written file
    to transfer (``("transfers", programme, round, file id, None)``), or the pending
    notices with ids in ``(after, upto]`` (``("notices", programme, round, after, upto)``).
    Each is idempotent: run twice, or by two workers at once, it leaves what one run leaves
    (cursors move by compare-and-set; instructions have the unique keys (programme, payee,
    attempt) and (payee, round); a file's bytes depend on its records only, and it is
    recorded once by its id; the paying bank answers a file sent again under its id with
    the same results, and a settled instruction is not settled again; a notice sent is no
    longer pending)."""

    phase: str
    programme_id: str
    round: int
    after: str
    upto: str | None
    number: int = 0  # a file part's number (its records in (after, upto]), a range's part


class Partitions(Protocol):
    """Runs a phase's parts and returns when every one is done, calling ``done(n)`` as
    the n-th finishes."""

    def run_parts(
        self, runner: PaymentRun, parts: list[Part], done: Callable[[int], None]
    ) -> None: ...


class InProcess:
    """The embedded default: the parts one after the other, in this process. A
    distributed engine runs them on workers instead (:mod:`mynumber.federation.distributed`)."""

    def run_parts(self, runner: PaymentRun, parts: list[Part], done: Callable[[int], None]) -> None:
        for n, part in enumerate(parts, start=1):
            runner.run_part(part)
            done(n)


def _quiet(phase: str, done: int, total: int | None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Round:
    id: str
    programme_id: str
    number: int
    phase: str
    transfer_date: date


def reason_of(code: ResultCode) -> str:
    """The stored reason of a bank's result code (``name_mismatch``, ``no_such_account`` …)."""
    return code.name.lower()


class PaymentRun:
    """Runs (and resumes) rounds of a programme against the office's database, each step
    in a unit of work of its own from ``units`` (no transaction is held across a call to
    another organisation)."""

    def __init__(
        self,
        *,
        units: Units,
        clients: RunClients,
        folder: Path,
        page: int = PAGE,
        batch: int = BATCH,
        max_records: int | None = None,
        number_key: bytes,
        partitions: Partitions | None = None,
        part_size: int | None = None,
    ) -> None:
        self.units = units
        self.clients = clients
        #: The office's key for the hashes it keeps of enrolled numbers (store.enrolments).
        self.number_key = number_key
        self.folder = folder
        self.page = page
        self.batch = batch
        self.max_records = max_records
        self.partitions: Partitions = partitions or InProcess()
        #: Open payees per accounts part (None: one part for the whole round).
        self.part_size = part_size

    def run_part(self, part: Part) -> None:
        """Do one part of a phase (what a worker does with a task); idempotent."""
        p = self._programme(part.programme_id)
        if part.phase == "eligibility":
            self._eligibility_of(p, part.round, part.after, part.number)
        elif part.phase == "payees":
            self._household_payees(p, part.after)
        elif part.phase == "accounts":
            self._accounts_between(p, part.round, part.after, part.upto, _quiet, 0, 0)
        elif part.phase == "files":
            self._file_part(p, part.round, part.number, part.after, part.upto)
        elif part.phase == "transfers":
            self._transfer(p, part.round, part.after)
        elif part.phase == "notices":
            self._notices_between(p, part.after, part.upto)
        else:
            raise errors.InvalidInput(f"no such part of a run: {part.phase}", field="phase")

    # --- rounds -----------------------------------------------------------------------------

    def run(self, programme_id: str, progress: Progress = _quiet) -> dict[str, Any]:
        """Finish the open round, or run a new one; returns what the round did.

        :class:`model.NotApproved` if nobody approved the programme (another staff member
        than its maker must); :class:`errors.Conflict` (``running``) if another run of the
        programme holds the round's lease: two runs at once could file instructions the
        other has not made yet.
        """
        programme = self._programme(programme_id)
        if programme["approved_at"] is None:
            raise model.NotApproved("the programme is not approved yet: it cannot be run")
        current = self._open_round(programme_id)
        owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lease(current, owner)

        def report(phase: str, done: int, total: int | None) -> None:
            self._lease(current, owner)
            progress(phase, done, total)

        try:
            for phase in PHASES[PHASES.index(current.phase) : -1]:
                getattr(self, f"_{phase}")(programme, current, report)
                self._advance(current, phase)
            return self._finish(current)
        finally:
            self._release(current, owner)

    def _lease(self, current: Round, owner: str) -> None:
        """Take or renew the round's lease (compare-and-set, so two runs never both hold
        it); a lease of a process on this host that is gone (killed) is taken over at
        once, any other only once it has expired."""
        r = store.rounds.c
        now = datetime.now(UTC)
        take = update(store.rounds).values(lease_owner=owner, lease_until=now + LEASE)

        def work(conn: Connection) -> bool:
            free = or_(r.lease_owner.is_(None), r.lease_owner == owner, r.lease_until < now)
            if conn.execute(take.where(r.id == current.id, free)).rowcount == 1:
                return True
            holder = conn.scalar(select(r.lease_owner).where(r.id == current.id))
            if holder is not None and not _alive(str(holder)):
                gone = r.lease_owner == holder
                return bool(conn.execute(take.where(r.id == current.id, gone)).rowcount == 1)
            return False

        if self.units().run(work, attempts=1):
            return
        raise errors.Conflict("another run of this programme is going on", code="running")

    def _release(self, current: Round, owner: str) -> None:
        r = store.rounds.c
        self.units().run(
            lambda conn: conn.execute(
                update(store.rounds)
                .where(r.id == current.id, r.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            ),
            attempts=1,
        )

    def _programme(self, programme_id: str) -> dict[str, Any]:
        with self.units() as conn:
            row = (
                conn.execute(select(store.programmes).where(store.programmes.c.id == programme_id))
                .mappings()
                .first()
            )
        if row is None:
            raise errors.NotFound("no such programme", code="no_programme")
        return dict(row)

    def _open_round(self, programme_id: str) -> Round:
        r = store.rounds.c

        def work(conn: Connection) -> Round:
            last = conn.execute(
                select(store.rounds)
                .where(r.programme_id == programme_id)
                .order_by(r.number.desc())
                .limit(1)
            ).first()
            if last is not None and last.finished_at is None:
                return Round(last.id, programme_id, last.number, last.phase, last.transfer_date)
            number = 1 if last is None else last.number + 1
            row = Round(
                new_id(),
                programme_id,
                number,
                "eligibility" if number == 1 else "accounts",
                jst.today(),
            )
            conn.execute(
                store.rounds.insert().values(
                    id=row.id,
                    programme_id=programme_id,
                    number=number,
                    phase=row.phase,
                    transfer_date=row.transfer_date,
                    started_at=datetime.now(UTC),
                )
            )
            return row

        return self.units().run(work)

    def _advance(self, current: Round, phase: str) -> None:
        following = PHASES[PHASES.index(phase) + 1]
        self.units().run(
            lambda conn: conn.execute(
                update(store.rounds)
                .where(store.rounds.c.id == current.id, store.rounds.c.phase == phase)
                .values(phase=following)
            ),
            attempts=1,
        )

    def _finish(self, current: Round) -> dict[str, Any]:
        i, n = store.instructions.c, store.notices.c

        def work(conn: Connection) -> dict[str, Any]:
            made = conn.scalar(
                select(func.count())
                .select_from(store.instructions)
                .where(i.programme_id == current.programme_id, i.round == current.number)
            )
            told = conn.scalar(
                select(func.count())
                .select_from(store.notices)
                .where(n.programme_id == current.programme_id, n.round == current.number)
            )
            if current.number > 1 and not made and not told:
                # a retry round that found nothing to do leaves no trace
                conn.execute(store.rounds.delete().where(store.rounds.c.id == current.id))
                return {"round": None, "instructions": 0, "notices": 0}
            conn.execute(
                update(store.rounds)
                .where(store.rounds.c.id == current.id, store.rounds.c.finished_at.is_(None))
                .values(finished_at=datetime.now(UTC))
            )
            return {"round": current.number, "instructions": made, "notices": told}

        return self.units().run(work, attempts=1)

    # --- 1. eligibility ---------------------------------------------------------------------

    def _eligibility(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        c = store.eligibility_cursors.c
        for m in p["municipalities"].split():
            self._cut(p, m)
        with self.units() as conn:
            ranges = conn.execute(
                select(c.municipality, c.part)
                .where(c.programme_id == p["id"], c.done.is_(False))
                .order_by(c.part, c.municipality)  # municipalities side by side
            ).all()
        progress("eligibility", self._read(p["id"]), None)
        parts = [Part("eligibility", p["id"], current.number, m, None, n) for m, n in ranges]
        self.partitions.run_parts(
            self, parts, lambda n: progress("eligibility", self._read(p["id"]), None)
        )
        read = self._read(p["id"])
        progress("eligibility", read, read)

    def _cut(self, p: dict[str, Any], m: str) -> None:
        """The municipality's cursors, once: on an engine one per range of ``page`` people
        (the municipality's bounds), for workers to read side by side; else one to the end.
        Kept as first made, so a resumed run reads the same ranges."""
        c = store.eligibility_cursors
        with self.units() as conn:
            if (
                conn.scalar(
                    select(c.c.part)
                    .where(c.c.programme_id == p["id"], c.c.municipality == m)
                    .limit(1)
                )
                is not None
            ):
                return
        ends: list[str | None] = [None]
        if self.part_size:
            bounds = self.clients.eligible_bounds(m, _who(p), every=self.page)
            ends = [*bounds, None]
        starts = [None, *ends[:-1]]
        rows = [
            {
                **{"programme_id": p["id"], "municipality": m, "part": n},
                **{"after": after, "upto": upto, "done": False, "read": 0},
            }
            for n, (after, upto) in enumerate(zip(starts, ends, strict=True))
        ]
        self.units().run(lambda conn: insert_ignoring_duplicates(conn, c, rows))

    def _eligibility_of(self, p: dict[str, Any], round_number: int, m: str, part: int) -> None:
        """Every page of one range of a municipality, from its stored cursor to its end."""
        c = store.eligibility_cursors
        mine = (c.c.programme_id == p["id"], c.c.municipality == m, c.c.part == part)
        while True:
            with self.units() as conn:
                cursor = conn.execute(select(c).where(*mine)).one()
            if cursor.done:
                return
            self._eligibility_page(p, round_number, cursor)

    def _read(self, programme_id: str) -> int:
        c = store.eligibility_cursors.c
        with self.units() as conn:
            return int(
                conn.scalar(select(func.sum(c.read)).where(c.programme_id == programme_id)) or 0
            )

    def _eligibility_page(self, p: dict[str, Any], round_number: int, cursor: Any) -> None:
        """The page after a range's cursor (a row of store.eligibility_cursors)."""
        m, after = cursor.municipality, cursor.after
        page = self.clients.eligible(m, _who(p), after=after, upto=cursor.upto, limit=self.page)
        codes, enrolled = self._codes(page.my_number)
        page.my_number.clear()  # the numbers are dropped here
        read = cursor.read + len(codes)
        rows = [  # in the column order of store.eligibles
            (p["id"], code, m, household, head, kana[:60], age)
            for code, household, head, kana, age in zip(
                codes, page.household, page.head, page.kana, page.age, strict=True
            )
            if code is not None
        ]
        # in code order: the unique keys (programme, code) take the page's rows in order,
        # not at random places (ids are made in this order, so their indexes still append)
        rows.sort(key=itemgetter(1))
        # a per-person programme's payees are its eligible people: they are written now,
        # with their first round's instructions, and the page is not kept; a household
        # programme keeps it to find each household's head
        per_person = p["per"] == "person"
        payees = _person_payees(p, rows) if per_person else []
        payees, instructions = self._instruct_new(p, round_number, payees)
        c = store.eligibility_cursors

        def work(conn: Connection) -> None:
            # the cursor first (compare-and-set): a page another run read first is theirs,
            # and this transaction writes nothing of it
            moved = conn.execute(
                update(c)
                .where(
                    c.c.programme_id == p["id"],
                    c.c.municipality == m,
                    c.c.part == cursor.part,
                    c.c.after.is_(None) if after is None else c.c.after == after,
                    c.c.done.is_(False),
                )
                .values(after=page.next, done=page.next is None, read=read)
            ).rowcount
            if moved != 1:
                raise errors.Conflict("the page was read concurrently", code="concurrent_run")
            bulk_insert(conn, store.enrolments, enrolled, ignore_duplicates=True)
            if not per_person:
                bulk_insert(conn, store.eligibles, rows, ignore_duplicates=True)
            # one payee per (programme, code), and its instructions have the unique keys
            # (programme, payee, attempt) and (payee, round)
            bulk_insert(conn, store.payees, payees, ignore_duplicates=True)
            bulk_insert(conn, store.instructions, instructions, ignore_duplicates=True)

        try:
            self.units().run(work)
        except errors.Conflict:
            log.info("eligibility page of %s read by another run", m)

    def _instruct_new(
        self, p: dict[str, Any], round_number: int, payees: list[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """A page's new payees (rows of store.payees), each ``instructed`` or
        ``no_account``, and their first round's instructions: their accounts are asked for
        with the page, so the round reads no payee back to ask again."""
        if not payees:
            return payees, []
        a = store.applications.c
        codes = [y[2] for y in payees]
        applied: dict[str, tuple[Any, ...]] = {}
        with self.units() as conn:
            if conn.scalar(select(a.code).where(a.programme_id == p["id"]).limit(1)):
                found = conn.execute(
                    select(a.code, *_APPLICATION).where(
                        a.programme_id == p["id"], among(conn, a.code, codes)
                    )
                )
                applied = {code: tuple(rest) for code, *rest in found}
        nothing = (None,) * len(_APPLICATION)
        batch = [  # the shape of the accounts phase's rows: no earlier instruction
            (y[0], y[2], "pending", y[7], *applied.get(y[2], nothing), *_NO_INSTRUCTION)
            for y in payees
        ]
        instructions, instructed, missing = self._instructions(p, round_number, batch)
        status = dict.fromkeys(instructed, "instructed") | dict.fromkeys(missing, "no_account")
        return [(*y[:8], status.get(y[0], "pending"), None) for y in payees], instructions

    def _codes(self, numbers: list[str]) -> tuple[list[str | None], list[tuple[str, str]]]:
        """The office's code for each My Number of a page (None: not a current one), and
        the (hash, code) pairs enrolled now: a number the office enrolled before is found
        by its keyed hash; only the others go to J-LIS and the hub
        (:meth:`RunClients.enrol`)."""
        fps = model.number_fingerprints(self.number_key, numbers)
        e = store.enrolments.c
        with self.units() as conn:
            wanted = listed(conn, sorted(fps))
            found = plain_rows(
                conn,
                select(wanted.c.value, e.code).select_from(
                    wanted.outerjoin(store.enrolments, e.number_fp == wanted.c.value)
                ),
            )
            known: dict[str, str] = {fp: code for fp, code in found if code is not None}
        unknown = [(n, fp) for n, fp in zip(numbers, fps, strict=True) if fp not in known]
        fresh = self.clients.enrol([n for n, _ in unknown]) if unknown else {}
        enrolled = [(fp, code) for n, fp in unknown if (code := fresh.get(n)) is not None]
        known.update(enrolled)
        return [known.get(fp) for fp in fps], enrolled

    # --- 2. payees --------------------------------------------------------------------------

    def _payees(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        """A household programme's payees, municipality by municipality, a part each (a
        household lives in one municipality); a per-person programme's were made with each
        eligibility page."""
        y = store.payees.c
        if p["per"] == "household":
            parts = [
                Part("payees", p["id"], current.number, m, None)
                for m in p["municipalities"].split()
            ]
            self.partitions.run_parts(self, parts, lambda n: None)
        with self.units() as conn:
            made = int(
                conn.scalar(
                    select(func.count()).select_from(store.payees).where(y.programme_id == p["id"])
                )
                or 0
            )
        progress("payees", made, made)

    # --- 3. accounts → instructions ---------------------------------------------------------

    def _household_payees(self, p: dict[str, Any], municipality: str) -> None:
        """The payees of a household programme's eligible people in one municipality."""
        e = store.eligibles.c
        with self.units() as conn:
            eligible = [
                model.Eligible(*r)
                for r in conn.execute(
                    select(e.code, e.municipality, e.household, e.head, e.kana, e.age).where(
                        e.programme_id == p["id"], e.municipality == municipality
                    )
                )
            ]
        paid = model.payees(_rules(p), eligible)
        rows = [
            (
                *(made, p["id"], x.code, x.municipality, x.household),
                *(x.name, x.members, x.amount, *_PENDING),
            )
            for made, x in zip(new_ids(len(paid)), paid, strict=True)
        ]
        # one payee per (programme, code): a part done again skips those it made before
        self.units().run(lambda conn: bulk_insert(conn, store.payees, rows, ignore_duplicates=True))

    def _open_payees(self, p: dict[str, Any], round_number: int) -> Any:
        """Payees of the programme still to be instructed in this round (each looked up
        in the unique key (payee, round): no list of the round's instructions is built).
        The first round asks about each payee once (pending ones); a later round asks
        again about whoever is not paid yet."""
        y, i = store.payees.c, store.instructions.c
        this_round = select(i.id).where(i.payee_id == y.id, i.round == round_number)
        unpaid = ("pending",) if round_number == 1 else ("pending", "no_account", "failed")
        return and_(y.programme_id == p["id"], y.status.in_(unpaid), ~this_round.exists())

    def _accounts(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        y = store.payees.c
        open_payees = self._open_payees(p, current.number)
        with self.units() as conn:
            total = int(
                conn.scalar(select(func.count()).select_from(store.payees).where(open_payees)) or 0
            )
            bounds = self._bounds(conn, y.id, open_payees, total)
        progress("accounts", 0, total)
        if not bounds:
            self._accounts_between(p, current.number, "", None, progress, 0, total)
            return
        self._run_ranges("accounts", p, current, bounds, progress, total)

    def _bounds(self, conn: Connection, key: Any, where: Any, total: int) -> list[str]:
        """The parts' upper bounds: every ``part_size``-th ``key`` that ``where`` selects,
        in order (none when unset, or when all ``total`` fit in one part)."""
        if not self.part_size or total <= self.part_size:
            return []
        return [k for (k,) in every_nth(conn, [key], where, self.part_size)]

    def _run_ranges(
        self,
        phase: str,
        p: dict[str, Any],
        current: Round,
        bounds: list[str],
        progress: Progress,
        total: int,
    ) -> None:
        """The phase's parts between ``bounds`` (from the first key to the last)."""
        parts = [
            Part(phase, p["id"], current.number, low, high)
            for low, high in zip(["", *bounds], [*bounds, None], strict=True)
        ]
        self.partitions.run_parts(
            self, parts, lambda n: progress(phase, min(total, n * (self.part_size or total)), total)
        )

    def _accounts_between(
        self,
        p: dict[str, Any],
        round_number: int,
        after: str,
        upto: str | None,
        progress: Progress,
        done: int,
        total: int,
    ) -> None:
        """Instructions for the open payees with ids in (after, upto], batch by batch."""
        y, i = store.payees.c, store.instructions.c
        open_payees = self._open_payees(p, round_number)
        if upto is not None:
            open_payees = and_(open_payees, y.id <= upto)
        a = store.applications.c
        last = store.instructions.alias("last")
        newest = (
            select(func.max(i.attempt))
            .where(i.programme_id == p["id"], i.payee_id == y.id)
            .scalar_subquery()
        )
        # each open payee with its one-click application and its last instruction, if any
        joined = store.payees.outerjoin(
            store.applications, and_(a.programme_id == y.programme_id, a.code == y.code)
        ).outerjoin(
            last,
            and_(
                last.c.programme_id == y.programme_id,
                last.c.payee_id == y.id,
                last.c.attempt == newest,
            ),
        )
        columns = (
            *(y.id, y.code, y.status, y.amount, *_APPLICATION),
            *(last.c.attempt, last.c.bank_code, last.c.branch_code),
            *(last.c.deposit_type, last.c.account_number, last.c.created_at),
        )
        while True:
            with self.units() as conn:
                batch = conn.execute(
                    select(*columns)
                    .select_from(joined)
                    .where(open_payees, y.id > after)
                    .order_by(y.id)
                    .limit(self.batch)
                ).all()
            if not batch:
                break
            self._account_batch(p, round_number, batch)
            after = batch[-1][0]
            done += len(batch)
            progress("accounts", done, total)

    def _account_batch(self, p: dict[str, Any], round_number: int, batch: Sequence[Any]) -> None:
        """Instructions for a batch of open payees (rows of :meth:`_accounts`' query)."""
        instructions, instructed, missing = self._instructions(p, round_number, batch)
        y = store.payees.c

        def work(conn: Connection) -> None:
            # the unique keys (programme, payee, attempt) and (payee, round) are the guard
            bulk_insert(conn, store.instructions, instructions, ignore_duplicates=True)
            for ids, status in ((instructed, "instructed"), (missing, "no_account")):
                if ids:
                    conn.execute(
                        update(store.payees)
                        .where(among(conn, y.id, ids))
                        .values(status=status, reason=None)
                    )

        self.units().run(work)

    def _instructions(
        self, p: dict[str, Any], round_number: int, batch: Sequence[Sequence[Any]]
    ) -> tuple[list[tuple[Any, ...]], list[str], list[str]]:
        """For payees (rows of :meth:`_accounts`' query: the payee, its application, its
        last instruction), asking the hub for registered accounts where no application
        names one: the instructions (rows of store.instructions), the payees instructed,
        and the pending payees with no account."""
        ask = [b[1] for b in batch if b[4] != "account"]  # no account named in an application
        registered = dict(zip(ask, self.clients.accounts(ask), strict=True)) if ask else {}
        now = datetime.now(UTC)
        ids = iter(new_ids(len(batch)))
        instructions: list[tuple[Any, ...]] = []
        instructed, missing = [], []
        for row in batch:
            payee, code, status, amount, choice = row[:5]
            named, received_at, attempt, before = row[5:9], row[9], row[10], row[11:16]
            account: model.Account | None
            if choice == "account":
                account = (named[0], named[1], named[2], str(named[3]).zfill(7))
                source = "application"
            else:
                account, source = registered.get(code), "registered"
            if account is None:
                if status == "pending":
                    missing.append(payee)
                continue
            if attempt is not None:
                fresh_application = (  # the person named this account again, explicitly
                    choice == "account" and received_at > before[4]
                )
                if tuple(before[:4]) == account and not fresh_application:
                    continue  # the account that failed, again: a definitive failure, noticed
            instructions.append(
                (
                    *(next(ids), p["id"], payee, 1 if attempt is None else attempt + 1),
                    *(round_number, source, *account, amount, "planned"),
                    *(None, now, None),  # reason, created, settled
                )
            )
            instructed.append(payee)
        return instructions, instructed, missing

    # --- 4. files ---------------------------------------------------------------------------

    def _files(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        """The round's file for the paying bank, in parts of at most ``max_records``
        records: every ``max_records``-th record in :func:`files.order` ends a part, and
        each part is read, written and recorded on its own (:meth:`_file_part`), on the
        engine's workers when one is configured — no part needs another's lines."""
        i = store.instructions.c
        this_round = and_(i.programme_id == p["id"], i.round == current.number)
        with self.units() as conn:
            total = int(
                conn.scalar(select(func.count()).select_from(store.instructions).where(this_round))
                or 0
            )
        size = self._part_records(current, total)
        with self.units() as conn:
            ends = [
                json.dumps(list(key)) for key in every_nth(conn, _IN_FILE_ORDER, this_round, size)
            ]
        count = -(-total // size)
        parts = [
            Part("files", p["id"], current.number, after, upto, number)
            for number, after, upto in zip(
                range(1, count + 1), ["", *ends], [*ends, None], strict=False
            )
        ]
        progress("files", 0, count)
        self.partitions.run_parts(self, parts, lambda n: progress("files", n, count))

    def _part_records(self, current: Round, total: int) -> int:
        """Records per part of the round's file: at most ``max_records``; on an engine,
        few enough that :data:`FILE_PARTS_ON_WORKERS` workers write parts side by side
        (never fewer than ``part_size``). Fixed in the round the first time its files are
        cut, so a resumed phase — on an engine or not — cuts the same parts."""
        size = self.max_records or MAX_COUNT
        if self.part_size:
            size = min(size, max(self.part_size, -(-total // FILE_PARTS_ON_WORKERS)))
        r = store.rounds.c

        def work(conn: Connection) -> int:
            conn.execute(
                update(store.rounds)
                .where(r.id == current.id, r.file_records.is_(None))
                .values(file_records=size)
            )
            return int(conn.scalar(select(r.file_records).where(r.id == current.id)) or size)

        return self.units().run(work)

    def _file_part(
        self, p: dict[str, Any], round_number: int, number: int, after: str, upto: str | None
    ) -> None:
        """Part ``number`` of the round's file: the records after the key ``after`` and up
        to ``upto`` (JSON lists in :func:`files.order`; "" from the first, None to the
        last), written atomically and recorded with its first and last records' keys.
        Idempotent: a part recorded before is left as it is."""
        i, y, f = store.instructions.c, store.payees.c, store.transfer_files.c
        file_id = files.file_id(p["id"], round_number, p["payer_bank"], number)
        key = tuple_(*_IN_FILE_ORDER)
        bounds = [i.programme_id == p["id"], i.round == round_number]
        if after:
            bounds.append(key > tuple_(*json.loads(after)))
        if upto is not None:
            bounds.append(key <= tuple_(*json.loads(upto)))
        with self.units() as conn:
            if conn.scalar(select(f.id).where(f.id == file_id)) is not None:
                return
            transfer_date = _transfer_date(conn, p["id"], round_number)
            lines = list(
                map(
                    files.Line._make,
                    plain_rows(
                        conn,
                        select(
                            *(i.id, i.bank_code, i.branch_code, i.deposit_type, i.account_number),
                            *(y.name, i.amount),
                        )
                        .join_from(store.instructions, store.payees, y.id == i.payee_id)
                        .where(*bounds),
                    ),
                )
            )
        plan = files.part(p["id"], round_number, number, lines, paying_bank=p["payer_bank"])
        head = files.header(
            payer_code=p["payer_code"],
            payer_name=p["payer_name"],
            bank_code=p["payer_bank"],
            branch_code=p["payer_branch"],
            deposit_type=p["payer_deposit_type"],
            account_number=p["payer_account"],
            transfer_date=transfer_date,
        )
        path = self.folder / p["id"] / f"round-{round_number:03d}" / f"{plan.id}.zengin"
        data = files.render(head, plan)
        files.write_atomically(path, data)
        self._record_file(p, round_number, plan, path, data)

    def _record_file(
        self, p: dict[str, Any], round_number: int, plan: files.Planned, path: Path, data: bytes
    ) -> None:
        row = {
            "id": plan.id,
            "programme_id": p["id"],
            "round": round_number,
            "bank_code": plan.bank_code,
            "part": plan.part,
            "first_key": json.dumps(files.order(plan.lines[0])),
            "last_key": json.dumps(files.order(plan.lines[-1])),
            "path": str(path),
            "sha256": files.sha256(data),
            "count": len(plan.lines),
            "total": sum(x.amount for x in plan.lines),
            "status": "written",
            "result_path": None,
            "credited_count": None,
            "credited_total": None,
            "settled_at": None,
        }
        self.units().run(lambda conn: insert_ignoring_duplicates(conn, store.transfer_files, [row]))

    # --- 5. transfers -----------------------------------------------------------------------

    def _transfers(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        """Each file of the round not yet settled to the paying bank, a part each (on the
        engine's workers when one is configured: the bank's ``Idempotency-Key`` and the
        settlement's guards make a part done twice the same as once)."""
        f = store.transfer_files.c
        with self.units() as conn:
            pending = conn.execute(
                select(f.id)
                .where(f.programme_id == p["id"], f.round == current.number)
                .where(f.status != "settled")
                .order_by(f.id)
            ).scalars()
            parts = [Part("transfers", p["id"], current.number, file, None) for file in pending]
        progress("transfers", 0, len(parts))
        self.partitions.run_parts(self, parts, lambda n: progress("transfers", n, len(parts)))

    def _transfer(self, p: dict[str, Any], round_number: int, file_id: str) -> None:
        """The file ``file_id`` to the paying bank and its results settled, unless it was."""
        f = store.transfer_files.c
        with self.units() as conn:
            row = conn.execute(select(store.transfer_files).where(f.id == file_id)).one()
            transfer_date = _transfer_date(conn, p["id"], round_number)
        if row.status != "settled":
            self._submit(p, round_number, transfer_date, row)

    def _submit(self, p: dict[str, Any], round_number: int, transfer_date: date, row: Any) -> None:
        i = store.instructions.c
        key = tuple_(*_IN_FILE_ORDER)
        with self.units() as conn:
            found = conn.execute(
                select(*_IN_FILE_ORDER, i.payee_id, i.amount).where(
                    i.programme_id == p["id"],
                    i.round == round_number,
                    key >= tuple_(*json.loads(row.first_key)),
                    key <= tuple_(*json.loads(row.last_key)),
                )
            ).all()
        placed = sorted(found, key=lambda r: r[:5])  # the part's records, as files.order has them
        if len(placed) != row.count:
            raise errors.Conflict(
                f"transfer file {row.id} holds {row.count} records, not {len(placed)}",
                code="file_changed",
            )
        outcomes: list[tuple[Any, bool, str | None]] = []
        if not self.clients.reaches(row.bank_code):
            # the paying bank is in the Zengin list but not on this network
            outcomes = [(placed[n], False, BANK_NOT_CONNECTED) for n in range(row.count)]
            self._settle(row, outcomes, None)
            return
        data = Path(row.path).read_bytes()
        if files.sha256(data) != row.sha256:
            raise errors.Conflict(f"transfer file {row.id} changed on disk", code="file_changed")
        answer = self.clients.transfer(row.bank_code, row.id, data)
        result_path = Path(row.path).with_suffix(".result")
        files.write_atomically(result_path, answer)
        results = read_results(answer, reference=transfer_date).results
        if len(results) != row.count:
            raise errors.Unavailable(f"bank {row.bank_code} answered {len(results)} results")
        for index, result in enumerate(results):
            mine = placed[index]
            if (result.transfer.amount, result.transfer.account_number) != (
                mine.amount,
                mine.account_number,
            ):
                raise errors.Unavailable(f"bank {row.bank_code}'s result {index} is not ours")
            ok = result.credited
            outcomes.append((mine, ok, None if ok else reason_of(result.code)))
        self._settle(row, outcomes, result_path)

    def _settle(
        self, row: Any, outcomes: list[tuple[Any, bool, str | None]], result_path: Path | None
    ) -> None:
        """Mark each instruction of the file credited or failed, its payee likewise, and
        the file settled with its credited count and total — in one transaction."""
        i = store.instructions
        now = datetime.now(UTC)
        settle, payees = [], []
        credited_count = credited_total = 0
        for mine, ok, reason in outcomes:
            status = "credited" if ok else "failed"
            settle.append({"_id": mine.id, "_status": status, "_reason": reason, "_at": now})
            payees.append({"_id": mine.payee_id, "_status": status, "_reason": reason})
            if ok:
                credited_count += 1
                credited_total += mine.amount

        def work(conn: Connection) -> None:
            for part in chunked(settle):
                conn.execute(
                    update(i)
                    .where(i.c.id == bindparam("_id"), i.c.status == "planned")
                    .values(
                        status=bindparam("_status"),
                        reason=bindparam("_reason"),
                        settled_at=bindparam("_at"),
                    ),
                    part,
                )
            y = store.payees
            for part in chunked(payees):
                conn.execute(
                    update(y)
                    .where(y.c.id == bindparam("_id"), y.c.status != "credited")
                    .values(status=bindparam("_status"), reason=bindparam("_reason")),
                    part,
                )
            conn.execute(
                update(store.transfer_files)
                .where(store.transfer_files.c.id == row.id)
                .values(
                    status="settled",
                    result_path=None if result_path is None else str(result_path),
                    credited_count=credited_count,
                    credited_total=credited_total,
                    settled_at=now,
                )
            )

        self.units().run(work)

    # --- 6. notices -------------------------------------------------------------------------

    def _notices(self, p: dict[str, Any], current: Round, progress: Progress) -> None:
        """The round's notices planned, then sent: in ranges of notice ids, a part each,
        when an engine is set (a part sent again finds its notices sent: at least once,
        and the portal keeps each ref once)."""
        self._plan_notices(p, current)
        n = store.notices.c
        pending = and_(n.programme_id == p["id"], n.outcome == "pending")
        with self.units() as conn:
            total = int(
                conn.scalar(select(func.count()).select_from(store.notices).where(pending)) or 0
            )
            bounds = self._bounds(conn, n.id, pending, total)
        progress("notices", 0, total)
        if not bounds:
            self._notices_between(p, "", None, progress, total)
            return
        self._run_ranges("notices", p, current, bounds, progress, total)

    def _notices_between(
        self,
        p: dict[str, Any],
        after: str,
        upto: str | None,
        progress: Progress = _quiet,
        total: int = 0,
    ) -> None:
        """The programme's pending notices with ids in ``(after, upto]``, in batches."""
        n, y = store.notices.c, store.payees.c
        where = [n.programme_id == p["id"], n.outcome == "pending", n.id > after]
        if upto is not None:
            where.append(n.id <= upto)
        done = 0
        while True:
            with self.units() as conn:
                pending = conn.execute(
                    select(n.id, n.subject, n.kind, n.round, n.payee_id, y.code, y.amount)
                    .join_from(store.notices, store.payees, y.id == n.payee_id)
                    .where(*where)
                    .order_by(n.id)
                    .limit(NOTICE_BATCH)
                ).all()
            if not pending:
                break
            self._send_notices(p, pending)
            done += len(pending)
            progress("notices", done, max(total, done))

    def _plan_notices(self, p: dict[str, Any], current: Round) -> None:
        i, y = store.instructions.c, store.payees.c
        with self.units() as conn:
            settled = conn.execute(
                select(i.id, i.payee_id, i.status).where(
                    i.programme_id == p["id"],
                    i.round == current.number,
                    i.status.in_(("credited", "failed")),
                )
            ).all()
            missing = conn.scalars(
                select(y.id).where(y.programme_id == p["id"], y.status == "no_account")
            ).all()
        rows = [
            {
                "id": new_id(),
                "programme_id": p["id"],
                "payee_id": s.payee_id,
                "subject": f"{s.status}:{s.id}",
                "kind": s.status,
                "round": current.number,
                "outcome": "pending",
                "delivery_id": None,
                "sent_at": None,
            }
            for s in settled
        ] + [
            {
                "id": new_id(),
                "programme_id": p["id"],
                "payee_id": payee,
                "subject": "no_account",
                "kind": "no_account",
                "round": current.number,
                "outcome": "pending",
                "delivery_id": None,
                "sent_at": None,
            }
            for payee in missing
        ]

        def work(conn: Connection) -> None:
            for part in chunked(rows):
                insert_ignoring_duplicates(conn, store.notices, part)

        self.units().run(work)

    def _send_notices(self, p: dict[str, Any], pending: Sequence[Any]) -> None:
        i = store.instructions.c
        instruction_ids = [x.subject.partition(":")[2] for x in pending if ":" in x.subject]
        with self.units() as conn:
            facts = {
                r.id: r
                for part in chunked(instruction_ids)
                for r in conn.execute(
                    select(i.id, i.bank_code, i.amount, i.reason).where(i.id.in_(part))
                )
            }
        messages = []
        for x in pending:
            fact = facts.get(x.subject.partition(":")[2])
            extra: dict[str, object] = {}
            if fact is not None:
                extra = {
                    "bank": bank(fact.bank_code).name,
                    "amount": fact.amount,
                    "reason": fact.reason,
                }
            message = model.notice(x.kind, programme=p["name"], programme_id=p["id"], **extra)
            message["ref"] = notice_ref(p["id"], x.round, x.payee_id, x.kind)
            messages.append(message)
        delivery, accepted = self.clients.notify([x.code for x in pending], messages)
        now = datetime.now(UTC)
        n = store.notices

        def work(conn: Connection) -> None:
            conn.execute(
                update(n)
                .where(n.c.id == bindparam("_id"))
                .values(outcome=bindparam("_outcome"), delivery_id=delivery, sent_at=now),
                [
                    {"_id": x.id, "_outcome": "delivered" if ok else "paper"}
                    for x, ok in zip(pending, accepted, strict=True)
                ],
            )

        self.units().run(work)


#: An instruction's place in its round's file, as columns (:func:`files.order`; the index
#: ``instructions_in_file_order`` serves it).
_IN_FILE_ORDER = (
    *(store.instructions.c.bank_code, store.instructions.c.branch_code),
    *(store.instructions.c.deposit_type, store.instructions.c.account_number),
    store.instructions.c.id,
)


#: What an open payee's one-click application says (store.applications), as columns.
_APPLICATION = (
    *(store.applications.c.choice, store.applications.c.bank_code),
    *(store.applications.c.branch_code, store.applications.c.deposit_type),
    *(store.applications.c.account_number, store.applications.c.received_at),
)
#: A payee's last instruction (attempt, the account, when) when it has none.
_NO_INSTRUCTION = (None,) * 6


def _transfer_date(conn: Connection, programme_id: str, round_number: int) -> date:
    """振込指定日 of a round's files."""
    r = store.rounds.c
    found: date = conn.execute(
        select(r.transfer_date).where(r.programme_id == programme_id, r.number == round_number)
    ).scalar_one()
    return found


def _who(p: dict[str, Any]) -> Eligibility:
    """Whom the programme pays, as a municipality is asked for them (its base date, ages)."""
    return Eligibility(p["id"], p["as_of"].isoformat(), p["min_age"], p["max_age"])


def _rules(p: dict[str, Any]) -> model.Programme:
    """The programme's rules, from its stored row."""
    return model.Programme(
        p["name"],
        p["amount"],
        p["per"],
        tuple(p["municipalities"].split()),
        p["as_of"],
        p["min_age"],
        p["max_age"],
    )


def _person_payees(p: dict[str, Any], eligible: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A per-person programme's payees (rows of store.payees) for eligible people (rows of
    store.eligibles): each admitted person once, each distinct kana converted once."""
    programme = _rules(p)
    names: dict[str, str] = {}
    rows = []
    for made, (_, code, municipality, household, _, kana, age) in zip(
        new_ids(len(eligible)), eligible, strict=True
    ):
        if not programme.admits(age):
            continue
        name = names.get(kana)
        if name is None:
            name = names[kana] = model.payee_name(kana)
        rows.append((made, p["id"], code, municipality, household, name, 1, p["amount"], *_PENDING))
    return rows


def notice_ref(programme_id: str, round_number: int, payee_id: str, kind: str) -> str:
    """The ref a payee's notice carries (``programme:round:payee:kind``): the same notice
    sent again after a crash has the same ref, and the portal keeps it once."""
    return f"{programme_id}:{round_number}:{payee_id}:{kind}"


def _alive(owner: str) -> bool:
    """Whether the process a lease (``host:pid:run``) names may still run; a process on
    another host is assumed alive until its lease expires."""
    host, pid, _ = owner.rsplit(":", 2) if owner.count(":") >= 2 else ("", "", "")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["PHASES", "PaymentRun", "Progress"]


class Rounds:
    """Rounds of a programme's payment run in the background, one at a time per programme
    (a round that fails resumes when it is started again)."""

    def __init__(self, runner: PaymentRun) -> None:
        self.runner = runner
        self._running: dict[str, threading.Thread] = {}

    def is_running(self, programme_id: str) -> bool:
        return programme_id in self._running

    def ensure_idle(self, programme_id: str) -> None:
        """:class:`errors.Conflict` if a round of the programme is going on."""
        thread = self._running.get(programme_id)
        if thread is not None and thread.is_alive():
            raise errors.Conflict("a run of this programme is going on", code="running")

    def start(self, programme_id: str) -> None:
        """Start a round on a thread of its own; watch it with the programme's status."""

        def work() -> None:
            try:
                self.runner.run(programme_id)
            except Exception:
                log.exception("benefit run failed (it resumes when started again)")
            finally:
                self._running.pop(programme_id, None)

        thread = threading.Thread(target=work, name=f"benefit-run-{programme_id}", daemon=True)
        self._running[programme_id] = thread
        thread.start()
