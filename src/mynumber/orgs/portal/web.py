"""Mynaportal's pages and JSON API: thin — parse, check the session and CSRF, one call."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mynumber.errors import InvalidInput
from mynumber.orgs.portal import display, model
from mynumber.orgs.portal.deps import LOGIN, RESIDENT
from mynumber.orgs.portal.model import CsrfRefused, Session, SessionRequired
from mynumber.orgs.portal.schemas import (
    AnswerIn,
    AnswerOut,
    ChallengeOut,
    StartIn,
    StartOut,
    StatusOut,
)
from mynumber.orgs.portal.services import Portal
from mynumber.platform.limits import RateLimit
from mynumber.platform.secrets import same_secret

SESSION_COOKIE = "portal_session"
PAIR_COOKIE = "portal_pair"
SITE = "マイナポータル (Mynaportal)"
METHOD_LABEL = {
    "qr": "QR + スマートフォン",
    "phone": "スマートフォン",
    "reader": "ICカードリーダー",
    "cli": "コマンドライン",
}
#: What a page about the person's own money or consents says to a session acting for
#: someone else (代理で操作).
ONLY_ONESELF = (
    "代理人としては利用できません。ご本人としてログインしてください / "
    "Not available to a proxy: switch to yourself (log in as yourself)"
)


class Pages:
    """Everything the routes share: the service, templates, cookie rules, the phone's URL."""

    def __init__(
        self,
        *,
        portal: Portal,
        templates: Jinja2Templates,
        base_url: str,
        csrf_key: bytes,
        phone_url: str,
        login_limit: RateLimit | None = None,
    ) -> None:
        self.portal = portal
        self.templates = templates
        display.install(templates.env)
        self.base_url = base_url.rstrip("/")
        self.secure = self.base_url.startswith("https://")
        self.csrf_key = csrf_key
        #: the resident's phone app (``mynumber.devices.phone``), where QR codes point
        self.phone_url = phone_url.rstrip("/")
        #: login starts per client address (``GET /login``, ``POST /api/login/start``)
        self.login_limit = login_limit or RateLimit.per_minute(0, 1)
        #: whose data a page shows: the person, or whom they act for as a proxy (``proxies``)
        self.subject: Callable[[Session, str], str] = lambda session, what: session.portal_code
        #: add to every page's template context (the proxy switcher, for one)
        self.context_hooks: list[Callable[[dict[str, Any]], None]] = []

    # cookies: HttpOnly, SameSite=Lax, only under /portal
    def set_cookie(self, response: Response, name: str, value: str, request: Request) -> None:
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path=request.scope.get("root_path") or "/",
        )

    @staticmethod
    def check_csrf(session: Session, token: str | None) -> None:
        if not token or not same_secret(token, session.csrf):
            raise CsrfRefused("the form's CSRF token is missing or wrong: reload the page")

    def only_oneself(self, request: Request, session: Session) -> HTMLResponse | None:
        """None for the person themself; for a session acting for someone else, the 403
        page that refuses (with a button back to oneself). 公金受取口座, 給付金 and 連携サービス
        are the person's own money and consents: a proxy neither sees nor changes them."""
        if session.acting_for is None or session.acting_for == session.portal_code:
            return None
        return self.render(
            request, "only_oneself.html", status=403, session=session, message=ONLY_ONESELF
        )

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("prefix", request.scope.get("root_path", ""))
        ctx.setdefault("method_label", METHOD_LABEL)
        ctx.setdefault("jst", model.JST)
        for hook in self.context_hooks:
            hook(ctx)
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    def phone_link(self, kind: str, resource: str) -> str:
        """The URL a QR code carries: the phone app's ``login``/``sign`` page for the
        challenge resource at ``resource`` (a path under the portal)."""
        return f"{self.phone_url}/{kind}?request={quote(self.base_url + resource, safe='')}"


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
    def start(body: StartIn) -> StartOut:
        """A one-time challenge for a login without a browser to pair (CLI, tests)."""
        challenge = portal.start(method=body.method)
        return StartOut(id=challenge.id, **_challenge_out(pages, challenge))

    @api.get("/login/{code}", response_model=ChallengeOut)
    def show(code: str) -> ChallengeOut:
        """What the phone shows and signs: the site that asks and the challenge."""
        return ChallengeOut(**_challenge_out(pages, portal.challenge(code)))

    @api.post("/login/{code}", response_model=AnswerOut)
    def answer(code: str, body: AnswerIn) -> AnswerOut:
        """The card's answer: signature over the challenge and the auth certificate."""
        result = portal.complete(
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

    def session_of(token: str | None) -> Session:
        return portal.session(token)

    def to_login(request: Request, why: str) -> RedirectResponse:
        prefix = request.scope.get("root_path", "")
        return RedirectResponse(f"{prefix}/login?why={why}", status_code=303)

    @web.get("/", dependencies=[LOGIN])
    def index(request: Request, portal_session: Annotated[str | None, Cookie()] = None) -> Response:
        prefix = request.scope.get("root_path", "")
        try:
            session_of(portal_session)
        except SessionRequired:
            return RedirectResponse(f"{prefix}/login", status_code=303)
        return RedirectResponse(f"{prefix}/home", status_code=303)

    @web.get(
        "/login", response_class=HTMLResponse, dependencies=[LOGIN, Depends(pages.login_limit)]
    )
    def login(request: Request, why: str | None = None, oidc: str | None = None) -> HTMLResponse:
        """2次元コードログイン: the QR code and one-time code; the page logs in by itself,
        then goes home or, for a relying party's sign-in request ``oidc``, to its consent."""
        prefix = request.scope.get("root_path", "")
        next_url = f"{prefix}/home"
        if oidc and len(oidc) <= 64 and oidc.replace("-", "").replace("_", "").isalnum():
            next_url = f"{prefix}/oidc/consent?request={oidc}"
        browser = secrets.token_urlsafe(32)
        challenge = portal.start(method="qr", browser_token=browser)
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
        request: Request, id: str, portal_pair: Annotated[str | None, Cookie()] = None
    ) -> JSONResponse:
        """Polled by the login page: pending, done (the session cookie comes with it), refused."""
        if not portal_pair:
            raise SessionRequired("this browser has no login waiting: reload the login page")
        result = portal.poll(id, portal_pair)
        body = StatusOut(state=result.state, reason=result.reason, detail=result.detail)
        response = JSONResponse(body.model_dump())
        if result.session_token is not None:
            pages.set_cookie(response, SESSION_COOKIE, result.session_token, request)
        return response

    @web.get("/home", response_class=HTMLResponse, dependencies=[RESIDENT])
    def home(request: Request, portal_session: Annotated[str | None, Cookie()] = None) -> Response:
        """ホーム: links to わたしの情報, やりとり履歴, the account; unread notices; logins."""
        try:
            session = session_of(portal_session)
        except SessionRequired:
            return to_login(request, "expired" if portal_session else "")
        notices = portal.notices(session.portal_code)
        return pages.render(
            request,
            "home.html",
            session=session,
            account=portal.account(session.portal_code),
            logins=portal.logins(session.portal_code),
            unread=sum(1 for n in notices if n["read_at"] is None),
        )

    @web.get("/notices", response_class=HTMLResponse, dependencies=[RESIDENT])
    def notices(
        request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """お知らせ: notices, read and unread."""
        try:
            session = session_of(portal_session)
        except SessionRequired:
            return to_login(request, "expired" if portal_session else "")
        items = portal.notices(pages.subject(session, "notices"))
        return pages.render(
            request,
            "notices.html",
            session=session,
            notices=items,
            unread=sum(1 for n in items if n["read_at"] is None),
        )

    @web.post("/notices/{notice_id}/read", dependencies=[RESIDENT])
    def read_notice(
        request: Request,
        notice_id: str,
        csrf: Annotated[str | None, Form()] = None,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        session = session_of(portal_session)
        pages.check_csrf(session, csrf)
        portal.mark_read(session.portal_code, notice_id)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/notices", status_code=303)

    @web.post("/logout", dependencies=[RESIDENT])
    def logout(
        request: Request,
        csrf: Annotated[str | None, Form()] = None,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        session = session_of(portal_session)
        pages.check_csrf(session, csrf)
        assert portal_session is not None
        portal.logout(portal_session)
        response = to_login(request, "logout")
        response.delete_cookie(SESSION_COOKIE, path=request.scope.get("root_path") or "/")
        return response

    return web
