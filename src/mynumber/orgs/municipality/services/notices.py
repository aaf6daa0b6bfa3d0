"""``POST /api/notices`` of a municipality: notices to residents' Mynaportal お知らせ.

The municipality's staff name residents by their resident record ids; the municipality
maps them to its own agency codes (enrolling any resident not yet enrolled) and delivers
through the hub like any agency (procedure ``municipality_notice``). A resident without a
code (no current My Number) or without a Mynaportal account is ``accepted: false``.
"""

from __future__ import annotations

from sqlalchemy import select

from mynumber import errors
from mynumber.orgs.municipality.services.linkage import Linkage
from mynumber.orgs.municipality.store import agency_codes
from mynumber.platform.db import chunked
from mynumber.platform.notices import Notice, Notices, NoticesOut
from mynumber.platform.uow import UnitOfWork


class ResidentNotices:
    """Resident ids → our codes → the hub → the residents' inboxes."""

    def __init__(self, *, linkage: Linkage, notices: Notices) -> None:
        self.linkage = linkage
        self.notices = notices

    def codes_of(self, uow: UnitOfWork, resident_ids: list[str]) -> dict[str, str]:
        """Our code per resident id (enrolled now if not yet); ids with none are left out."""
        self.linkage.enrol(uow, list(dict.fromkeys(resident_ids)))
        found: dict[str, str] = {}
        a = agency_codes.c
        with uow as conn:
            for part in chunked(list(dict.fromkeys(resident_ids))):
                for resident_id, code in conn.execute(
                    select(a.resident_id, a.code).where(a.resident_id.in_(part))
                ):
                    found[str(resident_id)] = str(code)
        return found

    def send(self, uow: UnitOfWork, resident_ids: list[str], messages: list[Notice]) -> NoticesOut:
        if len(resident_ids) != len(messages):
            raise errors.InvalidInput("one message per resident", field="messages")
        codes = self.codes_of(uow, resident_ids)
        sendable = [i for i, rid in enumerate(resident_ids) if rid in codes]
        accepted = [False] * len(resident_ids)
        if not sendable:
            return NoticesOut(delivery_id="", accepted=accepted, delivered=0)
        sent = self.notices.send(
            [codes[resident_ids[i]] for i in sendable], [messages[i] for i in sendable]
        )
        for index, ok in zip(sendable, sent.accepted, strict=True):
            accepted[index] = ok
        return NoticesOut(delivery_id=sent.delivery_id, accepted=accepted, delivered=sum(accepted))
