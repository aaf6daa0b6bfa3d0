"""Every route of every organisation says who may call it, and the default is nobody.

Generated from the apps themselves, so a route added without a policy fails here: an
anonymous caller, a staff member whose roles lack the permission, and another organisation's
signature get no 2xx from any route that is not public by design, and change nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi.routing import RouteContext
from sqlalchemy import Engine, MetaData, func, select

from mynumber.federation import Federation, mount_path
from mynumber.platform.policy import Policy, api_routes, policies_of
from mynumber.platform.signing import Identity, KeyFolder


def routes(fed: Federation) -> list[tuple[str, RouteContext]]:
    return [(org, route) for org, app in fed.apps.items() for route in api_routes(app)]


def url_of(org: str, route: RouteContext) -> str:
    path = re.sub(r"\{([^}:]+)(:path)?\}", "0123456789abcdef", route.path)
    return mount_path(org) + path


def engine_of(fed: Federation, org: str) -> Engine:
    return fed.services(org).engine


def snapshot(fed: Federation) -> dict[str, int]:
    counts: dict[str, int] = {}
    for org in fed.apps:
        engine = engine_of(fed, org)
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                counts[f"{org}.{table.name}"] = conn.scalar(select(func.count()).select_from(table))
    return counts


def call(
    client: httpx.Client, org: str, route: RouteContext, **kwargs: Any
) -> list[httpx.Response]:
    url = url_of(org, route)
    return [
        client.request(
            method, url, content=b"{}", headers={"content-type": "application/json"}, **kwargs
        )
        for method in sorted(route.methods - {"HEAD"})
    ]


def test_every_route_declares_who_may_call_it(fed):
    undeclared = [
        f"{org} {sorted(route.methods)} {route.path}"
        for org, route in routes(fed)
        if not policies_of(route)
    ]
    assert undeclared == []


def test_staff_routes_name_a_permission_their_organisation_knows(fed):
    unknown = []
    for org, route in routes(fed):
        known = fed.services(org).staff.roles.permissions
        for policy in policies_of(route):
            if (
                policy.kind == "staff"
                and policy.detail != "signed in"
                and policy.detail not in known
            ):
                unknown.append(f"{org} {route.path}: {policy.detail}")
    assert unknown == []


def _guarded(fed: Federation) -> list[tuple[str, RouteContext, list[Policy]]]:
    out = []
    for org, route in routes(fed):
        found = policies_of(route)
        if not any(p.kind == "public" for p in found):
            out.append((org, route, found))
    return out


def test_with_no_credential_no_route_answers_2xx_and_nothing_changes(fed, anonymous, http):
    http.post("/municipality/131016/api/residents", json={})  # tables exist; nothing else
    before = snapshot(fed)
    answered = []
    for org, route, _ in _guarded(fed):
        for response in call(anonymous, org, route):
            if response.status_code < 300 or response.status_code >= 500:
                answered.append(
                    f"{response.request.method} {response.request.url.path} → "
                    f"{response.status_code}"
                )
    assert answered == []
    assert snapshot(fed) == before


def test_another_organisations_signature_opens_no_staff_route(fed, anonymous):
    keys = KeyFolder(fed.settings.data_dir / "keys")
    answered = []
    for org, route, found in _guarded(fed):
        if not any(p.kind == "staff" for p in found):
            continue
        sender = "tax" if org != "tax" else "pension"
        identity = Identity(sender, keys.private_key(sender))
        for method in sorted(route.methods - {"HEAD"}):
            url = httpx.URL(url_of(org, route))
            body = b"{}"
            headers = {"content-type": "application/json"}
            headers.update(identity.sign(method, url.raw_path.decode(), body))
            response = anonymous.request(method, url, content=body, headers=headers)
            if response.status_code not in (401, 403):
                answered.append(f"{method} {url.path} → {response.status_code}")
    assert answered == []


def test_a_role_without_the_permission_is_refused(fed, anonymous, as_staff):
    refused_wrongly = []
    for org, route, found in _guarded(fed):
        wanted = [p.detail for p in found if p.kind == "staff" and p.detail != "signed in"]
        if not wanted:
            continue
        roles = fed.services(org).staff.roles
        other = [
            name
            for name, role in roles.by_name.items()
            if name != "admin" and wanted[0] not in role.permissions
        ]
        if not other:
            continue  # every role of this organisation may do it
        headers = as_staff(org, [other[0]])
        for method in sorted(route.methods - {"HEAD"}):
            response = anonymous.request(
                method,
                url_of(org, route),
                content=b"{}",
                headers={**headers, "content-type": "application/json"},
            )
            if response.status_code != 403:
                refused_wrongly.append(
                    f"{org} {other[0]} {method} {route.path} → {response.status_code}"
                )
    assert refused_wrongly == []


def test_the_public_routes_are_the_ones_public_by_design(fed):
    public = sorted(
        {
            f"{route.path} ({next(p.detail for p in policies_of(route) if p.kind == 'public')})"
            for _, route in routes(fed)
            if any(p.kind == "public" for p in policies_of(route))
        }
    )
    text = json.dumps(public, ensure_ascii=False)
    for path in ("/healthz", "/staff/login"):
        assert path in text
    for never in ("/api/residents", "/api/programmes", "/api/filings", "/api/members"):
        assert never not in text, public


def test_the_readme_lists_every_public_route(fed):
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    listed = readme.split("**Public by design**")[1].split("\n\n")[1]
    missing = sorted(
        {
            route.path
            for _, route in routes(fed)
            if any(p.kind in ("public", "verifier") for p in policies_of(route))
            and f"{route.path.replace(':path', '')}`" not in listed
        }
    )
    assert missing == []


def test_every_staff_form_needs_the_csrf_token_and_this_sites_origin(fed, anonymous):
    """A browser's cookie session on any unsafe staff route: without the session's CSRF
    token, or from another site's page, it is refused before anything is read or changed."""
    before = snapshot(fed)
    refused_wrongly = []
    for org, route, found in _guarded(fed):
        if not any(p.kind == "staff" for p in found):
            continue
        unsafe = sorted(route.methods - {"GET", "HEAD", "OPTIONS"})
        if not unsafe:
            continue
        staff = fed.services(org).staff
        token = staff.local_admin_token()
        csrf = staff.session(token).csrf
        cookie = {"Cookie": f"staff_session={token}"}  # what a browser sends
        for method in unsafe:
            for extra in ({}, {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}):
                response = anonymous.request(
                    method,
                    url_of(org, route),
                    content=b"{}",
                    headers={"content-type": "application/json", **cookie, **extra},
                )
                if response.status_code != 403:
                    refused_wrongly.append(
                        f"{org} {method} {route.path} {sorted(extra)} → {response.status_code}"
                    )
    assert refused_wrongly == []
    changed = {k: v for k, v in snapshot(fed).items() if before.get(k) != v}
    # the sessions made for this test, and nothing else
    assert set(changed) <= {f"{org}.staff_sessions" for org in fed.apps} | {
        f"{org}.staff_members" for org in fed.apps
    }
