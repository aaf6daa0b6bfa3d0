"""Who may call the staff routes of J-LIS, the linkage hub, the account registry and the
banks: nobody without a session (401, nothing changes), a staff member whose role lacks the
permission (403, nothing changes), the right role (done, and recorded in the organisation's
access log under its own id for the person, never a My Number)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from sqlalchemy import select

from mynumber.orgs.bank.store import accounts as bank_accounts
from mynumber.orgs.jlis import store as jlis_store
from mynumber.platform.http import ServiceClient
from mynumber.platform.signing import Identity, KeyFolder


def staff_headers(fed, org: str, *roles: str) -> tuple[str, dict[str, str]]:
    """A new staff member of ``org`` with ``roles``: their id and bearer header."""
    staff = fed.services(org).staff
    member = staff.add(
        name=f"職員 {secrets.token_hex(2)}", roles=list(roles), auth_serial=secrets.token_hex(8)
    )
    return member.id, {"Authorization": f"Bearer {staff.issue_token(member.id).token}"}


def log_of(fed, org: str, actor: str) -> list[dict[str, Any]]:
    return [e for e in fed.services(org).staff.log_entries() if e["actor"] == actor]


def issue_card(http) -> dict[str, Any]:
    person = {
        "family_name": "停止",
        "given_name": "花子",
        "family_name_kana": "テイシ",
        "given_name_kana": "ハナコ",
        "birth_date": "1985-04-05",
        "sex": "2",
        "address": f"東京都千代田区丸の内1丁目{secrets.randbelow(10**6)}番"
        f"{secrets.randbelow(10**6)}号",
    }
    resident = http.post("/municipality/131016/api/residents", json=person).json()
    answer = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    )
    assert answer.status_code == 201, answer.text
    summary = dict(answer.json()["summary"])
    summary["resident_id"] = resident["id"]
    return summary


def card_state(fed, mfg: str) -> tuple[str, set[str]]:
    """The card's status and its certificates' statuses at J-LIS."""
    engine = fed.jlis().engine
    with engine.connect() as conn:
        status = conn.scalar(
            select(jlis_store.cards.c.status).where(jlis_store.cards.c.manufacture_number == mfg)
        )
        t = jlis_store.certificates.c
        certs = set(conn.scalars(select(t.status).where(t.manufacture_number == mfg)))
    return str(status), certs


def verifier_count(fed) -> int:
    with fed.jlis().engine.connect() as conn:
        return len(conn.execute(select(jlis_store.verifiers.c.id)).all())


# --- J-LIS ---------------------------------------------------------------------------------


def test_anonymous_callers_of_jlis_operator_routes_get_401_and_nothing_changes(
    fed, http, anonymous
) -> None:
    card = issue_card(http)
    mfg = card["manufacture_number"]
    serial = card["certificates"][0]["serial"]
    added = http.post("/jlis/verifiers", json={"name": "取り下げない検証者"}).json()
    verifiers_before = verifier_count(fed)
    for path, body in (
        (f"/jlis/cards/{mfg}/suspend", {}),
        (f"/jlis/cards/{mfg}/revoke-signing", {}),
        (f"/jlis/certificates/{serial}/revoke", {"reason": "keyCompromise"}),
        ("/jlis/verifiers", {"name": "名無し"}),
        (f"/jlis/verifiers/{added['id']}/deactivate", None),
    ):
        response = anonymous.post(path, json=body)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert card_state(fed, mfg) == ("active", {"good"})
    assert verifier_count(fed) == verifiers_before
    credential = {"Authorization": f"Bearer {added['credential']}"}
    assert anonymous.get("/jlis/crl/auth.crl", headers=credential).status_code == 200


def test_the_24_7_desk_suspends_a_card_and_it_is_recorded_under_the_card(
    fed, http, number_of
) -> None:
    card = issue_card(http)
    mfg = card["manufacture_number"]
    desk, headers = staff_headers(fed, "jlis", "desk")

    answer = fed.directory.http.post(
        f"/jlis/cards/{mfg}/suspend", json={"reason": "keyCompromise"}, headers=headers
    )

    assert answer.status_code == 200, answer.text
    assert card_state(fed, mfg) == ("suspended", {"revoked"})
    (entry,) = log_of(fed, "jlis", desk)
    assert (entry["role"], entry["person"], entry["action"], entry["purpose"]) == (
        "desk",
        mfg,
        "cards.suspend",
        "24/7 desk",
    )
    assert json.loads(entry["detail"]) == {"reason": "keyCompromise"}
    number = number_of("131016", card["resident_id"])
    assert number and number not in json.dumps(fed.jlis().staff.log_entries())


def test_the_desk_may_not_revoke_or_register_verifiers_403_and_nothing_changes(fed, http) -> None:
    card = issue_card(http)
    mfg = card["manufacture_number"]
    serial = card["certificates"][0]["serial"]
    desk, headers = staff_headers(fed, "jlis", "desk")
    before = verifier_count(fed)
    for path, body in (
        (f"/jlis/cards/{mfg}/revoke-signing", {}),
        (f"/jlis/certificates/{serial}/revoke", {"reason": "keyCompromise"}),
        ("/jlis/verifiers", {"name": "無断の検証者"}),
    ):
        response = fed.directory.http.post(path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["title"] == "permission_denied"
    assert card_state(fed, mfg) == ("active", {"good"})
    assert verifier_count(fed) == before
    assert log_of(fed, "jlis", desk) == []


def test_the_operator_revokes_a_certificate_recorded_under_its_card(fed, http) -> None:
    card = issue_card(http)
    mfg = card["manufacture_number"]
    sign = next(c["serial"] for c in card["certificates"] if c["hierarchy"] == "sign")
    operator, headers = staff_headers(fed, "jlis", "operator")

    answer = fed.directory.http.post(
        f"/jlis/certificates/{sign}/revoke", json={"reason": "affiliationChanged"}, headers=headers
    )

    assert answer.status_code == 200, answer.text
    assert card_state(fed, mfg) == ("active", {"good", "revoked"})
    (entry,) = log_of(fed, "jlis", operator)
    assert (entry["person"], entry["action"]) == (mfg, "certificates.revoke")


def test_the_operator_registers_and_withdraws_a_verifier_both_recorded(fed, anonymous) -> None:
    operator, headers = staff_headers(fed, "jlis", "operator")
    added = fed.directory.http.post("/jlis/verifiers", json={"name": "テスト信金"}, headers=headers)
    assert added.status_code == 201, added.text
    verifier = added.json()
    credential = {"Authorization": f"Bearer {verifier['credential']}"}
    assert anonymous.get("/jlis/crl/sign.crl", headers=credential).status_code == 200

    gone = fed.directory.http.post(f"/jlis/verifiers/{verifier['id']}/deactivate", headers=headers)

    assert gone.status_code == 204
    assert anonymous.get("/jlis/crl/sign.crl", headers=credential).status_code == 401
    entries = log_of(fed, "jlis", operator)
    assert [(e["action"], e["person"]) for e in entries] == [
        ("verifiers.register", None),
        ("verifiers.withdraw", None),
    ]
    assert json.loads(entries[1]["detail"]) == {"verifier": verifier["id"]}


def test_a_signed_request_from_anyone_but_a_municipality_may_not_suspend(fed, http) -> None:
    from mynumber.errors import Forbidden

    mfg = issue_card(http)["manufacture_number"]
    keys = KeyFolder(fed.settings.data_dir / "keys")
    bank = ServiceClient(
        fed.directory, "jlis", Identity("bank-0001", keys.private_key("bank-0001"))
    )
    with pytest.raises(Forbidden):
        bank.request("POST", f"/cards/{mfg}/suspend", {})
    assert card_state(fed, mfg) == ("active", {"good"})


# --- the linkage hub -----------------------------------------------------------------------


def test_the_hub_log_is_for_its_operator_and_each_read_is_recorded(fed, anonymous) -> None:
    refused = anonymous.get("/hub/log")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    operator, headers = staff_headers(fed, "hub", "operator")

    page = fed.directory.http.get("/hub/log?after=0&limit=10", headers=headers)

    assert page.status_code == 200, page.text
    (entry,) = log_of(fed, "hub", operator)
    assert (entry["action"], entry["purpose"], entry["person"]) == (
        "log.read",
        "log verification",
        None,
    )
    assert json.loads(entry["detail"]) == {"after": 0, "shown": len(page.json())}


@pytest.mark.parametrize(
    "path",
    [
        "/hub/permitted",
        "/hub/log/head",
        "/hub/healthz",
        "/jlis/healthz",
        "/jlis/ca/auth.pem",
        "/jlis/keys/text-ap.pem",
        "/accounts/healthz",
        "/bank/0001/healthz",
    ],
)
def test_what_is_public_by_design_answers_anyone(anonymous, path) -> None:
    assert anonymous.get(path).status_code == 200


# --- the account registry ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/api/portal/register",
        "/accounts/api/portal/change",
        "/accounts/api/portal/delete",
        "/accounts/api/bank-counter/register",
        "/accounts/api/bank-counter/change",
        "/accounts/api/bank-counter/delete",
        "/accounts/intermediate/provide",
        "/accounts/intermediate/provide-bulk",
    ],
)
def test_every_route_of_the_registry_wants_a_signed_organisation(fed, anonymous, path) -> None:
    before = anonymous.get("/accounts/healthz").json()["registered"]
    response = anonymous.post(path, json={})
    assert response.status_code == 401
    assert response.json()["title"] == "unsigned"
    _, headers = staff_headers(fed, "accounts", "operator")
    assert fed.directory.http.post(path, json={}, headers=headers).status_code == 401
    assert anonymous.get("/accounts/healthz").json()["registered"] == before


# --- the banks -----------------------------------------------------------------------------


def account_status(fed, number: str) -> str | None:
    a = bank_accounts.c
    with fed.bank("bank-0001").engine.connect() as conn:
        found = conn.scalar(select(a.status).where(a.branch_code == "001", a.number == number))
    return None if found is None else str(found)


def test_a_clerk_opens_and_closes_an_account_at_the_counter_recorded_under_it(
    fed, anonymous
) -> None:
    number = f"{secrets.randbelow(10**7):07d}"
    body = {"branch_code": "001", "deposit_type": "1", "account_number": number}
    opening = body | {"holder_kana": "ギンコウ タロウ"}
    assert anonymous.post("/bank/0001/api/accounts", json=opening).status_code == 401
    assert account_status(fed, number) is None
    clerk, headers = staff_headers(fed, "bank-0001", "clerk")

    opened = fed.directory.http.post("/bank/0001/api/accounts", json=opening, headers=headers)

    assert opened.status_code == 201, opened.text
    account = opened.json()
    assert account["account_number"] == number and account_status(fed, number) == "open"
    again = fed.directory.http.post("/bank/0001/api/accounts", json=opening, headers=headers)
    assert again.status_code == 409
    assert anonymous.post("/bank/0001/api/accounts/close", json=body).status_code == 401
    assert account_status(fed, number) == "open"

    closed = fed.directory.http.post("/bank/0001/api/accounts/close", json=body, headers=headers)

    assert closed.status_code == 204
    assert account_status(fed, number) == "closed"
    entries = log_of(fed, "bank-0001", clerk)
    assert [(e["action"], e["person"], e["role"]) for e in entries] == [
        ("accounts.open", account["id"], "clerk"),
        ("accounts.close", account["id"], "clerk"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"branch_code": "1", "holder_kana": "タロウ"},
        {"branch_code": "001", "deposit_type": "3", "holder_kana": "タロウ"},
        {"branch_code": "001", "account_number": "12345678", "holder_kana": "タロウ"},
        {"branch_code": "001", "holder_kana": ""},
        {"branch_code": "998", "holder_kana": "タロウ"},
    ],
    ids=["short-branch", "deposit-type", "long-number", "no-name", "unknown-branch"],
)
def test_a_bad_opening_is_a_4xx_and_opens_nothing(fed, http, bad) -> None:
    before = http.get("/bank/0001/healthz").json()["accounts"]
    response = http.post("/bank/0001/api/accounts", json=bad)
    assert 400 <= response.status_code < 500, response.text
    assert http.get("/bank/0001/healthz").json()["accounts"] == before


def test_closing_an_unknown_account_is_404(http) -> None:
    body = {"branch_code": "001", "deposit_type": "1", "account_number": "0000000"}
    assert http.post("/bank/0001/api/accounts/close", json=body).status_code == 404
