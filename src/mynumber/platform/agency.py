"""One shape for every provider agency (the tax office, the pension service, an insurer).

An agency is described by an :class:`Agency`: its member table (one row per person under
the agency's OWN code: columns ``id``, ``code``, ``enrolled_at`` and its own), its
:class:`Intake` (records that arrive with the My Number the person gave, e.g. ``POST
/api/filings``) and its projections (for each data item it provides, what it answers about
the member behind a code). :func:`mynumber.platform.web.agency.create_agency_app` builds
the rest, the same for all:

- the intake route: the numbers are enrolled once for the agency's codes (J-LIS → hub,
  :meth:`IntermediateServer.codes`) and dropped; a record whose number is not a current My
  Number is counted ``unknown`` and kept nowhere;
- ``POST /intermediate/provide`` (the hub only): the projections asked for, signed and
  sealed to the requester; ``POST /api/notices`` (signed by the agency itself); ``GET
  /healthz``.

:class:`ProviderAgency` holds no database: each use case works in the
:class:`~mynumber.platform.uow.UnitOfWork` its caller gives (a route's, or one the
composition makes for the intermediate server's answer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, RowMapping, Table, bindparam, func, select

from mynumber.platform.db import insert_ignoring_duplicates
from mynumber.platform.ids import new_id
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.staff.model import Roles
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.wire import ProvideIn

#: Records per intake request.
MAX_INTAKE = 10_000


class Numbered(BaseModel):
    """A record as it arrives: with the My Number the person gave (used once, never kept)."""

    my_number: str = Field(repr=False, max_length=14)


#: Writes the records of known people, in one transaction: (connection, [(our code,
#: record)], now). The default puts each record's fields on the member's row.
Write = Callable[[Connection, list[tuple[str, Any]], datetime], None]
#: What the agency answers for one item about one member: (connection, the member's row)
#: → a JSON value.
Projection = Callable[[Connection, RowMapping], Any]


@dataclass(frozen=True, slots=True)
class Intake:
    """``POST {path}`` ``{"{field}": [record, …]}`` → ``{"{taken}": n, "unknown": n}``."""

    path: str
    field: str
    record: type[Numbered]
    taken: str
    summary: str
    write: Write | None = None
    #: True: counted per person (the last record per person wins); False: per record
    per_person: bool = True
    #: Called with the intake's unit of work (closed: open it to read) and the records of
    #: known people after they are written (e.g. an insurer registers their eligibility
    #: with the 中間サーバー); its failure does not undo them.
    after: Callable[[UnitOfWork, list[tuple[str, Any]]], None] | None = None


@dataclass(frozen=True, slots=True)
class Agency:
    """What makes one agency itself; everything else is the same for all of them."""

    org: str
    title: str
    description: str
    migrations: str  # the package of its Alembic migrations
    members: Table
    roles: Roles  # its staff's roles; intake needs ``records.intake``
    intake: Intake
    projections: Mapping[str, Projection]


def upsert_members(
    conn: Connection, table: Table, rows: Mapping[str, Mapping[str, Any]], now: datetime
) -> None:
    """One row per agency code in ``table``: new codes are inserted, known ones get the new
    values (if any)."""
    if not rows:
        return
    insert_ignoring_duplicates(
        conn,
        table,
        [{"id": new_id(), "code": c, "enrolled_at": now, **v} for c, v in rows.items()],
    )
    names = list(next(iter(rows.values())))
    if names:
        conn.execute(
            table.update()
            .where(table.c.code == bindparam("_code"))
            .values({name: bindparam(f"_{name}") for name in names}),
            [{"_code": c, **{f"_{k}": x for k, x in v.items()}} for c, v in rows.items()],
        )


class ProviderAgency:
    """A running agency: its intermediate server, intake and answers, on the caller's unit
    of work."""

    def __init__(self, spec: Agency, *, server: IntermediateServer) -> None:
        self.spec = spec
        self.server = server

    def take(self, uow: UnitOfWork, records: list[Numbered]) -> tuple[int, int]:
        """Enrol the numbers, write the records of the people we now have codes for; the
        count taken and the count whose number is not a current My Number."""
        intake = self.spec.intake
        code_of = self.server.codes([r.my_number for r in records])
        known = [(code, r) for r in records if (code := code_of[r.my_number]) is not None]
        if known:
            write = intake.write or self._write_fields
            now = datetime.now(UTC)
            uow.run(lambda conn: write(conn, known, now))
            if intake.after is not None:
                intake.after(uow, known)
        if intake.per_person:
            people = len({code for code, _ in known})
            return people, len(code_of) - people
        return len(known), len(records) - len(known)

    def _write_fields(self, conn: Connection, known: list[tuple[str, Any]], now: datetime) -> None:
        rows = {code: r.model_dump(exclude={"my_number"}) for code, r in known}
        upsert_members(conn, self.spec.members, rows, now)

    def data_for(self, uow: UnitOfWork, code: str, items: frozenset[str]) -> dict[str, Any] | None:
        """The items about the member behind our ``code`` (None: nobody has it)."""
        members = self.spec.members
        with uow as conn:
            found = conn.execute(select(members).where(members.c.code == code))
            member = found.mappings().first()
            if member is None:
                return None
            return {item: self.spec.projections[item](conn, member) for item in sorted(items)}

    def provide(self, uow: UnitOfWork, request: ProvideIn) -> str:
        """中間サーバー: the items asked for, about the person behind our code, sealed."""
        return self.server.answer(request, lambda code, items: self.data_for(uow, code, items))

    def health(self, uow: UnitOfWork) -> dict[str, object]:
        with uow as conn:
            count = conn.scalar(select(func.count()).select_from(self.spec.members))
        return {"org": self.spec.org, "ok": True, self.spec.members.name: count}
