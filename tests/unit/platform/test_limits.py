"""The limits every organisation has: a concurrency gate with a bounded, timed queue, and
token-bucket rate limits per client address; and the security headers on every answer."""

from __future__ import annotations

import re

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from mynumber import errors
from mynumber.platform.limits import Gate, RateLimit, TokenBuckets, thread_tokens
from mynumber.platform.settings import Settings
from mynumber.platform.web import new_app, templates_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- token buckets -------------------------------------------------------------------------


class Clock:
    """A hand-wound clock: the bucket's refill is what is under test, not the time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_refuses_with_when_to_come_back() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=6, burst=3, clock=clock)
    for _ in range(3):
        buckets.take("192.0.2.1")
    with pytest.raises(errors.RateLimited) as refused:
        buckets.take("192.0.2.1")
    assert refused.value.retry_after == 10  # one token every 10 s
    buckets.take("192.0.2.2")  # another address has its own bucket


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=2, clock=clock)
    buckets.take("a")
    buckets.take("a")
    clock.now += 1  # one token back
    buckets.take("a")
    with pytest.raises(errors.RateLimited):
        buckets.take("a")
    clock.now += 3600  # a long rest saves up no more than the burst
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(errors.RateLimited):
        buckets.take("a")


def test_a_rate_of_zero_limits_nothing_and_a_bad_rate_is_refused() -> None:
    buckets = TokenBuckets(per_minute=0, burst=1)
    for _ in range(1000):
        buckets.take("a")
    with pytest.raises(ValueError):
        TokenBuckets(per_minute=-1, burst=1)
    with pytest.raises(ValueError):
        TokenBuckets(per_minute=1, burst=0)


def test_many_addresses_keep_at_most_max_keys_buckets() -> None:
    buckets = TokenBuckets(per_minute=1, burst=1, clock=Clock(), max_keys=100)
    for i in range(1000):
        buckets.take(f"198.51.100.{i}")
    assert len(buckets._buckets) == 100
    with pytest.raises(errors.RateLimited):
        buckets.take("198.51.100.999")  # the most recent are kept


async def test_a_rate_limited_route_answers_429_with_retry_after_per_client_address() -> None:
    app = new_app(title="t")
    limit = RateLimit(TokenBuckets(per_minute=1, burst=2, clock=Clock()))

    @app.post("/start", dependencies=[Depends(limit)], status_code=201)
    def start() -> dict[str, bool]:
        return {"started": True}

    async def post(address: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/start")

    assert [(await post("192.0.2.1")).status_code for _ in range(2)] == [201, 201]
    refused = await post("192.0.2.1")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "rate_limited"
    assert (await post("192.0.2.2")).status_code == 201


# --- the concurrency gate ------------------------------------------------------------------


def gated_app(*, limit: int, queue: int, wait: float) -> tuple[FastAPI, anyio.Event]:
    """An app whose ``/hold`` requests stay until ``release`` is set."""
    app = new_app(title="gated")
    gate = Gate.of(app)
    gate.limit, gate.queue, gate.wait = limit, queue, wait
    release = anyio.Event()
    app.state.streaming = False

    @app.get("/hold")
    async def hold() -> dict[str, bool]:
        await release.wait()
        return {"held": True}

    @app.get("/quick")
    async def quick() -> dict[str, bool]:
        return {"quick": True}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events():  # type: ignore[no-untyped-def]
            app.state.streaming = True  # the answer has started: its head is sent
            yield b"data: started\n\n"
            await release.wait()
            yield b"data: done\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app, release


async def until(condition) -> None:  # type: ignore[no-untyped-def]
    """Let the other tasks run until ``condition()`` holds (no sleeping for a time)."""
    for _ in range(10_000):
        if condition():
            return
        await anyio.sleep(0)
    raise AssertionError("the condition never held")


async def test_past_the_limit_requests_queue_and_past_the_queue_they_get_503() -> None:
    app, release = gated_app(limit=2, queue=1, wait=60)
    gate = Gate.of(app)
    transport = httpx.ASGITransport(app=app)
    answers: dict[int, httpx.Response] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def get(i: int) -> None:
            answers[i] = await client.get("/hold")

        async with anyio.create_task_group() as tg:
            for i in range(3):  # two served, one waiting
                tg.start_soon(get, i)
            await until(lambda: gate.in_use() == 2 and len(gate.slots().waiters) == 1)
            busy = await client.get("/quick")  # the queue is full: refused at once
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == "60"
            assert busy.json()["title"] == "busy"
            assert busy.headers["x-content-type-options"] == "nosniff"
            release.set()
        assert [answers[i].status_code for i in range(3)] == [200, 200, 200]
        assert gate.in_use() == 0
        assert (await client.get("/quick")).status_code == 200


async def test_a_request_that_waits_too_long_for_a_slot_gets_503_and_frees_its_place() -> None:
    app, release = gated_app(limit=1, queue=5, wait=0.05)
    gate = Gate.of(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.get, "/hold")
            await until(lambda: gate.in_use() == 1)
            late = await client.get("/quick")
            assert late.status_code == 503 and late.headers["retry-after"] == "1"
            assert not gate.slots().waiters
            release.set()
        assert gate.in_use() == 0


async def test_a_stream_gives_its_slot_back_once_its_answer_has_started() -> None:
    app, release = gated_app(limit=1, queue=0, wait=0)
    gate = Gate.of(app)
    transport = httpx.ASGITransport(app=app)  # gathers the whole answer: read in a task
    streamed: list[httpx.Response] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def listen() -> None:
            streamed.append(await client.get("/stream"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            await until(lambda: app.state.streaming and gate.in_use() == 0)
            assert (await client.get("/quick")).status_code == 200  # not kept out
            release.set()
    assert "done" in streamed[0].text


def test_the_served_thread_pool_holds_every_organisations_limit() -> None:
    settings = Settings(org_concurrency=8)
    assert thread_tokens(settings, 13) >= 8 * 13


# --- security headers ----------------------------------------------------------------------


def page_app(tmp_path) -> FastAPI:  # type: ignore[no-untyped-def]
    (tmp_path / "page.html").write_text(
        '<!doctype html><p>ok</p><script nonce="{{ csp_nonce() }}">1</script>', encoding="utf-8"
    )
    templates: Jinja2Templates = templates_for(tmp_path)
    app = new_app(title="headers")

    @app.get("/page", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "page.html", {})

    @app.get("/data")
    def data() -> dict[str, int]:
        return {"n": 1}

    @app.get("/public")
    def public() -> HTMLResponse:
        return HTMLResponse("<p>public</p>", headers={"cache-control": "max-age=60"})

    return app


async def test_every_answer_carries_the_security_headers(tmp_path) -> None:
    transport = httpx.ASGITransport(app=page_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page, data, missing, public = [
            await client.get(p) for p in ("/page", "/data", "/missing", "/public")
        ]
        docs = await client.get("/docs")
    for answer in (page, data, missing, public, docs):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
    for answer in (page, data, missing):
        assert answer.headers["cache-control"] == "no-store"
    assert public.headers["cache-control"] == "max-age=60"  # the route's own is kept
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in page.text
    again = (await httpx.AsyncClient(transport=transport, base_url="http://t").get("/page")).headers
    assert nonce.group(1) not in again["content-security-policy"]  # one nonce per answer
    assert "content-security-policy" not in data.headers
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
