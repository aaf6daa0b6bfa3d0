"""The composition root builds each organisation when it is first used: a command or a test
pays for the few it touches, and an organisation not yet built still answers (its first
request builds it) and can be sealed to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mynumber import federation
from mynumber.platform.settings import Settings


@pytest.fixture
def fresh(tmp_path, settings_for, drop_databases) -> Iterator[federation.Federation]:
    """A federation just built on an empty data folder."""
    settings: Settings = settings_for(tmp_path)
    built = federation.build(settings, in_process=True)
    yield built
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def test_an_organisation_is_built_on_its_first_request_and_the_health_report_builds_all(
    fresh, tmp_path
):
    fed = fresh
    assert [org for org in fed.apps if fed.apps.get_built(org)] == []
    # every organisation's encryption key is there before any is built
    published = {p.name for p in (tmp_path / "keys").iterdir()}
    assert {f"{org}.enc.pub.pem" for org in fed.apps} <= published

    answered = fed.directory.http.get("/hub/healthz")

    assert answered.status_code == 200, answered.text
    built = {org for org in fed.apps if fed.apps.get_built(org)}
    assert "hub" in built and "clinic-1311234567" not in built
    assert fed.hub() is fed.services("hub")  # the same services: built once

    report = fed.directory.http.get("/healthz").json()

    assert set(report["orgs"]) == set(fed.apps) and report["ok"] is True
    assert all(fed.apps.get_built(org) for org in fed.apps)
