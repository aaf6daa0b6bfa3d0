"""本人確認情報の提供状況の開示: the municipalities' access-log entries about the person."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.record_access import RecordAccesses
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.web.uow import Work


def page_router(pages: Pages, accesses: RecordAccesses) -> APIRouter:
    """``GET /record-access``: 住民票の閲覧・変更の記録."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    @web.get("/record-access", response_class=HTMLResponse)
    def record_access(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """Who at a municipality looked at or changed the person's resident record, when."""
        found = accesses.of(uow, pages.subject(uow, session, "record_access"))
        return pages.render(request, "record_access.html", session=session, accesses=found)

    return web
