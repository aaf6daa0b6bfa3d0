"""Limits that keep one organisation's burst from stalling the others.

- :class:`ConcurrencyGate` (ASGI middleware, added by :func:`mynumber.platform.web.new_app`):
  each organisation serves at most ``limit`` requests at once; further ones wait in a
  queue of at most ``queue`` for at most ``wait`` seconds, then get 503 ``busy`` with
  ``Retry-After``. A waiting request holds no thread. Served, the process's thread pool
  has room for every organisation's ``limit`` together (:func:`thread_tokens`), so a
  burst at one organisation, and the nested calls it makes to others, cannot take the
  threads another organisation needs. A call that comes back into an organisation whose
  slots are all waiting on it (A → hub → A) waits at most ``wait`` and gets 503: bounded,
  never a hang.
- :class:`TokenBuckets` and :class:`RateLimit` (a FastAPI dependency): so many requests a
  minute per client address, with a burst; beyond it 429 ``rate_limited`` with
  ``Retry-After``.

The numbers are this project's choice (settings ``org_concurrency``, ``org_queue``,
``org_queue_wait``, ``login_rate_per_minute``, ``login_burst``), not the real system's.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mynumber import errors
from mynumber.platform.settings import Settings

_DEFAULTS = Settings.model_fields
#: threads beyond the organisations' limits: the root app's own routes (``/healthz``, ``/``)
THREAD_MARGIN = 8


# --- concurrency per organisation ----------------------------------------------------------


class _Slots:
    """The slots of one gate on one event loop: a semaphore with a bounded, timed queue.

    A freed slot is handed straight to the first waiter, so a newcomer cannot overtake
    the queue."""

    def __init__(self) -> None:
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, gate: Gate) -> bool:
        if self.active < gate.limit and not self.waiters:
            self.active += 1
            return True
        if len(self.waiters) >= gate.queue:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(gate.wait):
                await waiter
            return True
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():  # handed a slot as time ran out
                self.release()
            if isinstance(exc, TimeoutError):
                return False
            raise
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)

    def release(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; ``active`` stays
                return
        self.active -= 1


class Gate:
    """How many requests one organisation serves at once, and how long others may wait.

    Slots are kept per event loop (one when served; tests may run several), so the gate
    never touches a loop other than the one it is called on."""

    def __init__(
        self,
        *,
        limit: int = _DEFAULTS["org_concurrency"].default,
        queue: int = _DEFAULTS["org_queue"].default,
        wait: float = _DEFAULTS["org_queue_wait"].default,
    ) -> None:
        self.limit, self.queue, self.wait = limit, queue, wait
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Slots] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def of(cls, app: FastAPI) -> Gate:
        """The app's gate (made on first call, kept on ``app.state.gate``)."""
        gate = getattr(app.state, "gate", None)
        if gate is None:
            gate = app.state.gate = cls()
        assert isinstance(gate, Gate)
        return gate

    def configure(self, settings: Settings) -> None:
        self.limit = settings.org_concurrency
        self.queue = settings.org_queue
        self.wait = settings.org_queue_wait

    def slots(self) -> _Slots | None:
        """This loop's slots; None off asyncio (trio), where requests pass ungated."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = _Slots()
        return slots

    def in_use(self) -> int:
        """Requests being served now on the calling loop (for tests and health)."""
        slots = self.slots()
        return 0 if slots is None else slots.active


class ConcurrencyGate:
    """ASGI middleware: at most ``gate.limit`` requests in an organisation at once.

    A slot is held until the answer starts: a server-sent event stream (the QR login
    page's) starts at once and then only waits, so it does not keep others out."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slots = self.gate.slots() if scope["type"] == "http" else None
        if slots is None:
            await self.app(scope, receive, send)
            return
        if not await slots.acquire(self.gate):
            await self._busy(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                slots.release()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        retry = max(1, math.ceil(self.gate.wait))
        where = scope.get("root_path", "") or "this organisation"
        response = JSONResponse(
            {
                "type": "urn:mynumber:error:busy",
                "title": "busy",
                "status": 503,
                "detail": f"{where} is serving as many requests as it may: try again in {retry} s",
            },
            status_code=503,
            media_type="application/problem+json",
            headers={"Retry-After": str(retry)},
        )
        await response(scope, receive, send)


def configure(app: FastAPI, settings: Settings) -> None:
    """Apply the settings' limits to an app made by ``new_app`` (no-op for other apps)."""
    gate = getattr(app.state, "gate", None)
    if isinstance(gate, Gate):
        gate.configure(settings)


def thread_tokens(settings: Settings, organisations: int) -> int:
    """Worker threads a server needs so every organisation can use all its slots at once."""
    return settings.org_concurrency * organisations + THREAD_MARGIN


# --- rate limits ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """A token bucket per key: ``per_minute`` tokens a minute, at most ``burst`` saved up.

    At most ``max_keys`` buckets are kept (the least recently used go first: a full bucket
    is what a forgotten key would get anyway), so many addresses cannot exhaust memory.
    ``per_minute`` 0 turns the limit off. Thread-safe: sync routes run in worker threads.
    """

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if per_minute < 0 or burst < 1:
            raise ValueError("a rate limit needs per_minute >= 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Take one token for ``key``, or raise :class:`errors.RateLimited`."""
        if self.rate == 0:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = math.ceil((1 - bucket.tokens) / self.rate)
        raise errors.RateLimited(f"too many requests: try again in {wait} s", retry_after=wait)


def client_address(request: Request) -> str:
    """The address the request came from (the proxy's, behind one: this project serves
    residents directly and trusts no forwarded-for header)."""
    return request.client.host if request.client else "unknown"


class RateLimit:
    """A FastAPI dependency that takes a token per client address from ``buckets``:
    ``dependencies=[Depends(RateLimit(buckets))]``."""

    def __init__(self, buckets: TokenBuckets) -> None:
        self.buckets = buckets

    @classmethod
    def per_minute(cls, per_minute: float, burst: int) -> RateLimit:
        return cls(TokenBuckets(per_minute=per_minute, burst=burst))

    def __call__(self, request: Request) -> None:
        self.buckets.take(client_address(request))
