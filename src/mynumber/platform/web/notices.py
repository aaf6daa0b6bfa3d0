"""``POST /api/notices`` of an agency, signed by the agency itself (see
:mod:`mynumber.platform.notices`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.platform.context import OrgContext
from mynumber.platform.notices import Notices, NoticesIn, NoticesOut
from mynumber.platform.web import signed_by


def notices_router(ctx: OrgContext) -> APIRouter:
    """``POST /api/notices``, signed by this organisation itself (its back office)."""
    router = APIRouter(tags=["notices"])
    ourselves = Depends(signed_by(lambda org: org == ctx.org))
    notices = Notices(ctx)

    @router.post("/api/notices", response_model=NoticesOut)
    def send_notices(body: NoticesIn, _: Annotated[str, ourselves]) -> NoticesOut:
        """お知らせの送付: notices to people's Mynaportal inbox, by our own codes."""
        return notices.send(body.codes, body.messages)

    return router
