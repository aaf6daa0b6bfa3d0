"""Staff sign-in starts are rate-limited per client address at every organisation, as
Mynaportal's login starts are: past the burst a 429 with Retry-After, and no challenge."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from mynumber import federation
from mynumber.federation import INTERNAL_BASE
from mynumber.platform import store
from mynumber.platform.http import InProcessTransport
from mynumber.platform.settings import Settings


@pytest.fixture
def limited(tmp_path, settings_for, drop_databases) -> Iterator[federation.Federation]:
    settings: Settings = settings_for(
        tmp_path, staff_sign_in_rate_per_minute=2, staff_sign_in_burst=3
    )
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def client_of(fed: federation.Federation) -> httpx.Client:
    """A browser of its own, from 127.0.0.1 (the in-process transport's address)."""
    return httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE)


def challenges(fed: federation.Federation, org: str) -> int:
    with fed.services(org).staff.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(store.staff_challenges)) or 0)


@pytest.mark.parametrize(
    ("org", "base"), [("municipality-131016", "/municipality/131016"), ("jlis", "/jlis")]
)
def test_staff_sign_in_starts_past_the_burst_get_429_with_retry_after_and_start_nothing(
    limited, org, base
):
    with client_of(limited) as pc:
        assert pc.get(f"{base}/staff/login").status_code == 303
        assert pc.post(f"{base}/staff/api/sign-in").status_code == 201
        assert pc.get(f"{base}/staff/login").status_code == 303
        before = challenges(limited, org)
        for refused in (pc.get(f"{base}/staff/login"), pc.post(f"{base}/staff/api/sign-in")):
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "30"  # two a minute
            assert refused.json()["title"] == "rate_limited"
        assert challenges(limited, org) == before


def test_each_organisation_keeps_its_own_sign_in_bucket(limited):
    with client_of(limited) as pc:
        for _ in range(3):
            assert pc.post("/jlis/staff/api/sign-in").status_code == 201
        assert pc.post("/jlis/staff/api/sign-in").status_code == 429
        # another organisation's sign-in is not spent by J-LIS's
        assert pc.post("/hub/staff/api/sign-in").status_code == 201
