"""代理人 pages: invite a proxy, accept an invitation by its code, switch whom one acts for,
and revoke."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynumber import errors
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.model.proxies import (
    RIGHT_LABEL,
    UNKNOWN_NAME,
    InvitationRefused,
    show_code,
)
from mynumber.orgs.portal.services.invitation_attempts import (
    TooManyAttempts,
)
from mynumber.orgs.portal.services.proxies import Invitation, Proxies
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work


def page_router(pages: Pages, proxies: Proxies) -> APIRouter:
    """``/proxies``: invite, accept, act for, revoke; and the record of proxies' actions."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(
        uow: UnitOfWork,
        request: Request,
        session: Session,
        *,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        invitation: Invitation | None = None,
    ) -> HTMLResponse:
        now = proxies.clock()
        return pages.render(
            request,
            "proxies.html",
            status=status,
            session=session,
            granted=proxies.granted(uow, session.portal_code),
            principals=proxies.principals(uow, session.portal_code),
            actions=proxies.actions(uow, session.portal_code),
            invitation=invitation,
            invitation_code=show_code(invitation.code) if invitation else None,
            error=error,
            done=done,
            now=now,
            rights=RIGHT_LABEL,
            unknown_name=UNKNOWN_NAME,
        )

    @web.get("/proxies", response_class=HTMLResponse)
    def show(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """代理人: my proxies, the people I act for, and what proxies did for me."""
        return page(uow, request, session)

    @web.post("/proxies/invite", response_class=HTMLResponse)
    def invite(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        scope: Annotated[str, Form(max_length=8)],
        until: Annotated[str, Form(max_length=10)] = "",
    ) -> Response:
        """A one-time code for a new proxy (shown once)."""
        if session.acting_for is not None:
            return page(
                uow,
                request,
                session,
                status=403,
                error="代理中は招待できません / Switch back to yourself to invite a proxy",
            )
        try:
            day = dt.date.fromisoformat(until) if until.strip() else None
            invitation = proxies.invite(uow, session.portal_code, scope=scope, until=day)
        except (ValueError, errors.InvalidInput) as exc:
            message = (
                exc.message if isinstance(exc, errors.Error) else "日付の形式が違います / bad date"
            )
            return page(uow, request, session, status=422, error=message)
        return page(uow, request, session, invitation=invitation)

    @web.post("/proxies/accept", response_class=HTMLResponse)
    def accept(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        code: Annotated[str, Form(max_length=40)],
    ) -> Response:
        """The grantee accepts an invitation code with their own login."""
        try:
            proxy = proxies.accept(uow, session.portal_code, code)
        except TooManyAttempts as exc:
            refused = page(uow, request, session, status=429, error=f"{exc.message} ({exc.code})")
            refused.headers["Retry-After"] = str(max(1, int(exc.retry_after.total_seconds())))
            return refused
        except InvitationRefused as exc:
            return page(uow, request, session, status=409, error=f"{exc.message} ({exc.code})")
        name = proxy.principal_name or UNKNOWN_NAME
        return page(
            uow, request, session, done=f"{name} さんの代理人になりました / You are now a proxy"
        )

    @web.post("/proxies/{proxy_id}/revoke", response_class=HTMLResponse)
    def revoke(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        proxy_id: str,
    ) -> Response:
        """The grantor ends a proxy's right, at once."""
        proxies.revoke(uow, session.portal_code, proxy_id)
        return page(uow, request, session, done="代理権を取り消しました / The right is revoked")

    @web.post("/proxies/act")
    def act(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        principal: Annotated[str, Form(max_length=16)],
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """代理で操作: act for a principal (a proxy id) or for oneself (``self``)."""
        assert portal_session is not None
        acting = proxies.act(
            uow, portal_session, session, None if principal == "self" else principal
        )
        prefix = request.scope.get("root_path", "")
        target = "/information" if acting else "/home"
        return RedirectResponse(f"{prefix}{target}", status_code=303)

    return web
