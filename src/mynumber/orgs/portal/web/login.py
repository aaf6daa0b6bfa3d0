"""Logging in with the card (2次元コードログイン and the JSON login API), ホーム, お知らせ
and logging out: parse, check the session and CSRF, one service call."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import base64
import binascii
import secrets
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Cookie, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mynumber.errors import InvalidInput
from mynumber.orgs.portal import model
from mynumber.orgs.portal.model import Session, SessionRequired
from mynumber.orgs.portal.schemas import (
    AnswerIn,
    AnswerOut,
    ChallengeOut,
    StartIn,
    StartOut,
    StatusOut,
)
from mynumber.orgs.portal.web.deps import LOGIN, RESIDENT
from mynumber.orgs.portal.web.pages import PAIR_COOKIE, SESSION_COOKIE, SITE, Pages, to_login
from mynumber.platform.web.uow import Work


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"{field} is not base64", field=field) from exc


def _challenge_out(pages: Pages, challenge: model.Challenge) -> dict[str, Any]:
    return {
        "code": challenge.code,
        "challenge": base64.b64encode(challenge.nonce).decode(),
        "site": f"{SITE} {pages.base_url}/portal/login",
        "expires_at": challenge.expires_at,
    }


def api_router(pages: Pages) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["login"], dependencies=[LOGIN])
    portal = pages.portal

    @api.post(
        "/login/start",
        response_model=StartOut,
        status_code=201,
        dependencies=[Depends(pages.login_limit)],
        responses={429: {"description": "too many login starts from this address"}},
    )
    def start(uow: Work, body: StartIn) -> StartOut:
        """A one-time challenge for a login without a browser to pair (CLI, tests)."""
        challenge = portal.start(uow, method=body.method)
        return StartOut(id=challenge.id, **_challenge_out(pages, challenge))

    @api.get("/login/{code}", response_model=ChallengeOut)
    def show(uow: Work, code: str) -> ChallengeOut:
        """What the phone shows and signs: the site that asks and the challenge."""
        return ChallengeOut(**_challenge_out(pages, portal.challenge(uow, code)))

    @api.post("/login/{code}", response_model=AnswerOut)
    def answer(uow: Work, code: str, body: AnswerIn) -> AnswerOut:
        """The card's answer: signature over the challenge and the auth certificate."""
        result = portal.complete(
            uow,
            code,
            signature=_b64(body.signature, "signature"),
            certificate=_b64(body.certificate, "certificate"),
            via=body.via,
        )
        return AnswerOut(
            result="ok",
            first_login=result.first_login,
            message="ログインしました。PCの画面をご覧ください / Logged in: look at the PC screen",
        )

    return api


def page_router(pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    portal = pages.portal

    @web.get("/", dependencies=[LOGIN])
    def index(
        uow: Work, request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        prefix = request.scope.get("root_path", "")
        try:
            portal.session(uow, portal_session)
        except SessionRequired:
            return RedirectResponse(f"{prefix}/login", status_code=303)
        return RedirectResponse(f"{prefix}/home", status_code=303)

    @web.get(
        "/login", response_class=HTMLResponse, dependencies=[LOGIN, Depends(pages.login_limit)]
    )
    def login(
        uow: Work, request: Request, why: str | None = None, oidc: str | None = None
    ) -> HTMLResponse:
        """2次元コードログイン: the QR code and one-time code; the page logs in by itself,
        then goes home or, for a relying party's sign-in request ``oidc``, to its consent."""
        prefix = request.scope.get("root_path", "")
        next_url = f"{prefix}/home"
        if oidc and len(oidc) <= 64 and oidc.replace("-", "").replace("_", "").isalnum():
            next_url = f"{prefix}/oidc/consent?request={oidc}"
        browser = secrets.token_urlsafe(32)
        challenge = portal.start(uow, method="qr", browser_token=browser)
        phone_url = pages.phone_link("login", f"/portal/api/login/{challenge.code}")
        svg = segno.make(phone_url, error="m").svg_inline(scale=4, dark="#1f2933")
        notice = {
            "expired": "一定時間操作がなかったか、ログインから8時間たったため、"
            "ログアウトしました / You were logged out after 15 minutes without use, "
            "or 8 hours after logging in.",
            "logout": "ログアウトしました / You are logged out.",
        }.get(why or "")
        response = pages.render(
            request,
            "login.html",
            challenge=challenge,
            challenge_b64=base64.b64encode(challenge.nonce).decode(),
            phone_url=phone_url,
            qr_svg=svg,
            notice=notice,
            next_url=next_url,
        )
        pages.set_cookie(response, PAIR_COOKIE, browser, request)
        return response

    @web.get("/login/status", response_model=StatusOut, dependencies=[LOGIN])
    def status(
        uow: Work, request: Request, id: str, portal_pair: Annotated[str | None, Cookie()] = None
    ) -> JSONResponse:
        """Polled by the login page: pending, done (the session cookie comes with it), refused."""
        if not portal_pair:
            raise SessionRequired("this browser has no login waiting: reload the login page")
        result = portal.poll(uow, id, portal_pair)
        body = StatusOut(state=result.state, reason=result.reason, detail=result.detail)
        response = JSONResponse(body.model_dump())
        if result.session_token is not None:
            pages.set_cookie(response, SESSION_COOKIE, result.session_token, request)
        return response

    @web.get("/home", response_class=HTMLResponse, dependencies=[RESIDENT])
    def home(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """ホーム: links to わたしの情報, やりとり履歴, the account; unread notices; logins."""
        notices = portal.notices(uow, session.portal_code)
        return pages.render(
            request,
            "home.html",
            session=session,
            account=portal.account(uow, session.portal_code),
            logins=portal.logins(uow, session.portal_code),
            unread=sum(1 for n in notices if n["read_at"] is None),
        )

    @web.get("/notices", response_class=HTMLResponse, dependencies=[RESIDENT])
    def notices(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """お知らせ: notices, read and unread."""
        items = portal.notices(uow, pages.subject(uow, session, "notices"))
        return pages.render(
            request,
            "notices.html",
            session=session,
            notices=items,
            unread=sum(1 for n in items if n["read_at"] is None),
        )

    @web.post("/notices/{notice_id}/read", dependencies=[RESIDENT])
    def read_notice(
        uow: Work,
        request: Request,
        notice_id: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        portal.mark_read(uow, session.portal_code, notice_id)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/notices", status_code=303)

    @web.post("/logout", dependencies=[RESIDENT])
    def logout(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        assert portal_session is not None  # form_session found the session by it
        portal.logout(uow, portal_session)
        response = to_login(request, "logout")
        response.delete_cookie(SESSION_COOKIE, path=request.scope.get("root_path") or "/")
        return response

    return web
