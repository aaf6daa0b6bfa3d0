"""The Mynaportal smartphone app (``/phone``): the resident's device, not a portal page.

It holds the wallet, shows who asks and what, takes the PIN or signing password, lets the
card sign and sends only the signature and certificate (or the CMS) to the site's
challenge resource (:mod:`mynumber.devices.phone.protocol`). Its own data lives in
``DATA/phone/``; the wallet in ``DATA/wallet/`` and ``DATA/staff-wallet/``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import Cookie, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse

from mynumber import errors
from mynumber.devices.phone.card import sign_challenge, sign_document
from mynumber.devices.phone.licence import take_course
from mynumber.devices.phone.protocol import LoginAsked, Resources, SignAsked, resource_of
from mynumber.devices.phone.wallet import Wallet
from mynumber.jst import JST
from mynumber.platform.secrets import same_secret, secret_bytes
from mynumber.platform.settings import Settings
from mynumber.platform.web import new_app, status_of, templates_for
from mynumber.reader import InvalidPin, PinBlocked, PinIncorrect

#: ``?request=`` the challenge resource's URL (from a QR code); ``?code=`` a typed code
RequestUrl = Annotated[str | None, Query(alias="request", max_length=2000)]
Code = Annotated[str, Query(max_length=40)]
PRE_COOKIE = "phone_pre"
ADVICE_PIN_LOCKED = (
    "暗証番号がロックされています。お住まいの市区町村の窓口で初期化（再設定）してください。 / "
    "The PIN is locked: have it reset at your municipality's counter."
)
ADVICE_SIGNING_LOCKED = (
    "署名用電子証明書のパスワードがロックされています。お住まいの市区町村の窓口で"
    "パスワードの初期化（再設定）をしてください。 / "
    "The signing password is locked: have it reset at your municipality's counter."
)
ADVICE_SIGNING_FORMAT = (
    "署名用電子証明書のパスワードは英大文字と数字の6〜16文字です。 / "
    "The signing password is 6 to 16 characters of A-Z and 0-9."
)


def create_app(
    settings: Settings, *, http: httpx.Client, allowed: Sequence[str] | None = None
) -> FastAPI:
    """The phone app over ``settings.data_dir``; it reaches challenge resources under
    ``allowed`` (default: the deployment's base URL) with ``http``."""
    wallet = Wallet(settings.data_dir)
    resources = Resources(allowed=allowed or [settings.base_url], http=http)
    csrf_key = secret_bytes(settings.data_dir / "phone" / "csrf.key")
    templates = templates_for(Path(__file__).with_name("templates"))
    app = new_app(
        title="マイナポータルアプリ (Mynaportal app)",
        description="The resident's smartphone, simulated: a wallet of cards that signs "
        "login challenges and documents for any site of the deployment; PINs go only to "
        "the card.",
    )

    def token(pre: str) -> str:
        return hmac.digest(csrf_key, f"pre:{pre}".encode(), "sha256").hex()

    def check_csrf(pre: str | None, given: str | None) -> None:
        if not pre or not given or not same_secret(given, token(pre)):
            raise errors.Forbidden(
                "the form's CSRF token is missing or wrong: reload the page", code="csrf"
            )

    def render(
        request: Request, name: str, *, status: int = 200, pre: str | None = None, **ctx: Any
    ) -> HTMLResponse:
        pre = pre or secrets.token_urlsafe(24)
        ctx |= {
            "prefix": request.scope.get("root_path", ""),
            "jst": JST,
            "wallet": wallet.cards(),
            "csrf": token(pre),
        }
        response = templates.TemplateResponse(request, name, ctx, status_code=status)
        response.set_cookie(
            PRE_COOKIE,
            pre,
            httponly=True,
            samesite="strict",
            secure=settings.base_url.startswith("https://"),
            path=request.scope.get("root_path") or "/",
        )
        return response

    def target(request_url: str | None, code: str | None, kind: str) -> str | None:
        if request_url:
            return request_url
        if code:
            return resource_of(code, kind=kind, base_url=settings.base_url)
        return None

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        """The app's start: the wallet, and a box for a code or a QR code's URL."""
        return render(request, "home.html")

    # --- login ---------------------------------------------------------------------------

    def login_page(
        request: Request,
        url: str | None,
        *,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        card: str | None = None,
        pre: str | None = None,
    ) -> HTMLResponse:
        asked: LoginAsked | None = None
        if url and not done:
            try:
                asked = resources.login_asked(url)
            except errors.Error as exc:
                error = error or exc.message
                status = status if status != 200 else status_of(exc)
        return render(
            request,
            "login.html",
            status=status,
            pre=pre,
            request_url=url or "",
            asked=asked,
            error=error,
            done=done,
            card=card,
        )

    @app.get("/login", response_class=HTMLResponse)
    def login(request: Request, request_url: RequestUrl = None, code: Code = "") -> HTMLResponse:
        """ログイン: who asks (from the resource named by ``request``, or Mynaportal's for
        a typed ``code``), the card and the auth PIN."""
        try:
            url = target(request_url, code, "login")
        except errors.Error as exc:
            return login_page(request, None, status=status_of(exc), error=exc.message)
        return login_page(request, url)

    @app.post("/login", response_class=HTMLResponse)
    def approve(
        request: Request,
        card: Annotated[str, Form(max_length=200)],
        pin: Annotated[str, Form(max_length=16)],
        request_url: Annotated[str, Form(alias="request", max_length=2000)],
        csrf: Annotated[str | None, Form()] = None,
        phone_pre: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        """The card signs the challenge after the PIN; the answer goes to the resource."""
        check_csrf(phone_pre, csrf)

        def again(status: int, error: str) -> HTMLResponse:
            return login_page(
                request, request_url, status=status, error=error, card=card, pre=phone_pre
            )

        try:
            asked_login = resources.login_asked(request_url)
            with wallet.holding_token(card) as client:  # the card alone; the site is asked outside
                answer = sign_challenge(client, asked_login.challenge, pin=pin)
            result = resources.answer_login(asked_login, answer, via="qr")
        except PinIncorrect as exc:
            return again(
                401,
                f"暗証番号が違います。残り{exc.tries_left}回 / "
                f"Wrong PIN: {exc.tries_left} tries left",
            )
        except PinBlocked:
            return again(403, ADVICE_PIN_LOCKED)
        except InvalidPin:
            return again(422, "暗証番号は数字4桁です / The auth PIN is 4 digits.")
        except errors.Error as exc:
            return again(status_of(exc), exc.message)
        said = str(result.get("message") or "")
        done = "承認しました。PCの画面でログインが完了します / Approved: the PC logs in now."
        return login_page(request, request_url, done=f"{done} {said}".strip())

    # --- signing -------------------------------------------------------------------------

    def sign_page(
        request: Request,
        url: str | None,
        *,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        card: str | None = None,
        pre: str | None = None,
    ) -> HTMLResponse:
        asked: SignAsked | None = None
        if url and not done:
            try:
                asked = resources.sign_asked(url)
            except errors.Error as exc:
                error = error or exc.message
                status = status if status != 200 else status_of(exc)
        return render(
            request,
            "sign.html",
            status=status,
            pre=pre,
            request_url=url or "",
            asked=asked,
            error=error,
            done=done,
            card=card,
        )

    @app.get("/sign", response_class=HTMLResponse)
    def sign_form(
        request: Request, request_url: RequestUrl = None, code: Code = ""
    ) -> HTMLResponse:
        """電子署名: who asks and what (the resource named by ``request``, or Mynaportal's
        for a typed ``code``), the card and the signing password."""
        try:
            url = target(request_url, code, "sign")
        except errors.Error as exc:
            return sign_page(request, None, status=status_of(exc), error=exc.message)
        return sign_page(request, url)

    @app.post("/sign", response_class=HTMLResponse)
    def sign(
        request: Request,
        card: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=32)],
        request_url: Annotated[str, Form(alias="request", max_length=2000)],
        csrf: Annotated[str | None, Form()] = None,
        phone_pre: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        """The card (or the phone's own credential) signs the bytes (detached CMS) after the
        password; the CMS is sent."""
        check_csrf(phone_pre, csrf)

        def again(status: int, error: str) -> HTMLResponse:
            return sign_page(
                request, request_url, status=status, error=error, card=card, pre=phone_pre
            )

        try:
            asked_sign = resources.sign_asked(request_url)
            # the card, or the phone's own signing certificate (services-reference §3)
            with wallet.holding_token(card) as client:
                cms = sign_document(client, asked_sign.data, password=password)
            result = resources.answer_sign(asked_sign, cms)
        except PinIncorrect as exc:
            return again(
                401,
                f"署名用電子証明書のパスワードが違います。残り{exc.tries_left}回 / "
                f"Wrong signing password: {exc.tries_left} tries left",
            )
        except PinBlocked:
            return again(403, ADVICE_SIGNING_LOCKED)
        except InvalidPin:
            return again(422, ADVICE_SIGNING_FORMAT)
        except errors.Error as exc:
            return again(status_of(exc), exc.message)
        said = str(result.get("message") or "")
        done = "署名しました。PCの画面で手続きが続きます / Signed: the PC continues."
        return sign_page(request, request_url, done=f"{done} {said}".strip())

    # --- the online renewal course (マイナ免許証) ---------------------------------------------

    police_url = next(
        (u.rstrip("/") for u in (allowed or []) if u.rstrip("/").endswith("/police")),
        settings.base_url.rstrip("/") + "/police",
    )

    @app.get("/licence-course", response_class=HTMLResponse)
    def course_form(request: Request) -> HTMLResponse:
        """オンライン更新時講習: the card, the licence number, its PIN, the signing password
        and the camera."""
        return render(request, "licence_course.html")

    @app.post("/licence-course", response_class=HTMLResponse)
    def course(
        request: Request,
        card: Annotated[str, Form(max_length=200)],
        number: Annotated[str, Form(max_length=12)],
        licence_pin: Annotated[str, Form(max_length=4)],
        password: Annotated[str, Form(max_length=32)],
        camera: Annotated[Literal["holder", "other"], Form()] = "holder",
        csrf: Annotated[str | None, Form()] = None,
        phone_pre: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        """The face check, the signed start, the chapters and the renewal, at the police."""
        check_csrf(phone_pre, csrf)
        try:
            with wallet.holding_chip(card) as transport:
                renewed = take_course(
                    transport,
                    number=number,
                    licence_pin=licence_pin,
                    password=password,
                    camera=camera,
                    police_root=settings.data_dir / "police" / "police-root.pem",
                    police_url=police_url,
                    http=http,
                )
        except PinIncorrect as exc:
            error = (
                f"暗証番号またはパスワードが違います。残り{exc.tries_left}回 / "
                f"Wrong PIN or password: {exc.tries_left} tries left"
            )
            return render(request, "licence_course.html", status=401, error=error, card=card)
        except (PinBlocked, InvalidPin) as exc:
            return render(request, "licence_course.html", status=403, error=str(exc), card=card)
        except errors.Error as exc:
            return render(
                request, "licence_course.html", status=status_of(exc), error=exc.message, card=card
            )
        return render(request, "licence_course.html", renewed=renewed, card=card)

    def health() -> dict[str, object]:
        return {"org": "phone", "ok": True, "cards": len(wallet.cards())}

    app.get("/healthz")(health)
    app.state.health = health
    app.state.wallet = wallet
    app.state.resources = resources
    return app
