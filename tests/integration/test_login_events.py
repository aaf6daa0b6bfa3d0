"""The QR login page waits on server-sent events (``GET /portal/login/events/{id}``): the
stream says pending, then done, refused or expired, and ends there; the session cookie is
still handed over once, by ``/portal/login/status``. Runs on SQLite and, with
``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_portal_login import AUTH_PIN, issue, open_login

from mynumber.cli.phone import approve, challenge
from mynumber.devices.phone import sign_challenge
from mynumber.federation import INTERNAL_BASE
from mynumber.platform.http import InProcessTransport


@pytest.fixture(scope="module")
def card(fed, http) -> dict[str, Any]:
    return issue(fed, http)


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def portal(fed):
    service = fed.portal().portal
    real = service.clock
    yield service
    service.clock = real


class Stream(threading.Thread):
    """Reads one event stream to its end, in the background, as a browser would."""

    def __init__(self, pc: httpx.Client, login: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.pc, self.login = pc, login
        self.status = 0
        self.content_type = ""
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []

    def run(self) -> None:
        with self.pc.stream("GET", f"/portal/login/events/{self.login['id']}") as response:
            self.status = response.status_code
            self.content_type = response.headers.get("content-type", "")
            for line in response.iter_lines():
                self.lines.append(line)
                if line.startswith("data: "):
                    self.events.append(json.loads(line.removeprefix("data: ")))


def test_the_stream_says_pending_then_done_and_the_status_gives_the_session(http, pc, card) -> None:
    login = open_login(pc)
    stream = Stream(pc, login)
    stream.start()
    time.sleep(1.0)  # the page is waiting
    assert stream.is_alive()

    approve(http, login["code"], card["client"], pin=AUTH_PIN)
    stream.join(timeout=10)

    assert not stream.is_alive()
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    assert [e["state"] for e in stream.events] == ["pending", "done"]
    assert stream.lines[0].startswith("retry: ")
    assert "portal_session" not in pc.cookies  # the stream hands out no session …
    status = pc.get("/portal/login/status", params={"id": login["id"]})
    assert status.json()["state"] == "done" and "portal_session" in pc.cookies  # … this does
    assert pc.get("/portal/home").status_code == 200


def test_a_refused_login_ends_the_stream_with_the_reason(http, pc, card) -> None:
    login = open_login(pc)
    stream = Stream(pc, login)
    stream.start()
    time.sleep(0.7)
    nonce = base64.b64decode(challenge(http, login["code"])["challenge"])
    answer = sign_challenge(card["client"], nonce + b"x", pin=AUTH_PIN)  # signs something else
    body = {
        "signature": base64.b64encode(answer.signature).decode(),
        "certificate": base64.b64encode(answer.certificate).decode(),
    }
    assert http.post(f"/portal/api/login/{login['code']}", json=body).status_code == 401
    stream.join(timeout=10)

    assert not stream.is_alive()
    assert [e["state"] for e in stream.events] == ["pending", "refused"]
    assert stream.events[-1]["reason"] == "signature_invalid" and stream.events[-1]["detail"]


def test_an_expired_login_ends_the_stream(pc, portal) -> None:
    login = open_login(pc)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    portal.clock = lambda: later

    stream = Stream(pc, login)
    stream.start()
    stream.join(timeout=10)

    assert [e["state"] for e in stream.events] == ["expired"]
    assert stream.events[0]["reason"] == "challenge_expired"


def test_a_stream_needs_the_browser_that_asked_for_the_login(fed, pc) -> None:
    login = open_login(pc)
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as other:
        assert other.get(f"/portal/login/events/{login['id']}").status_code == 401
        other.cookies.set("portal_pair", "not-the-right-browser", path="/portal")
        assert other.get(f"/portal/login/events/{login['id']}").status_code == 404
    assert pc.get("/portal/login/events/0000000000000000").status_code == 404


def test_the_login_page_waits_on_events_and_keeps_polling_as_a_fallback(pc) -> None:
    page = pc.get("/portal/login").text
    assert 'new EventSource(prefix + "/login/events/"' in page
    assert "window.EventSource" in page and "/login/status" in page
