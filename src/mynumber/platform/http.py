"""Typed HTTP clients between organisations: the only way one organisation reaches another.

A :class:`ServiceClient` signs every request with its organisation's identity, gives each
call its own deadline if asked, and turns a problem+json answer back into the matching
:class:`mynumber.errors.Error` (:func:`error_from_response`), so a caller sees the same
error the other organisation raised.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import anyio.from_thread
import anyio.to_thread
import httpx
import orjson
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message

from mynumber import errors
from mynumber.platform.signing import Identity

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)

# Deadlines (seconds) of calls between organisations, by kind of call. Each hop's is
# shorter than its caller's, so a caller hears "unavailable" from the hop that waited
# instead of giving up itself. Over sockets they bite; the in-process transport ignores
# them (the call runs to its end), and the organisations' concurrency gates (``limits``)
# bound the waiting there. The values are this project's choice.

#: any call of one organisation to another that names no deadline (:class:`ServiceClient`)
CALL_DEADLINE = 30.0
#: an organisation asking the hub about one person; the hub waits ``PROVIDE_DEADLINE``
EXCHANGE_DEADLINE = 20.0
#: the hub waiting for a provider's intermediate server about one person
PROVIDE_DEADLINE = 10.0
#: an organisation's delivery through the hub, which waits 120 s for the recipient
DELIVERY_DEADLINE = 180.0
#: a bulk exchange through the hub, which waits 300 s for the provider
BULK_DEADLINE = 600.0

_ERROR_OF_STATUS: dict[int, type[errors.Error]] = {
    400: errors.InvalidInput,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.InvalidInput,
    429: errors.RateLimited,
}


class _LoopThread:
    """An asyncio event loop in a daemon thread of its own, until :meth:`stop`.

    Its one long-lived main task is what AnyIO takes for the root task, so the worker
    threads that run sync routes stay alive between requests (and stop with it).
    Coroutines are handed over with :func:`asyncio.run_coroutine_threadsafe`: one
    wake-up of the loop per call, no task group or cancel scope around each.
    """

    def __init__(self, worker_threads: int) -> None:
        self.loop = asyncio.new_event_loop()
        self._stopped: asyncio.Event | None = None
        ready = threading.Event()

        async def main() -> None:
            self._stopped = asyncio.Event()
            anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads
            ready.set()
            await self._stopped.wait()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(main())
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

        self.thread = threading.Thread(target=run, name="mynumber-in-process", daemon=True)
        self.thread.start()
        ready.wait()

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def stop(self) -> None:
        if self._stopped is not None:
            self.loop.call_soon_threadsafe(self._stopped.set)
        self.thread.join(10)


class InProcessTransport(httpx.BaseTransport):
    """Carries HTTP requests to an ASGI app in this process, without a socket.

    Requests run on one long-lived event loop in a thread of its own (started on first
    use, stopped by :meth:`close`). Routes that call another organisation run in that
    loop's worker threads and block only themselves, so nested calls work the same as
    over the network. A call made on the loop's own thread (an ``async`` route calling a
    client synchronously) gets a short-lived loop instead of deadlocking.

    The request is handed to the app as one ASGI ``http`` scope with its whole body, and
    the answer gathered whole, as :class:`httpx.ASGITransport` does, less its per-request
    probing for trio and its stream wrappers (a measurable share of an in-process call).

    Deadlines (``timeout``) are not enforced: a call runs to its end, as a nested call
    cannot be stopped halfway in a worker thread; the organisations' concurrency gates
    bound how long a call waits to be served.
    """

    #: worker threads of the loop: each nested call holds one while it waits
    WORKER_THREADS = 200

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._thread: _LoopThread | None = None

    async def _send(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        body = request.content
        body_sent = False
        complete = anyio.Event()
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                if request.method != "HEAD":
                    parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete.set()

        await self._app(scope, receive, send)
        return httpx.Response(status, headers=headers, content=b"".join(parts))

    def _loop(self) -> _LoopThread:
        with self._lock:
            if self._thread is None:
                self._thread = _LoopThread(self.WORKER_THREADS)
            return self._thread

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        loop = self._loop()
        if threading.current_thread() is not loop.thread:
            return loop.call(self._send(request))
        with anyio.from_thread.start_blocking_portal() as portal:
            return portal.call(self._send, request)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop()


class Directory:
    """Where each organisation is reached, and the HTTP client that reaches it.

    In one process every organisation is mounted on one app and reached in-process;
    split, each has its own URL. Either way the client speaks HTTP.
    """

    def __init__(self, urls: dict[str, str], http: httpx.Client | None = None) -> None:
        self.urls = dict(urls)
        self.http = http or httpx.Client(timeout=30.0)

    def url(self, org: str) -> str:
        try:
            return self.urls[org].rstrip("/")
        except KeyError as exc:
            raise errors.NotFound(f"no organisation named {org}") from exc


class ServiceClient:
    """Base of the typed clients: one per organisation called, owned by the caller.

    :meth:`request` answers JSON; :meth:`call` checks the answer against a pydantic model
    (the wire contract), so a caller never reads half of an answer it did not agree on.

    ``timeout`` is the deadline of each call in seconds (default :data:`CALL_DEADLINE`);
    :meth:`request` takes another for one call. A call past it raises
    :class:`errors.Unavailable`."""

    def __init__(
        self,
        directory: Directory,
        org: str,
        identity: Identity | None,
        *,
        timeout: float = CALL_DEADLINE,
    ) -> None:
        self.directory = directory
        self.org = org
        self.identity = identity
        self.timeout = timeout

    def request(
        self, method: str, path: str, payload: Any = None, *, timeout: float | None = None
    ) -> Any:
        """The JSON answer (None if empty) to a request signed by our identity.

        ``timeout`` (seconds) is this call's deadline instead of the client's; a late,
        unreachable or non-JSON answer raises Unavailable, an error answer the error the
        other organisation raised (:func:`error_from_response`).
        """
        url = httpx.URL(self.directory.url(self.org) + path)
        if isinstance(payload, BaseModel):
            payload = payload.model_dump(mode="json")
        body = b"" if payload is None else orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
        headers = {"content-type": "application/json"} if payload is not None else {}
        if self.identity is not None:
            headers.update(self.identity.sign(method, url.raw_path.decode(), body))
        deadline = self.timeout if timeout is None else timeout
        try:
            response = self.directory.http.request(
                method, url, content=body, headers=headers, timeout=deadline
            )
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"{self.org} did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(self.org, response)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except ValueError as exc:
            raise errors.Unavailable(f"{self.org} answered something not JSON") from exc

    def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        answer: type[ModelT],
        timeout: float | None = None,
    ) -> ModelT:
        """:meth:`request`, its answer validated as ``answer``; one shaped otherwise raises
        Unavailable (``bad_answer``), naming the contract, never the data."""
        data = self.request(method, path, payload, timeout=timeout)
        try:
            return answer.model_validate(data)
        except ValidationError as exc:
            raise errors.Unavailable(
                f"{self.org} answered outside the contract {answer.__name__}", code="bad_answer"
            ) from exc


def error_from_response(org: str, response: httpx.Response) -> errors.Error:
    """The :class:`~mynumber.errors.Error` an error answer of ``org`` stands for.

    The class follows the status (a status we do not map is Unavailable), the ``code`` is
    the problem's ``title``, and the message ``"<org>: <detail>"`` names the first field at
    fault when the problem lists some.
    """
    try:
        body = response.json()
        code, detail = str(body.get("title", "error")), str(body.get("detail", ""))
        fields = body.get("errors") or []
        if fields:  # name the first field at fault, as the validation error did
            detail += f" ({fields[0].get('field')}: {fields[0].get('message')})"
    except (ValueError, AttributeError):
        code, detail = "error", response.text[:200]
    cls = _ERROR_OF_STATUS.get(response.status_code, errors.Unavailable)
    return cls(f"{org}: {detail}", code=code)
