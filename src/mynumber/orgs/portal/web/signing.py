"""Sign requests on the web: the JSON the phone fetches and answers (by one-time code), and
the PC page with the QR code that waits for the signature."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import base64
import binascii
import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio.to_thread
import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)

from mynumber.errors import InvalidInput
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.schemas import SignAnswer, SignAsked, SignDone, SignStatus
from mynumber.orgs.portal.services.signing import SIGN_TTL, SignRequests
from mynumber.orgs.portal.web.deps import RESIDENT, SIGN_BY_CODE
from mynumber.orgs.portal.web.pages import SITE, Pages
from mynumber.platform.web.uow import Work

#: the waiting page's server-sent events: how often the state is looked at, a comment line
#: against idle proxies, no stream longer than a request lives, the browser's reconnect delay
EVENTS_INTERVAL = 0.5
EVENTS_HEARTBEAT = 15.0
EVENTS_LONGEST = SIGN_TTL.total_seconds() + 30
EVENTS_RETRY_MS = 2000
FINAL = frozenset({"signed", "refused", "expired"})


def api_router(requests: SignRequests) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["signing"], dependencies=[SIGN_BY_CODE])

    @api.get("/sign/{code}", response_model=SignAsked)
    def show(uow: Work, code: str) -> SignAsked:
        """What the phone shows and signs: who asks, the purpose, a summary and the bytes."""
        request = requests.asking(uow, code)
        return SignAsked(
            code=request.code,
            site=SITE,
            purpose_ja=request.purpose_ja,
            purpose_en=request.purpose_en,
            summary=request.summary,
            data=base64.b64encode(request.data or b"").decode(),
            expires_at=request.expires_at,
        )

    @api.post("/sign/{code}", response_model=SignDone)
    def answer(uow: Work, code: str, body: SignAnswer) -> SignDone:
        """The phone's detached CMS SignedData over the bytes (signing certificate inside)."""
        try:
            cms = base64.b64decode(body.cms, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("cms is not base64", field="cms") from exc
        requests.complete(uow, code, cms)
        return SignDone(
            result="ok", message="署名しました。PCの画面をご覧ください / Signed: look at the PC"
        )

    return api


def page_router(pages: Pages, requests: SignRequests) -> APIRouter:
    """The PC page that waits (``/sign/{id}``) with the QR code for the phone app."""
    web = APIRouter(include_in_schema=False)

    @web.get("/sign/{request_id}", response_class=HTMLResponse, dependencies=[RESIDENT])
    def waiting(
        uow: Work,
        request: Request,
        request_id: str,
        session: Annotated[Session, Depends(pages.page_session)],
    ) -> Response:
        """署名: the QR code and code for the phone; the page continues once signed."""
        asked = requests.get(uow, request_id, session.portal_code)
        url = pages.phone_link("sign", f"/portal/api/sign/{asked.code}")
        return pages.render(
            request,
            "sign.html",
            session=session,
            asked=asked,
            phone_url=url,
            qr_svg=segno.make(url, error="m").svg_inline(scale=4, dark="#1f2933"),
        )

    @web.get("/sign/{request_id}/status", response_model=SignStatus, dependencies=[RESIDENT])
    def waiting_status(
        uow: Work, request_id: str, session: Annotated[Session, Depends(pages.api_session)]
    ) -> JSONResponse:
        """Polled by the waiting page: pending, signed, refused or expired."""
        return JSONResponse(
            SignStatus(**requests.status(uow, request_id, session.portal_code)).model_dump()
        )

    @web.get("/sign/{request_id}/events", dependencies=[RESIDENT])
    async def waiting_events(
        uow: Work,
        request: Request,
        request_id: str,
        session: Annotated[Session, Depends(pages.api_session)],
    ) -> StreamingResponse:
        """The sign request's state as server-sent events (``data:`` the status JSON),
        until it is signed, refused or expired; the waiting page polls only without them."""
        look = partial(requests.status, uow, request_id, session.portal_code)
        first = await anyio.to_thread.run_sync(look)  # another person's request: 404 up front

        async def stream() -> AsyncIterator[str]:
            yield f"retry: {EVENTS_RETRY_MS}\n\n"
            started = quiet = time.monotonic()
            state, last = first, None
            while True:
                if state["state"] != last:
                    yield f"data: {json.dumps(state, ensure_ascii=False)}\n\n"
                    last, quiet = state["state"], time.monotonic()
                if state["state"] in FINAL or time.monotonic() - started > EVENTS_LONGEST:
                    return
                if time.monotonic() - quiet > EVENTS_HEARTBEAT:
                    yield ": waiting\n\n"
                    quiet = time.monotonic()
                if await request.is_disconnected():
                    return
                await anyio.sleep(EVENTS_INTERVAL)
                state = await anyio.to_thread.run_sync(look)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return web
