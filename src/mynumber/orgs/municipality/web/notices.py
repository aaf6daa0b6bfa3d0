"""``POST /api/notices``: notices to residents' Mynaportal お知らせ, by resident record id
(see :mod:`mynumber.orgs.municipality.services.notices`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.orgs.municipality.schemas import ResidentNoticesIn
from mynumber.orgs.municipality.services.notices import ResidentNotices
from mynumber.platform.notices import NoticesOut
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(*, org: str, service: ResidentNotices) -> APIRouter:
    """``POST /api/notices``, signed by this municipality itself (its back office)."""
    ourselves = Depends(signed_by(lambda caller: caller == org))
    api = APIRouter(tags=["notices"])

    @api.post("/api/notices", response_model=NoticesOut)
    def send_notices(
        body: ResidentNoticesIn, _: Annotated[str, ourselves], uow: Work
    ) -> NoticesOut:
        """お知らせの送付: notices to residents' Mynaportal inbox (by resident record id)."""
        return service.send(uow, body.resident_ids, body.messages)

    return api
