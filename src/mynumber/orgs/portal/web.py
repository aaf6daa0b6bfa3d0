"""Mynaportal's pages and JSON API: thin — parse, check the session and CSRF, one call."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.errors import InvalidInput
from mynumber.orgs.portal import display, model
from mynumber.orgs.portal.deps import DEVICE, LOGIN, RESIDENT
from mynumber.orgs.portal.model import CsrfRefused, LoginRefused, Session, SessionRequired
from mynumber.orgs.portal.phoneapp import sign_challenge
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
from mynumber.reader import JPKIClient, PinBlocked, PinIncorrect

SESSION_COOKIE = "portal_session"
PAIR_COOKIE = "portal_pair"
PRE_COOKIE = "portal_pre"
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
    """Everything the routes share: the service, templates, cookie rules, the wallet."""

    def __init__(
        self,
        *,
        portal: Portal,
        templates: Jinja2Templates,
        base_url: str,
        csrf_key: bytes,
        data_dir: Path,
        login_limit: RateLimit | None = None,
    ) -> None:
        self.portal = portal
        self.templates = templates
        display.install(templates.env)
        self.base_url = base_url.rstrip("/")
        self.secure = self.base_url.startswith("https://")
        self.csrf_key = csrf_key
        self.data_dir = data_dir
        #: login starts per client address (``GET /login``, ``POST /api/login/start``)
        self.login_limit = login_limit or RateLimit.per_minute(0, 1)
        self.card_lock = threading.Lock()
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

    def pre_token(self, pre: str) -> str:
        return hmac.digest(self.csrf_key, f"pre:{pre}".encode(), "sha256").hex()

    def check_pre(self, pre: str | None, token: str | None) -> None:
        if not pre or not token or not hmac.compare_digest(self.pre_token(pre), token):
            raise CsrfRefused("the form's CSRF token is missing or wrong: reload the page")

    @staticmethod
    def check_csrf(session: Session, token: str | None) -> None:
        if not token or not hmac.compare_digest(session.csrf, token):
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

    # the demo wallet: DATA/wallet/*.card with the notes issue_demo_cards wrote
    def wallet(self) -> list[dict[str, Any]]:
        cards = []
        for note in sorted((self.data_dir / "wallet").glob("*.json")):
            data = json.loads(note.read_text(encoding="utf-8"))
            if note.with_suffix(".card").exists():
                cards.append(
                    {
                        "id": note.stem,
                        "holder": data.get("holder", ""),
                        "city": data.get("municipality", ""),
                    }
                )
        return cards

    def card_client(self, card_id: str) -> tuple[JPKIClient, CardFile]:
        if card_id not in {c["id"] for c in self.wallet()}:
            raise InvalidInput("no such card in the wallet", field="card")
        store = CardFile(self.data_dir / "wallet" / f"{card_id}.card")
        seal = load_or_create_demo_seal_key(self.data_dir / "card-seal.key")
        chip = Chip.from_image(store.load(), seal_key=seal, store=store)
        return JPKIClient(ChipTransport(chip)), store


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
        "/login",
        response_class=HTMLResponse,
        dependencies=[LOGIN, Depends(pages.login_limit)],
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
        phone_url = f"{pages.base_url}/portal/phone/?code={challenge.code}"
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
        """わたしの情報 (placeholder): the login history until the linkage hub brings data."""
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

    # --- the simulated smartphone -------------------------------------------------------

    def phone_page(
        request: Request,
        *,
        code: str | None,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        card: str | None = None,
        pre: str | None = None,
    ) -> HTMLResponse:
        pre = pre or secrets.token_urlsafe(24)
        asking = None
        problem = None
        if code:
            try:
                asking = portal.challenge(code)
            except (model.ChallengeUnknown, model.ChallengeUsed, model.ChallengeExpired) as exc:
                problem = exc.message
        response = pages.render(
            request,
            "phone.html",
            status=status,
            code=code or "",
            asking=asking,
            site=f"{SITE} — {pages.base_url}/portal/login",
            wallet=pages.wallet(),
            card=card,
            csrf=pages.pre_token(pre),
            error=error or (None if done else problem),
            done=done,
        )
        pages.set_cookie(response, PRE_COOKIE, pre, request)
        return response

    @web.get("/phone/", response_class=HTMLResponse, dependencies=[DEVICE])
    def phone(request: Request, code: str | None = None) -> HTMLResponse:
        """A smartphone with the Mynaportal app, simulated: pick a wallet card, type the PIN."""
        return phone_page(request, code=model.normalise_code(code) if code else None)

    @web.post("/phone/approve", response_class=HTMLResponse, dependencies=[DEVICE])
    def approve(
        request: Request,
        card: Annotated[str, Form()],
        pin: Annotated[str, Form()],
        code: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
        portal_pre: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        pages.check_pre(portal_pre, csrf)
        code = model.normalise_code(code)
        direct = not code
        try:
            with pages.card_lock:
                client, _ = pages.card_client(card)
                challenge = portal.start(method="phone") if direct else portal.challenge(code)
                answer = sign_challenge(client, challenge.nonce, pin=pin)
            portal.complete(
                challenge.code,
                signature=answer.signature,
                certificate=answer.certificate,
                via="phone" if direct else "qr",
            )
        except PinIncorrect as exc:
            return phone_page(
                request,
                code=code,
                status=401,
                card=card,
                pre=portal_pre,
                error=f"暗証番号が違います。残り{exc.tries_left}回 / "
                f"Wrong PIN: {exc.tries_left} tries left",
            )
        except PinBlocked:
            return phone_page(
                request,
                code=code,
                status=403,
                card=card,
                pre=portal_pre,
                error=model.advice("pin_blocked"),
            )
        except (
            LoginRefused,
            model.ChallengeUsed,
            model.ChallengeExpired,
            model.ChallengeUnknown,
        ) as exc:
            return phone_page(
                request, code=code, status=401, card=card, pre=portal_pre, error=exc.message
            )
        if not direct:
            return phone_page(
                request,
                code=None,
                done="承認しました。PCの画面でログインが完了します / Approved: the PC logs in now.",
            )
        token = portal.open_session(portal.challenge_owner(challenge.id))
        response = RedirectResponse(f"{request.scope.get('root_path', '')}/home", status_code=303)
        pages.set_cookie(response, SESSION_COOKIE, token, request)
        return response

    return web
