"""住民票の閲覧・変更の記録 (本人確認情報の提供状況の開示): who at a municipality looked at or
changed the person's resident record, and when.

Receiver (procedure ``record_access_disclosure``, item ``access_record``, from a
municipality only): each message is ``{"accesses": [{"ref", "at", "role", "action",
"purpose"}, …]}`` for the person behind the portal's own hub code. Every entry is checked;
a message with any malformed entry, or for a person without an account, is refused
(``false``) and nothing of it is kept — the municipality keeps it pending. Entries are kept
once per (person, sender, ref): a resend is accepted and adds nothing.

Page ``GET /record-access``: the person's entries, newest first, with the municipality's
name, the staff member's role, the action, the purpose and the time in JST. A proxy with
the ``view`` right sees the principal's, as on やりとり履歴 (this project's choice: the same
right that shows whom the agencies asked shows who looked), and the view is recorded for
the principal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from mynumber.orgs.portal import store
from mynumber.platform.db import chunked, insert_ignoring_duplicates
from mynumber.platform.deliveries import Answer, Opened, valid_ref
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

PROCEDURE = "record_access_disclosure"
ITEMS = ("access_record",)
MAX_ENTRIES = 1000  # per person per message
MAX_LABEL = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FIELDS = {"ref", "at", "role", "action", "purpose"}


def valid_access(entry: Any) -> dict[str, Any] | None:
    """The entry (its ``at`` a UTC datetime) if well formed, else None."""
    if not isinstance(entry, dict) or set(entry) != _FIELDS or not valid_ref(entry["ref"]):
        return None
    for name in ("role", "action", "purpose"):
        label = entry[name]
        if not isinstance(label, str) or not 0 < len(label.strip()) <= MAX_LABEL:
            return None
        if _CONTROL.search(label):
            return None
    try:
        at = dt.datetime.fromisoformat(entry["at"]) if isinstance(entry["at"], str) else None
    except ValueError:
        return None
    if at is None or at.tzinfo is None:
        return None
    return {
        "ref": entry["ref"],
        "at": at.astimezone(dt.UTC),
        "role": entry["role"].strip(),
        "action": entry["action"].strip(),
        "purpose": entry["purpose"].strip(),
    }


def valid_message(message: Any) -> list[dict[str, Any]] | None:
    if not isinstance(message, dict) or set(message) != {"accesses"}:
        return None
    accesses = message["accesses"]
    if not isinstance(accesses, list):
        return None
    if not 0 < len(accesses) <= MAX_ENTRIES:
        return None
    checked = [valid_access(e) for e in accesses]
    if any(e is None for e in checked):
        return None
    return [e for e in checked if e is not None]


class RecordAccesses:
    """The portal's copy of what municipalities disclosed: receive and list."""

    def __init__(
        self, *, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.clock = clock

    def owners(self, uow: UnitOfWork, hub_codes: list[str]) -> dict[str, str]:
        """hub code → portal code, for the codes of people with an account."""
        a = store.accounts.c
        found: dict[str, str] = {}
        with uow as conn:
            for part in chunked(list(dict.fromkeys(hub_codes))):
                query = select(a.hub_code, a.portal_code).where(a.hub_code.in_(part))
                found.update((str(h), str(p)) for h, p in conn.execute(query))
        return found

    def __call__(self, uow: UnitOfWork, delivery: Opened) -> Answer:
        if delivery.items != ITEMS or not delivery.sender.startswith("municipality-"):
            return Answer(accepted=[False] * len(delivery.codes))
        owners = self.owners(uow, [c for c in delivery.codes if c is not None])
        now = self.clock()
        accepted: list[bool] = []
        rows: list[dict[str, Any]] = []
        for code, message in zip(delivery.codes, delivery.messages, strict=True):
            owner = owners.get(code) if code is not None else None
            entries = valid_message(message)
            if owner is None or entries is None:
                accepted.append(False)
                continue
            accepted.append(True)
            rows.extend(
                {
                    "id": new_id(),
                    "portal_code": owner,
                    "sender_org": delivery.sender,
                    "received_at": now,
                    **entry,
                }
                for entry in entries
            )
        uow.run(lambda conn: insert_ignoring_duplicates(conn, store.record_accesses, rows))
        return Answer(accepted=accepted)

    def of(self, uow: UnitOfWork, portal_code: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The person's entries, newest first."""
        r = store.record_accesses.c
        query = (
            select(r.sender_org, r.at, r.role, r.action, r.purpose)
            .where(r.portal_code == portal_code)
            .order_by(r.at.desc(), r.ref.desc())
            .limit(limit)
        )
        with uow as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
