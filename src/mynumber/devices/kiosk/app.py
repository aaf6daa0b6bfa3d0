"""A kiosk's touch screen (``/kiosk/<store>/``): 行政サービス → card (from the demo wallet,
standing for the card set on the reader) → PIN → certificate and options → pay → print
(the PDF). The PIN goes only to the card; the screen keeps the last PDFs briefly in memory
for printing. Its form posts carry a CSRF token tied to a cookie (as the phone app's do), so
no other page can make the screen print."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Cookie, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response

from mynumber import errors
from mynumber.devices.kiosk.terminal import CERTIFICATES, Choice, Kiosk, Store
from mynumber.devices.phone.wallet import Wallet
from mynumber.platform.policy import public
from mynumber.platform.secrets import same_secret, secret_bytes
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.web import new_app, status_of, templates_for
from mynumber.reader import InvalidPin, PinBlocked, PinIncorrect

KEPT_PDFS = 20
PRE_COOKIE = "kiosk_pre"
ON_SCREEN = public("the kiosk's screen is used by whoever stands at it; the card and PIN guard it")


def create_app(settings: Settings, store: Store, *, http: httpx.Client, jlis_url: str) -> FastAPI:
    wallet = Wallet(settings.data_dir)
    keys = KeyFolder(settings.data_dir / "keys")
    kiosk = Kiosk(
        store,
        jlis_url=jlis_url,
        http=http,
        identity=Identity(store.chain, keys.private_key(store.chain)),
    )
    csrf_key = secret_bytes(settings.data_dir / "kiosk" / "csrf.key")
    templates = templates_for(Path(__file__).with_name("templates"))
    printed: OrderedDict[str, bytes] = OrderedDict()
    lock = threading.Lock()
    app = new_app(
        title=f"{store.name} マルチコピー機 (kiosk)",
        description="コンビニ交付: a convenience-store kiosk that prints certificates.",
    )

    def token_of(pre: str) -> str:
        return hmac.digest(csrf_key, f"kiosk:{store.id}:{pre}".encode(), "sha256").hex()

    def page(
        request: Request, status: int = 200, pre: str | None = None, **values: object
    ) -> HTMLResponse:
        pre = pre or secrets.token_urlsafe(24)
        context = {
            "store": store,
            "prefix": request.scope.get("root_path", ""),
            # the card, or the phone's own certificate (コンビニ交付 with a phone)
            "wallet": [c for c in wallet.cards() if c.kind in ("resident", "phone")],
            "certificates": CERTIFICATES,
            "error": None,
            "issued": None,
            "csrf": token_of(pre),
            **values,
        }
        response = templates.TemplateResponse(
            request,
            "kiosk.html",
            context,
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )
        response.set_cookie(
            PRE_COOKIE,
            pre,
            httponly=True,
            samesite="strict",
            secure=settings.base_url.startswith("https://"),
            path=request.scope.get("root_path") or "/",
        )
        return response

    @app.get("/", response_class=HTMLResponse, dependencies=[ON_SCREEN])
    def screen(request: Request) -> HTMLResponse:
        """The start screen: choose the card, type the PIN, choose the certificate."""
        return page(request)

    @app.post("/issue", response_class=HTMLResponse, dependencies=[ON_SCREEN])
    def issue(
        request: Request,
        card: Annotated[str, Form(max_length=80)],
        pin: Annotated[str, Form(max_length=16)],
        certificate: Annotated[str, Form(max_length=16)],
        members: Annotated[str, Form(max_length=4)] = "self",
        honseki: Annotated[str, Form(max_length=6)] = "",
        with_honseki: Annotated[bool, Form()] = False,
        with_my_number: Annotated[bool, Form()] = False,
        csrf: Annotated[str | None, Form(max_length=128)] = None,
        kiosk_pre: Annotated[str | None, Cookie(max_length=64)] = None,
    ) -> HTMLResponse:
        """Pay and print: the card signs J-LIS's challenge after the PIN (with the form's
        CSRF token; without it nothing is asked of the card)."""
        if not kiosk_pre or not csrf or not same_secret(csrf, token_of(kiosk_pre)):
            return page(
                request,
                403,
                error="画面を読み込み直してください / the form's CSRF token is missing or "
                "wrong: reload the screen",
            )
        try:
            choice = Choice(
                certificate=certificate,
                members=members,
                honseki=honseki or None,
                options={"honseki": with_honseki, "my_number": with_my_number},
            )
            with wallet.holding_token(card) as held:
                done = kiosk.issue(held, pin=pin, choice=choice)
        except PinIncorrect as exc:
            return page(
                request,
                401,
                error=f"暗証番号が違います。残り{exc.tries_left}回 / wrong PIN: "
                f"{exc.tries_left} tries left",
            )
        except PinBlocked:
            return page(
                request,
                403,
                error="暗証番号がロックされています。市区町村の窓口で初期化して"
                "ください / the PIN is locked",
            )
        except InvalidPin:
            return page(request, 422, error="暗証番号は数字4桁です / the PIN is 4 digits")
        except errors.Error as exc:
            return page(request, status_of(exc), error=exc.message)
        token = secrets.token_urlsafe(16)
        with lock:
            printed[token] = done.pdf
            while len(printed) > KEPT_PDFS:
                printed.popitem(last=False)
        return page(request, issued=done, token=token)

    @app.get("/print/{token}", response_class=Response, dependencies=[ON_SCREEN])
    def print_pdf(token: str) -> Response:
        """The printed certificate (the PDF the printer receives)."""
        with lock:
            pdf = printed.get(token)
        if pdf is None:
            raise errors.NotFound("nothing to print", code="not_found")
        return Response(pdf, media_type="application/pdf")

    return app
