"""Who may call Mynaportal: every route declares it; the OpenID relying parties are managed
by the portal operator only, and what the operator does is in the portal's access log."""

from __future__ import annotations

import json
import secrets

from mynumber.platform.policy import api_routes, policies_of
from mynumber.platform.uow import UnitOfWork

API = "/portal/api/oidc/clients"
CLIENT = {"name": "テスト連携サービス", "redirect_uris": ["https://rp.example/cb"]}


def staff_member(fed, roles: list[str]) -> tuple[str, dict[str, str]]:
    staff = fed.services("portal").staff
    member = staff.add(name="運用 三郎", roles=roles, auth_serial=secrets.token_hex(8))
    return member.id, {"Authorization": f"Bearer {staff.issue_token(member.id).token}"}


def test_every_route_of_the_portal_and_the_office_declares_who_may_call_it(fed):
    for org in ("portal", "benefits"):
        routes = list(api_routes(fed.apps[org]))
        kinds = {(r.path, *sorted(r.methods)): {p.kind for p in policies_of(r)} for r in routes}

        assert len(routes) > 10 and [k for k, v in kinds.items() if not v] == [], org
    portal = {r.path: {p.kind for p in policies_of(r)} for r in api_routes(fed.apps["portal"])}
    assert portal["/home"] == portal["/oidc/services"] == portal["/account"] == {"resident"}
    assert portal["/.well-known/openid-configuration"] == portal["/oidc/token"] == {"public"}
    assert portal["/api/login/start"] == {"public"} and portal[API[7:]] == {"staff"}


def test_only_the_portal_operator_manages_relying_parties_and_it_is_logged(fed, http, anonymous):
    clients = fed.portal().oidc.clients
    before = [c.client_id for c in clients.all(UnitOfWork(fed.portal().engine))]
    staff = fed.services("portal").staff
    operator_id, operator = staff_member(fed, ["operator"])
    # another organisation's staff token means nothing here
    office = fed.benefits().staff
    planner = office.add(name="企画 四郎", roles=["planner"], auth_serial=secrets.token_hex(8))
    elsewhere = {"Authorization": f"Bearer {office.issue_token(planner.id).token}"}

    assert anonymous.post(API, json=CLIENT).status_code == 401
    assert anonymous.get(API).status_code == 401
    assert anonymous.delete(f"{API}/x").status_code == 401
    assert anonymous.post(API, json=CLIENT, headers=elsewhere).status_code == 401
    assert [c.client_id for c in clients.all(UnitOfWork(fed.portal().engine))] == before

    after = staff.verify_log()[0]
    made = anonymous.post(API, json=CLIENT, headers=operator)
    assert made.status_code == 201, made.text
    client_id = made.json()["client_id"]
    assert made.json()["client_secret"]
    listed = anonymous.get(API, headers=operator).json()
    assert client_id in {c["client_id"] for c in listed}
    assert all("client_secret" not in c for c in listed)
    assert anonymous.delete(f"{API}/{client_id}", headers=operator).status_code == 204
    assert anonymous.delete(f"{API}/{client_id}", headers=operator).status_code == 404

    entries = staff.log_entries(after=after)
    assert [(e["actor"], e["role"], e["action"]) for e in entries] == [
        (operator_id, "operator", "oidc.client.add"),
        (operator_id, "operator", "oidc.client.remove"),
    ]
    assert {json.loads(e["detail"])["client_id"] for e in entries} == {client_id}
    assert all(e["person"] is None for e in entries)


def test_a_bad_relying_party_is_refused_and_nothing_is_kept(fed, http):
    clients = fed.portal().oidc.clients
    before = [c.client_id for c in clients.all(UnitOfWork(fed.portal().engine))]

    unsafe = http.post(API, json=CLIENT | {"redirect_uris": ["http://rp.example/cb"]})
    none = http.post(API, json=CLIENT | {"redirect_uris": []})

    assert unsafe.status_code == 422 and none.status_code == 422
    assert [c.client_id for c in clients.all(UnitOfWork(fed.portal().engine))] == before
