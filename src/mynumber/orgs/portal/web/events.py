"""Server-sent events for the QR login: the PC page waits on
``GET /login/events/{challenge}`` (``text/event-stream``) instead of polling.

Each event's data is the login's state as JSON (``{"state": "pending"}``, then ``done``,
``refused`` with the reason, or ``expired``); the stream ends with the first final state.
An event stream cannot set a cookie once it has started, so on ``done`` the page makes one
``GET /login/status`` call, which hands over the session cookie exactly once, as before.
"""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Cookie, Request
from fastapi.responses import StreamingResponse

from mynumber.orgs.portal.model import CHALLENGE_TTL, SessionRequired
from mynumber.orgs.portal.services.login import PollResult, Portal
from mynumber.orgs.portal.web.deps import LOGIN
from mynumber.platform.web.uow import Work

#: How often the stream looks at the login's state (seconds).
INTERVAL = 0.5
#: A comment line this often keeps proxies from closing a quiet stream (seconds).
HEARTBEAT = 15.0
#: No stream outlives its challenge (plus a margin); the browser reconnects if it must.
LONGEST = CHALLENGE_TTL.total_seconds() + 30
FINAL = frozenset({"done", "refused", "expired"})
#: How long the browser waits before reconnecting a dropped stream (milliseconds).
RETRY_MS = 2000


def event(result: PollResult) -> str:
    """One SSE message (WHATWG HTML §9.2): the state as JSON on a ``data:`` line."""
    body = {"state": result.state}
    if result.reason:
        body["reason"] = result.reason
    if result.detail:
        body["detail"] = result.detail
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def event_router(portal: Portal) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[LOGIN])

    @web.get("/login/events/{challenge_id}")
    async def login_events(
        uow: Work,
        request: Request,
        challenge_id: str,
        portal_pair: Annotated[str | None, Cookie()] = None,
    ) -> StreamingResponse:
        """The QR login's state as server-sent events, until it is done, refused or expired."""
        if not portal_pair:
            raise SessionRequired("this browser has no login waiting: reload the login page")
        look = partial(portal.poll, uow, challenge_id, portal_pair, claim=False)
        first = await anyio.to_thread.run_sync(look)  # an unknown challenge: 404 up front

        async def stream() -> AsyncIterator[str]:
            yield f"retry: {RETRY_MS}\n\n"
            started = quiet = time.monotonic()
            state, last = first, ""
            while True:
                if state.state != last:
                    yield event(state)
                    last, quiet = state.state, time.monotonic()
                if state.state in FINAL or time.monotonic() - started > LONGEST:
                    return
                if time.monotonic() - quiet > HEARTBEAT:
                    yield ": waiting\n\n"
                    quiet = time.monotonic()
                if await request.is_disconnected():
                    return
                await anyio.sleep(INTERVAL)
                state = await anyio.to_thread.run_sync(look)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return web
