"""本人確認情報の提供状況の開示: the municipality passes its access log on to each person's
Mynaportal, through the hub, by its own agency codes — no My Number leaves it.

Every staff read or change of a resident's record is an entry of the access log with the
resident's id (``platform/staff``). :class:`Disclosure` takes the entries with a person
and ``disclosed = false``, groups them per person, and sends each person one message
(procedure ``record_access_disclosure``, item ``access_record``)::

    {"accesses": [{"ref": "municipality-131016:42", "at": "2025-…Z",
                   "role": "窓口担当 (counter clerk)", "action": "…", "purpose": "…"}, …]}

``ref`` is the organisation and the entry's sequence number, so an entry sent again (a
crash between the hub's answer and the marking) is stored once. The message names the
staff member's ROLE, not the staff member: this project's choice (the person learns which
office and function looked, the staff member's name stays with the municipality's own
log, where ``mynumber audit show`` has it). Entries the portal accepted are marked
disclosed. The entries of a person the portal does not take (no Mynaportal account yet),
or not yet enrolled in the linkage (no agency code: no current My Number, or not enrolled
yet), are KEPT pending, also this project's choice: they go again with that person's next
entry or with ``mynumber audit disclose``, so a person who opens an account later sees the
earlier accesses too.

When: after every staff request that logged entries about persons
(:func:`mynumber.orgs.municipality.web.disclosure.install`: once
the response is out, before the request ends; a failure is logged without personal data
and never reaches the staff request), and by ``mynumber audit disclose --org ORG``
(everything pending, after an outage).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from mynumber.orgs.municipality.model import PURPOSES
from mynumber.orgs.municipality.services.linkage import Linkage
from mynumber.orgs.municipality.store import agency_codes
from mynumber.platform import store
from mynumber.platform.db import chunked
from mynumber.platform.staff.model import Roles
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.municipality.disclosure")

PROCEDURE = "record_access_disclosure"
ITEMS = ("access_record",)
#: Persons per delivery, and entries read per round (this project's bounds).
BATCH = 500
PAGE = 5000

#: What a staff member did, as the person reads it (ja (en)); an action not listed is shown
#: by its code.
ACTIONS = {
    "residents.read": "住民票の閲覧 (viewed your resident record)",
    "residents.lookup": "住民票の検索・照会 (looked up your resident record)",
    "residents.history": "異動履歴の閲覧 (viewed the history of your record)",
    "residents.register": "住民票の記載 (registered you)",
    "residents.move_out": "転出の記載 (recorded your move out)",
    "residents.death": "死亡の記載 (recorded a death)",
    "households.read": "世帯の閲覧 (viewed your household)",
    "numbers.reissue_requested": "個人番号の変更の請求 (asked for a new My Number)",
    "numbers.reissued": "個人番号の変更 (issued a new My Number)",
    "cards.issue": "マイナンバーカードの交付 (issued your card)",
    "linkage.income": "所得情報の照会 (asked the tax office for your income)",
    "linkage.records": "情報連携の記録の閲覧 (viewed your exchange records)",
    "applications.read": "電子申請の閲覧 (viewed your e-application)",
    "applications.decide": "電子申請の決定 (decided your e-application)",
}
#: Purposes beyond :data:`PURPOSES`: the local administrator acts for administration.
OTHER_PURPOSES = {"administration": "システム管理 (administration)"}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def purpose_label(purpose: str) -> str:
    """``counter`` → 窓口での届出・証明 …; ``application:<id>`` → 電子申請の審査 …"""
    kind = purpose.partition(":")[0]
    return PURPOSES.get(kind) or OTHER_PURPOSES.get(purpose) or purpose


def role_label(roles: Roles, role: str) -> str:
    found = roles.by_name.get(role)
    return found.label if found is not None else role


@dataclass(frozen=True, slots=True)
class Sent:
    """One run: entries read, entries the portal took (now disclosed), entries kept."""

    entries: int = 0
    disclosed: int = 0
    kept: int = 0


class Disclosure:
    """The municipality's sender of access-log entries to its residents' Mynaportal."""

    def __init__(self, *, staff: Staff, linkage: Linkage) -> None:
        self.staff = staff
        self.linkage = linkage
        self.org = staff.org
        self._lock = threading.Lock()  # one run at a time in this process

    def message(self, entry: Any) -> dict[str, str]:
        """One entry as the person's portal gets it: no staff name, no detail."""
        return {
            "ref": f"{self.org}:{entry.seq}",
            "at": str(entry.at),
            "role": role_label(self.staff.roles, str(entry.role)),
            "action": action_label(str(entry.action)),
            "purpose": purpose_label(str(entry.purpose)),
        }

    def pending(
        self, uow: UnitOfWork, *, persons: Iterable[str] | None = None, after: int = 0
    ) -> list[Any]:
        """Up to :data:`PAGE` undisclosed entries about persons after ``after``, by seq."""
        a = store.access_log.c
        query = (
            select(a.seq, a.at, a.role, a.person, a.action, a.purpose)
            .where(a.disclosed.is_(False), a.person.is_not(None), a.seq > after)
            .order_by(a.seq)
            .limit(PAGE)
        )
        with uow as conn:
            if persons is None:
                return list(conn.execute(query))
            found: list[Any] = []
            for part in chunked(sorted(set(persons))):
                found.extend(conn.execute(query.where(a.person.in_(part))))
            return sorted(found, key=lambda e: e.seq)[:PAGE]

    def codes_of(self, uow: UnitOfWork, resident_ids: list[str]) -> dict[str, str]:
        """Our agency code per resident already enrolled in the linkage; the others are left
        out (their entries wait for the enrolment, which registration and the linkage API do:
        the disclosure itself asks J-LIS nothing)."""
        found: dict[str, str] = {}
        c = agency_codes.c
        with uow as conn:
            for part in chunked(resident_ids):
                for resident_id, code in conn.execute(
                    select(c.resident_id, c.code).where(c.resident_id.in_(part))
                ):
                    found[str(resident_id)] = str(code)
        return found

    def send_pending(self, uow: UnitOfWork, persons: Iterable[str] | None = None) -> Sent:
        """Send every pending entry (of ``persons``, or of everyone) and mark what the portal
        took. Raises the hub's error (the rest stays pending for the next run)."""
        wanted = None if persons is None else sorted(set(persons))
        total = Sent()
        with self._lock:
            after = 0
            while True:
                entries = self.pending(uow, persons=wanted, after=after)
                if not entries:
                    return total
                after = int(entries[-1].seq)
                done = self._send(uow, entries)
                total = Sent(
                    total.entries + done.entries,
                    total.disclosed + done.disclosed,
                    total.kept + done.kept,
                )
                if len(entries) < PAGE:
                    return total

    def _send(self, uow: UnitOfWork, entries: list[Any]) -> Sent:
        by_person: dict[str, list[Any]] = defaultdict(list)
        for entry in entries:
            by_person[str(entry.person)].append(entry)
        codes = self.codes_of(uow, list(by_person))
        people = [p for p in by_person if p in codes]
        disclosed = 0
        for part in chunked(people, BATCH):
            result = self.linkage.hub.deliver(
                procedure=PROCEDURE,
                recipient="portal",
                items=list(ITEMS),
                codes=[codes[p] for p in part],
                messages=[{"accesses": [self.message(e) for e in by_person[p]]} for p in part],
            )
            taken = [
                int(e.seq)
                for person, accepted in zip(part, result.accepted, strict=True)
                if accepted
                for e in by_person[person]
            ]
            self._mark(uow, taken)
            disclosed += len(taken)
        return Sent(len(entries), disclosed, len(entries) - disclosed)

    def _mark(self, uow: UnitOfWork, seqs: list[int]) -> None:
        a = store.access_log.c
        with uow as conn:
            for part in chunked(sorted(set(seqs))):
                conn.execute(update(store.access_log).where(a.seq.in_(part)).values(disclosed=True))
            uow.commit()
