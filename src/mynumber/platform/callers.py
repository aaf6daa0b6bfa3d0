"""Machine callers: signed organisation requests checked before the body is parsed.

:class:`SignedRequests` is ASGI middleware on every organisation's app. A request that
carries the ``X-Mynumber-*`` headers has them checked for form, time and sender first (a
malformed header is a 401, never a 500), then its body is read up to the signed-request
limit and its signature verified, and only then handed on, with the verified sender in the
ASGI scope for :func:`mynumber.platform.web.signed_by`. Any other request may carry at most
the plain limit: a larger one is refused with 413 before more than that is read. Accepted
nonces are kept in the organisation's own database (:class:`DatabaseNonces`), so a replay
is refused across restarts for as long as the request's time is inside the window.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial

import anyio.to_thread
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mynumber import errors
from mynumber.platform import store
from mynumber.platform.signing import HEADER_ORG, SKEW_SECONDS, WINDOW_SECONDS, RequestVerifier

#: Where the verified sender goes in the ASGI scope.
SIGNED_BY = "mynumber.signed_by"
#: Plain requests (pages, forms, JSON from people): 2 MiB is far above any form here.
MAX_PLAIN_BODY = 2 * 1024 * 1024
#: Signed requests between organisations: a Zengin file part of 999,999 records is
#: about 120 MB (this project's choice of limit).
MAX_SIGNED_BODY = 128 * 1024 * 1024
#: How often (seconds) a process sweeps nonces older than the window.
SWEEP_EVERY = 60.0


class DatabaseNonces:
    """Accepted nonces in the organisation's database (table ``seen_nonces``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._swept = 0.0
        self._lock = threading.Lock()

    def remember(self, org: str, nonce: str, at: float) -> bool:
        self._sweep(at)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    store.seen_nonces.insert(), {"org": org, "nonce": nonce, "seen_at": at}
                )
        except IntegrityError:
            return False
        return True

    def _sweep(self, now: float) -> None:
        with self._lock:
            if now - self._swept < SWEEP_EVERY:
                return
            self._swept = now
        oldest = now - WINDOW_SECONDS - 2 * SKEW_SECONDS
        with self.engine.begin() as conn:
            conn.execute(delete(store.seen_nonces).where(store.seen_nonces.c.seen_at < oldest))


class _TooLarge(Exception):
    pass


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps(
        {"type": f"urn:mynumber:error:{code}", "title": code, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SignedRequests:
    """ASGI middleware: body limits for everyone, signatures checked before parsing."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: RequestVerifier,
        max_plain: int = MAX_PLAIN_BODY,
        max_signed: int = MAX_SIGNED_BODY,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.max_plain = max_plain
        self.max_signed = max_signed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        declared: int | None = None
        for key, value in scope.get("headers", []):
            name = key.decode("latin-1").lower()
            headers[name] = value.decode("latin-1")
            if name == "content-length":
                declared = int(value) if value.isdigit() and len(value) < 19 else -1
        signed = HEADER_ORG.lower() in headers
        now = time.time()
        if signed:
            try:
                self.verifier.precheck(headers, now)
            except errors.Error as exc:
                await _problem(send, 401, exc.code, exc.message)
                return
        limit = self.max_signed if signed else self.max_plain
        if declared is not None and (declared < 0 or declared > limit):
            await _problem(send, 413, "body_too_large", f"the body may be at most {limit} bytes")
            return
        try:
            body = await _read(receive, limit)
        except _TooLarge:
            await _problem(send, 413, "body_too_large", f"the body may be at most {limit} bytes")
            return
        if signed:
            try:
                path = bytes(scope.get("raw_path") or scope["path"].encode()).decode("utf-8")
            except UnicodeDecodeError:
                await _problem(send, 401, "bad_signature", "the path is not UTF-8")
                return
            query = bytes(scope.get("query_string", b"")).decode("latin-1")
            if query:
                path += "?" + query
            try:
                # in a worker thread: the nonce goes to the database, which may wait
                org = await anyio.to_thread.run_sync(
                    partial(
                        self.verifier.verify,
                        method=scope["method"],
                        path=path,
                        headers=headers,
                        body=body,
                        now=now,
                    )
                )
            except errors.Error as exc:
                await _problem(send, 401, exc.code, exc.message)
                return
            scope = dict(scope)
            scope[SIGNED_BY] = org
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _read(receive: Receive, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)
