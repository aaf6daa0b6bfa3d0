"""``POST /api/notices`` of a municipality: notices to residents' Mynaportal お知らせ.

The municipality's staff name residents by their resident record ids; the municipality
maps them to its own agency codes (enrolling any resident not yet enrolled) and delivers
through the hub like any agency (procedure ``municipality_notice``). A resident without a
code (no current My Number) or without a Mynaportal account is ``accepted: false``.
"""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from mynumber import errors
from mynumber.orgs.municipality.intermediate import Linkage, agency_codes
from mynumber.orgs.municipality.model import Municipality
from mynumber.platform.context import OrgContext
from mynumber.platform.db import chunked
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient
from mynumber.platform.notices import MAX_NOTICES, Notice, Notices, NoticesOut
from mynumber.platform.web import signed_by


class ResidentNoticesIn(BaseModel):
    resident_ids: list[Annotated[str, Field(max_length=16)]] = Field(
        min_length=1, max_length=MAX_NOTICES
    )
    messages: list[Notice] = Field(min_length=1, max_length=MAX_NOTICES)


class ResidentNotices:
    """Resident ids → our codes → the hub → the residents' inboxes."""

    def __init__(self, *, engine: Engine, linkage: Linkage, notices: Notices) -> None:
        self.engine = engine
        self.linkage = linkage
        self.notices = notices

    def codes_of(self, resident_ids: list[str]) -> dict[str, str]:
        """Our code per resident id (enrolled now if not yet); ids with none are left out."""
        self.linkage.enrol(list(dict.fromkeys(resident_ids)))
        found: dict[str, str] = {}
        a = agency_codes.c
        with self.engine.connect() as conn:
            for part in chunked(list(dict.fromkeys(resident_ids))):
                for resident_id, code in conn.execute(
                    select(a.resident_id, a.code).where(a.resident_id.in_(part))
                ):
                    found[str(resident_id)] = str(code)
        return found

    def send(self, resident_ids: list[str], messages: list[Notice]) -> NoticesOut:
        if len(resident_ids) != len(messages):
            raise errors.InvalidInput("one message per resident", field="messages")
        codes = self.codes_of(resident_ids)
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


def router(ctx: OrgContext, *, engine: Engine, municipality: Municipality) -> APIRouter:
    """``POST /api/notices``, signed by this municipality itself (its back office)."""
    keys = EncryptionKeys(ctx.settings.data_dir / "keys")
    linkage = Linkage(
        engine=engine,
        municipality=municipality,
        jlis=ServiceClient(ctx.directory, "jlis", ctx.identity),
        hub=ServiceClient(ctx.directory, "hub", ctx.identity),
        keys=keys,
    )
    service = ResidentNotices(engine=engine, linkage=linkage, notices=Notices(ctx))
    ourselves = Depends(signed_by(lambda org: org == ctx.org))
    api = APIRouter(tags=["notices"])

    @api.post("/api/notices", response_model=NoticesOut)
    def send_notices(body: ResidentNoticesIn, _: Annotated[str, ourselves]) -> NoticesOut:
        """お知らせの送付: notices to residents' Mynaportal inbox (by resident record id)."""
        return service.send(body.resident_ids, body.messages)

    return api
