"""What every Mynaportal page shares: the templates and their filters, cookie rules, the
session check that sends a page to the login page, CSRF, and the phone's URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mynumber.jst import JST
from mynumber.orgs.portal.model import CsrfRefused, Session, SessionRequired
from mynumber.orgs.portal.model import names as display
from mynumber.orgs.portal.services.login import Portal
from mynumber.orgs.portal.web.deps import LoginNeeded
from mynumber.platform.limits import RateLimit
from mynumber.platform.secrets import same_secret
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work, unit_of_work

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
        install_filters(templates.env)
        self.base_url = base_url.rstrip("/")
        self.secure = self.base_url.startswith("https://")
        self.csrf_key = csrf_key
        #: the resident's phone app (``mynumber.devices.phone``), where QR codes point
        self.phone_url = phone_url.rstrip("/")
        #: login starts per client address (``GET /login``, ``POST /api/login/start``)
        self.login_limit = login_limit or RateLimit.per_minute(0, 1)
        #: whose data a page shows: the person, or whom they act for as a proxy (``proxies``)
        self.subject: Callable[[UnitOfWork, Session, str], str] = lambda uow, session, what: (
            session.portal_code
        )
        #: add to every page's template context (the proxy switcher, for one), reading in
        #: a unit of work of their own on the app's database
        self.context_hooks: list[Callable[[UnitOfWork, dict[str, Any]], None]] = []

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

    def page_session(
        self, uow: Work, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Session:
        """A resident page's session; without one the page answers with the login page."""
        try:
            return self.portal.session(uow, portal_session)
        except SessionRequired:
            raise LoginNeeded("expired" if portal_session else "") from None

    def api_session(
        self, uow: Work, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Session:
        """The session behind a page's own script (polling, events): 401 without one."""
        return self.portal.session(uow, portal_session)

    def form_session(
        self,
        uow: Work,
        portal_session: Annotated[str | None, Cookie()] = None,
        csrf: Annotated[str | None, Form()] = None,
    ) -> Session:
        """A resident form post's session, its CSRF token checked (401 without a session,
        403 with a wrong token)."""
        session = self.portal.session(uow, portal_session)
        self.check_csrf(session, csrf)
        return session

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
        ctx.setdefault("jst", JST)
        for hook in self.context_hooks:
            hook(unit_of_work(request), ctx)
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    def phone_link(self, kind: str, resource: str) -> str:
        """The URL a QR code carries: the phone app's ``login``/``sign`` page for the
        challenge resource at ``resource`` (a path under the portal)."""
        return f"{self.phone_url}/{kind}?request={quote(self.base_url + resource, safe='')}"


def install_filters(env: jinja2.Environment) -> None:
    """Register the filters and helpers every portal template uses (:mod:`..model.names`)."""
    env.filters.update(
        org=display.organisation,
        municipality=display.municipality,
        item=display.item,
        outcome=display.outcome,
        reason=display.reason,
        jst=display.jst,
        oauth_error=display.oauth_error,
    )
    env.globals.update(shown_value=display.value, no_value=display.NONE)


def login_needed(request: Request, exc: Exception) -> Response:
    """The app's answer to :class:`LoginNeeded`: the login page, saying why."""
    return to_login(request, exc.why if isinstance(exc, LoginNeeded) else "")


def to_login(request: Request, why: str) -> RedirectResponse:
    """The redirect to the login page, saying why (``expired``, ``logout``) if it can."""
    prefix = request.scope.get("root_path", "")
    return RedirectResponse(f"{prefix}/login?why={why}", status_code=303)


def logged_in(
    uow: UnitOfWork, pages: Pages, request: Request, token: str | None
) -> Session | RedirectResponse:
    """The session, or the redirect to the login page a page answers with."""
    try:
        return pages.portal.session(uow, token)
    except SessionRequired:
        return to_login(request, "expired" if token else "")
