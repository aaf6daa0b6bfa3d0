"""Every field of every log record is redacted, for every written form of a My Number,
including uvicorn's own records and the tracebacks it logs while serving."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mynumber import number
from mynumber.platform import logs

NUMBER = "621498320257"
GROUPS = (NUMBER[:4], NUMBER[4:8], NUMBER[8:])
FULL_WIDTH = NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
FULL_GROUPS = (FULL_WIDTH[:4], FULL_WIDTH[4:8], FULL_WIDTH[8:])


def _accepted_forms() -> list[str]:
    """Forms mynumber.number.validate() accepts: ASCII or full-width digits, plain or with
    each separator it strips, between groups of four or between every digit."""
    forms = [NUMBER, FULL_WIDTH]
    for separator in number.SEPARATORS:
        for groups, digits in ((GROUPS, NUMBER), (FULL_GROUPS, FULL_WIDTH)):
            forms.append(separator.join(groups))
            forms.append(separator.join(digits))
    forms.append(" - ".join(GROUPS))
    return forms


ACCEPTED = _accepted_forms()

# Forms validate() refuses but a person or a program still writes: other spaces and
# dashes, the long-vowel mark typed for a hyphen, invisible characters, and the escaped
# spellings URLs, byte reprs and JSON use.
OTHER = [
    "\u00a0".join(GROUPS),  # NBSP
    "\u30fc".join(GROUPS),  # ー
    "\uff70".join(FULL_GROUPS),  # ｰ
    "\u2014".join(GROUPS),  # em dash
    "\u200b".join(GROUPS),  # zero-width space
    "\t".join(GROUPS),
    "+".join(GROUPS),  # a query string's space
    "%20".join(GROUPS),
    "".join(f"%{b:02X}" for b in FULL_WIDTH.encode()),
    "".join(f"%{b:02x}" for b in "\u3000".join(FULL_GROUPS).encode()),
    "".join(f"%{ord(c):02X}" for c in NUMBER),
    repr(FULL_WIDTH.encode())[2:-1],
    repr("\u3000".join(FULL_GROUPS).encode())[2:-1],
    json.dumps(FULL_WIDTH)[1:-1],
    json.dumps("\uff0d".join(FULL_GROUPS))[1:-1],
]


def test_the_accepted_forms_are_all_the_number() -> None:
    assert {number.validate(form) for form in ACCEPTED} == {NUMBER}
    assert len(ACCEPTED) == 2 + 4 * len(number.SEPARATORS) + 1


@pytest.mark.parametrize("written", ACCEPTED + OTHER)
def test_every_written_form_is_redacted(written: str) -> None:
    assert logs.redact(f"number {written} seen") == "number [redacted] seen"


def test_digit_runs_that_cannot_be_a_my_number_stay() -> None:
    for text in (
        "order 12345 of 2026",
        "1234567890123",  # thirteen digits
        "12345678901",  # eleven
        "2026-11-26T12:00:00.123456+00:00",
        "GET /municipality/131016/api/residents 200 12.5",
    ):
        assert logs.redact(text) == text


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _assert_clean(entry: dict[str, Any], written: str) -> None:
    text = json.dumps(entry, ensure_ascii=False)
    assert written not in text
    assert NUMBER not in text and FULL_WIDTH not in text
    assert "[redacted]" in text


LOGGERS = ["mynumber.test", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx"]


@pytest.mark.parametrize("logger_name", LOGGERS)
@pytest.mark.parametrize("written", ACCEPTED + OTHER)
def test_every_field_of_every_logger_is_redacted(
    log_stream: io.StringIO, written: str, logger_name: str
) -> None:
    log = logging.getLogger(logger_name)
    log.warning("as argument %s", written)
    log.warning(f"in the message itself {written}")
    log.warning("access", extra={"path": f"/api/x/{written}", "method": "GET", "status": 200})
    log.warning("extra", extra={"detail": {"items": [f"a {written}"], written: 1}})
    log.warning("extra number", extra={"count": int(NUMBER)})
    try:
        raise ValueError(f"bad input {written}")
    except ValueError:
        log.exception("failed")
    log.warning("with stack %s", "info", stack_info=True, extra={"note": written})

    entries = _lines(log_stream)
    assert len(entries) == 7
    for entry in entries:
        _assert_clean(entry, written)
        assert entry["logger"] == logger_name
    assert entries[0]["message"] == "as argument [redacted]"
    assert entries[1]["message"] == "in the message itself [redacted]"
    assert entries[2]["path"] == "/api/x/[redacted]"
    assert entries[2]["status"] == 200
    assert entries[3]["detail"] == {"items": ["a [redacted]"], "[redacted]": 1}
    assert entries[4]["count"] == "[redacted]"
    assert "ValueError: bad input [redacted]" in entries[5]["exception"]
    assert "Traceback" in entries[5]["exception"]
    assert entries[6]["note"] == "[redacted]" and "stack" in entries[6]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _fails(request: Request) -> Response:
    # The number is in the source line, so the traceback's text carries it, not only the
    # exception's message.
    raise RuntimeError("could not designate ６２１４－９８３２－０２５７ at " + request.url.path)


def test_a_traceback_uvicorn_logs_while_serving_is_redacted(log_stream: io.StringIO) -> None:
    """Served as ``mynumber run`` serves (log_config=None after logs.configure)."""
    app = Starlette(routes=[Route("/{rest:path}", _fails)])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        with httpx.Client() as client:
            answer = client.get(f"http://127.0.0.1:{port}/x/6214%E3%80%809832%E3%80%800257")
        assert answer.status_code == 500
    finally:
        server.should_exit = True
        thread.join(10)

    entries = [e for e in _lines(log_stream) if e["logger"] == "uvicorn.error"]
    assert entries, log_stream.getvalue()
    failure = next(e for e in entries if e["message"].startswith("Exception in ASGI application"))
    assert failure["level"] == "ERROR"
    assert "RuntimeError: could not designate [redacted] at /x/[redacted]" in failure["exception"]
    assert 'raise RuntimeError("could not designate [redacted] at "' in failure["exception"]
    _assert_clean(failure, "６２１４－９８３２－０２５７")
    assert "９８３２" not in log_stream.getvalue() and "9832" not in log_stream.getvalue()
