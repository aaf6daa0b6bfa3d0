"""The QR login's server-sent events over a real socket: the first event arrives while the
login is still pending (the stream is not buffered), the last when the phone approves."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)


def test_events_arrive_as_they_happen(server: dict[str, Any]) -> None:
    with (
        httpx.Client(base_url=server["url"], timeout=20.0) as pc,
        httpx.Client(base_url=server["url"], timeout=20.0) as phone,
    ):
        page = pc.get("/portal/login").text
        found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page)
        assert found is not None
        login_id, code = found.groups()
        with pc.stream("GET", f"/portal/login/events/{login_id}") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.iter_lines()
            first = next(line for line in lines if line.startswith("data: "))
            assert json.loads(first.removeprefix("data: "))["state"] == "pending"

            form = phone.get("/phone/login", params={"code": code}).text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            request = re.search(r'name="request" value="([^"]+)"', form)
            assert csrf is not None and request is not None
            card = server["wallet"][0]["card"].removesuffix(".card")
            approved = phone.post(
                "/phone/login",
                data={
                    "csrf": csrf.group(1),
                    "card": card,
                    "pin": PIN,
                    "request": html.unescape(request.group(1)),
                },
            )
            assert approved.status_code == 200 and 'id="done"' in approved.text

            rest = [json.loads(x.removeprefix("data: ")) for x in lines if x.startswith("data: ")]
        assert [e["state"] for e in rest] == ["done"]
        assert pc.get("/portal/login/status", params={"id": login_id}).json()["state"] == "done"
        assert pc.get("/portal/home").status_code == 200
