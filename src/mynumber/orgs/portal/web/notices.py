"""お知らせの詳細: one notice, opened (and so read) by its owner; a proxy may read it."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.inbox import Inbox
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.web.uow import Work


def page_router(pages: Pages, inbox: Inbox) -> APIRouter:
    """``GET /notices/{id}``: one notice, opened (and so read) by its owner only."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    @web.get("/notices/{notice_id}", response_class=HTMLResponse)
    def notice(
        uow: Work,
        request: Request,
        notice_id: str,
        session: Annotated[Session, Depends(pages.page_session)],
    ) -> Response:
        """お知らせの詳細: the whole notice; opening it marks it read."""
        owner = pages.subject(uow, session, "notice")  # a proxy may read, not mark read
        item = inbox.get(uow, owner, notice_id)  # another person's: 404
        if owner == session.portal_code:
            inbox.mark_read(uow, owner, notice_id)
        return pages.render(request, "notice.html", session=session, notice=item)

    return web
