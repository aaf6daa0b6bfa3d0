"""Mynaportal under the shared limits: login starts are rate-limited per client address,
and its pages carry the security headers, with a script nonce the page's script uses."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from mynumber import federation
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.portal import store
from mynumber.platform.http import InProcessTransport
from mynumber.platform.settings import Settings


def client_of(fed: federation.Federation) -> httpx.Client:
    """A browser of its own, from 127.0.0.1 (the in-process transport's address)."""
    return httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE)


@pytest.fixture
def limited(tmp_path, settings_for, drop_databases) -> Iterator[federation.Federation]:
    settings: Settings = settings_for(tmp_path, login_rate_per_minute=2, login_burst=3)
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def challenges(fed: federation.Federation) -> int:
    with fed.services("portal").engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(store.challenges)) or 0)


def test_login_starts_past_the_burst_get_429_with_retry_after_and_start_nothing(limited):
    with client_of(limited) as pc:
        assert pc.get("/portal/login").status_code == 200
        assert pc.post("/portal/api/login/start", json={"method": "cli"}).status_code == 201
        assert pc.get("/portal/login").status_code == 200
        before = challenges(limited)
        for refused in (
            pc.get("/portal/login"),
            pc.post("/portal/api/login/start", json={"method": "cli"}),
        ):
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "30"  # two a minute
            assert refused.json()["title"] == "rate_limited"
        assert challenges(limited) == before
        # what is not a login start is not limited
        assert pc.get("/portal/healthz").status_code == 200


def test_the_login_page_carries_the_security_headers_and_its_script_the_nonce(fed):
    with client_of(fed) as pc:
        page = pc.get("/portal/login")
        api = pc.post("/portal/api/login/start", json={"method": "cli"})
        bad = pc.post("/portal/api/login/start", json={"method": "carrier pigeon"})
        index = pc.get("/")
    assert page.status_code == 200 and api.status_code == 201 and bad.status_code == 422
    for answer in (page, api, bad, index):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["cache-control"] == "no-store"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in scripts)
    assert "onsubmit=" not in page.text and "onclick=" not in page.text  # no inline handlers
