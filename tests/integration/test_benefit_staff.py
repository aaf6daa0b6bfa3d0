"""Who may call the benefit office: its staff by role (planner, approver), a programme made
by one staff member and approved by another, Mynaportal by signature, the public only for
health; what staff do is in the office's access log."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest

from mynumber.orgs.benefits.model import NotApproved
from mynumber.platform.policy import api_routes, policies_of
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.staff.model import LOCAL_ADMIN_ID
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
API = "/benefits/api/programmes"


def staff_member(fed, roles: list[str]) -> tuple[str, dict[str, str]]:
    """A staff member of the office with these roles: (their id, their bearer header)."""
    staff = fed.benefits().staff
    member = staff.add(
        name=f"職員 {secrets.token_hex(2)}", roles=roles, auth_serial=secrets.token_hex(8)
    )
    return member.id, {"Authorization": f"Bearer {staff.issue_token(member.id).token}"}


@pytest.fixture(scope="module")
def planner(fed) -> tuple[str, dict[str, str]]:
    return staff_member(fed, ["planner"])


@pytest.fixture(scope="module")
def approver(fed) -> tuple[str, dict[str, str]]:
    return staff_member(fed, ["approver"])


def new_programme(client: httpx.Client, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = {"name": f"給付 {secrets.token_hex(4)}", "amount": 1000, "municipalities": [CHIYODA]}
    made = client.post(API, json=body, headers=headers or {})
    assert made.status_code == 201, made.text
    return dict(made.json())


def snapshot(fed) -> list[dict[str, Any]]:
    """Every programme as the office keeps it, with its status (what a refusal must not change)."""
    office = fed.benefits()
    uow = UnitOfWork(office.engine)
    return [
        p | {"status": office.programmes.status(uow, p["id"])} for p in office.programmes.all(uow)
    ]


def staff_routes(pid: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    body = {"name": "無断の給付", "amount": 1000, "municipalities": [CHIYODA]}
    return [
        ("POST", API, body),
        ("GET", API, None),
        ("GET", f"{API}/{pid}/status", None),
        ("POST", f"{API}/{pid}/approve", None),
        ("POST", f"{API}/{pid}/run", None),
        ("GET", "/benefits/", None),
        ("GET", f"/benefits/programmes/{pid}", None),
        ("POST", f"/benefits/programmes/{pid}/approve", None),
    ]


def test_every_route_of_the_office_declares_who_may_call_it(fed):
    routes = list(api_routes(fed.apps["benefits"]))
    undeclared = [r.path for r in routes if not policies_of(r)]

    assert routes and undeclared == []
    kinds = {r.path: {p.kind for p in policies_of(r)} for r in routes}
    assert kinds["/healthz"] == {"public"}
    assert kinds["/api/programmes/{programme_id}"] == {"signed"}
    assert kinds["/api/programmes/{programme_id}/run"] == {"staff"}


def test_anonymous_callers_of_every_staff_route_get_401_and_nothing_changes(fed, http, anonymous):
    pid = new_programme(http)["id"]
    before = snapshot(fed)

    for method, path, body in staff_routes(pid):
        response = anonymous.request(method, path, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["title"] == "staff_sign_in_required"

    assert snapshot(fed) == before
    page = anonymous.get("/benefits/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and "/benefits/staff/login" in page.headers["location"]
    assert anonymous.get("/benefits/healthz").json()["ok"] is True


def test_a_role_without_the_permission_gets_403_and_nothing_changes(
    fed, http, anonymous, planner, approver
):
    pid = new_programme(http)["id"]
    before = snapshot(fed)

    assert (
        anonymous.post(
            API, json={"name": "x", "amount": 1, "municipalities": [CHIYODA]}, headers=approver[1]
        ).status_code
        == 403
    )
    for path in (f"{API}/{pid}/approve", f"/benefits/programmes/{pid}/approve"):
        refused = anonymous.post(path, headers=planner[1])
        assert refused.status_code == 403 and refused.json()["title"] == "permission_denied"
    assert anonymous.post(f"{API}/{pid}/run", headers=approver[1]).status_code == 403

    assert snapshot(fed) == before


def test_one_staff_member_makes_a_programme_another_approves_it_then_it_runs(
    fed, anonymous, planner, approver
):
    made = new_programme(anonymous, planner[1])
    pid = made["id"]
    assert (made["created_by"], made["approved"]) == (planner[0], False)

    not_yet = anonymous.post(f"{API}/{pid}/run", headers=planner[1])
    assert not_yet.status_code == 409 and not_yet.json()["title"] == "programme_not_approved"
    with pytest.raises(NotApproved):
        fed.benefits().runner.run(pid)
    listed = anonymous.get(API, headers=approver[1])
    assert listed.status_code == 200 and pid in {p["id"] for p in listed.json()}
    page = anonymous.get(f"/benefits/programmes/{pid}", headers=approver[1])
    assert page.status_code == 200 and 'id="approve"' in page.text

    approved = anonymous.post(f"{API}/{pid}/approve", headers=approver[1])
    assert approved.status_code == 200, approved.text
    assert (approved.json()["approved_by"], approved.json()["approved"]) == (approver[0], True)
    started = anonymous.post(f"{API}/{pid}/run", headers=planner[1])
    assert started.status_code == 202, started.text
    for _ in range(300):
        report = anonymous.get(f"{API}/{pid}/status", headers=planner[1]).json()
        if not report["running"]:
            break
        time.sleep(0.1)
    assert report["phase"] == "done"
    assert "承認済" in anonymous.get(f"/benefits/programmes/{pid}", headers=planner[1]).text


def test_the_maker_may_not_approve_even_holding_both_roles_nor_the_local_administrator(
    fed, http, anonymous
):
    both_id, both = staff_member(fed, ["planner", "approver"])
    theirs = new_programme(anonymous, both)
    admins = new_programme(http)  # the local administrator: every permission

    for programme, headers in ((theirs, both), (admins, {})):
        refused = http.post(f"{API}/{programme['id']}/approve", headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["title"] == "approver_made_programme"
    assert admins["created_by"] == LOCAL_ADMIN_ID and theirs["created_by"] == both_id
    page = anonymous.get(f"/benefits/programmes/{theirs['id']}", headers=both)
    assert 'id="approve"' not in page.text  # no approve button for the maker
    office, uow = fed.benefits().programmes, UnitOfWork(fed.benefits().engine)
    assert not office.get(uow, theirs["id"])["approved"]
    assert not office.get(uow, admins["id"])["approved"]
    # another staff member may; approving again changes nothing
    for _ in range(2):
        assert http.post(f"{API}/{admins['id']}/approve", headers=both).status_code == 200
    assert office.get(uow, admins["id"])["approved_by"] == both_id


def test_what_staff_do_to_programmes_is_in_the_access_log(fed, anonymous, planner, approver):
    staff = fed.benefits().staff
    after = staff.verify_log()[0]
    pid = new_programme(anonymous, planner[1])["id"]
    anonymous.post(f"{API}/{pid}/approve", headers=approver[1])
    refused = anonymous.post(f"{API}/{pid}/approve", headers=planner[1])

    entries = staff.log_entries(after=after)

    assert refused.status_code == 403
    assert [(e["actor"], e["role"], e["action"]) for e in entries] == [
        (planner[0], "planner", "programme.create"),
        (approver[0], "approver", "programme.approve"),
    ]
    assert all(e["person"] is None and "給付" in e["purpose"] for e in entries)
    assert {json.loads(e["detail"])["programme"] for e in entries} == {pid}
    assert staff.verify_log()[0] == after + 2


def test_a_programmes_public_view_is_for_mynaportal_by_signature(fed, http, anonymous):
    pid = new_programme(http)["id"]
    keys = KeyFolder(fed.settings.data_dir / "keys")
    path = f"{API}/{pid}"

    def signed_by(org: str) -> httpx.Response:
        headers = Identity(org, keys.private_key(org)).sign("GET", path, b"")
        return anonymous.get(path, headers=headers)

    assert anonymous.get(path).status_code == 401
    assert signed_by("hub").status_code == 403
    shown = signed_by("portal")
    assert shown.status_code == 200 and shown.json()["id"] == pid
