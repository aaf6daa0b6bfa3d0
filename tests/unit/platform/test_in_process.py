"""The in-process transport carries a request to an ASGI app and back as HTTP would, and
the access log writes one line per request."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mynumber.platform.http import InProcessTransport
from mynumber.platform.web import AccessLog


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(AccessLog)

    @app.post("/echo/{name}")
    async def echo(name: str, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "name": name,
                "query": request.url.query,
                "body": (await request.body()).decode(),
                "header": request.headers.get("x-test"),
            },
            status_code=201,
            headers={"x-answer": "yes"},
        )

    @app.get("/nothing")
    def nothing() -> Response:
        return Response(status_code=204)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return app


@pytest.fixture
def client() -> httpx.Client:
    transport = InProcessTransport(make_app())
    with httpx.Client(transport=transport, base_url="http://in.process") as http:
        yield http
    transport.close()


def test_method_path_query_headers_and_body_reach_the_app_and_come_back(client) -> None:
    answer = client.post("/echo/%E5%B1%B1?a=1&b=%20", content="本文", headers={"x-test": "t"})
    assert answer.status_code == 201 and answer.headers["x-answer"] == "yes"
    assert answer.json() == {"name": "山", "query": "a=1&b=%20", "body": "本文", "header": "t"}
    assert client.get("/nothing").status_code == 204


def test_an_app_error_is_raised_to_the_caller(client) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/boom")


def test_the_access_log_has_one_line_per_request(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="mynumber.web"):
        client.get("/nothing")
        client.post("/echo/x", content="")
    lines = [r for r in caplog.records if r.name == "mynumber.web"]
    assert [(r.method, r.path, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("GET", "/nothing", 204),
        ("POST", "/echo/x", 201),
    ]
    assert all(r.duration_ms >= 0 for r in lines)  # type: ignore[attr-defined]
