"""Staff sign in with their own My Number card; sessions end when they should; forms need
CSRF and this site's Origin; signed requests are refused when replayed (after a restart
too), oversized, or malformed; every staff read is in a hash-chained access log."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import update

from mynumber import federation
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.platform import store
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.staff.model import BrokenLog
from mynumber.reader import JPKIClient, KeyKind

CHIYODA = "municipality-131016"
BASE = "/municipality/131016"
PIN = "1234"  # demo value


@pytest.fixture(scope="module")
def card(fed, http, person) -> dict[str, Any]:
    """A resident's card, enrolled as a counter clerk of 千代田区."""
    resident = http.post(f"{BASE}/api/residents", json=person()).json()
    issued = http.post(
        f"{BASE}/api/residents/{resident['id']}/card",
        json={"auth_pin": PIN, "sign_password": "ABC123"},
    ).json()
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    client = JPKIClient(
        ChipTransport(Chip.from_image(issued["card_image"].encode(), seal_key=seal))
    )
    serial = next(
        c["serial"] for c in issued["summary"]["certificates"] if c["hierarchy"] == "auth"
    )
    member = fed.services(CHIYODA).staff.add(name="窓口 花子", roles=["clerk"], auth_serial=serial)
    return {"client": client, "member": member, "summary": issued["summary"]}


def sign_in(anonymous: httpx.Client, client: JPKIClient, *, pin: str = PIN) -> httpx.Response:
    """The device flow: start, the card signs the challenge, the session is claimed."""
    started = anonymous.post(f"{BASE}/staff/api/sign-in")
    assert started.status_code == 201, started.text
    body = started.json()
    shown = anonymous.get(f"{BASE}/staff/api/sign-in/{body['code']}").json()
    assert "職員認証" in shown["site"]
    nonce = base64.b64decode(shown["challenge"])
    answer = {
        "signature": base64.b64encode(client.sign(KeyKind.AUTH, nonce, pin=pin)).decode(),
        "certificate": base64.b64encode(client.read_certificate(KeyKind.AUTH)).decode(),
    }
    answered = anonymous.post(f"{BASE}/staff/api/sign-in/{body['code']}", json=answer)
    if answered.status_code != 200:
        return answered
    return anonymous.post(
        f"{BASE}/staff/api/sign-in/{body['id']}/session", json={"pair_secret": body["pair_secret"]}
    )


def test_a_staff_member_signs_in_with_their_card_and_may_do_only_their_role(
    fed, anonymous, card, person
):
    session = sign_in(anonymous, card["client"])
    assert session.status_code == 200, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}

    me = anonymous.get(f"{BASE}/staff/api/me", headers=bearer).json()
    assert me["name"] == "窓口 花子" and me["roles"] == ["clerk"]
    made = anonymous.post(f"{BASE}/api/residents", json=person(), headers=bearer)
    assert made.status_code == 201, made.text
    # a clerk is no supervisor: no number re-issue
    refused = anonymous.post(
        f"{BASE}/api/residents/{made.json()['id']}/reissue-number", json={}, headers=bearer
    )
    assert refused.status_code == 403
    assert refused.json()["title"] == "permission_denied"
    # the read is recorded with who, role and purpose
    shown = anonymous.get(
        f"{BASE}/api/residents/{made.json()['id']}", params={"purpose": "counter"}, headers=bearer
    )
    assert shown.status_code == 200
    entries = fed.services(CHIYODA).staff.log_entries(person=made.json()["id"])
    assert [(e["action"], e["role"], e["purpose"]) for e in entries] == [
        ("residents.register", "clerk", "counter"),
        ("residents.read", "clerk", "counter"),
    ]
    assert all(e["actor"] == card["member"].id for e in entries)
    # a staff member with a card session gives a purpose; none → refused
    assert (
        anonymous.get(f"{BASE}/api/residents/{made.json()['id']}", headers=bearer).status_code
        == 422
    )


def test_a_card_that_is_not_enrolled_signs_nobody_in(fed, http, anonymous, person):
    resident = http.post(f"{BASE}/api/residents", json=person()).json()
    issued = http.post(
        f"{BASE}/api/residents/{resident['id']}/card",
        json={"auth_pin": PIN, "sign_password": "ABC123"},
    ).json()
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    stranger = JPKIClient(
        ChipTransport(Chip.from_image(issued["card_image"].encode(), seal_key=seal))
    )

    refused = sign_in(anonymous, stranger)

    assert refused.status_code == 401
    assert refused.json()["title"] == "not_staff"


def test_a_sign_in_code_takes_one_answer_a_refused_one_uses_it_up(anonymous, card):
    started = anonymous.post(f"{BASE}/staff/api/sign-in").json()
    code = started["code"]
    nonce = base64.b64decode(anonymous.get(f"{BASE}/staff/api/sign-in/{code}").json()["challenge"])
    certificate = base64.b64encode(card["client"].read_certificate(KeyKind.AUTH)).decode()

    def answer(signed: bytes) -> httpx.Response:
        signature = base64.b64encode(card["client"].sign(KeyKind.AUTH, signed, pin=PIN)).decode()
        return anonymous.post(
            f"{BASE}/staff/api/sign-in/{code}",
            json={"signature": signature, "certificate": certificate},
        )

    wrong = answer(b"\x00" * len(nonce))  # the enrolled card, but not this challenge
    assert wrong.status_code == 401
    # the right answer comes too late: the code is gone, and so is the sign-in
    late = answer(nonce)
    assert late.status_code == 404 and late.json()["title"] == "sign_in_code_unknown"
    assert anonymous.get(f"{BASE}/staff/api/sign-in/{code}").status_code == 404
    claimed = anonymous.post(
        f"{BASE}/staff/api/sign-in/{started['id']}/session",
        json={"pair_secret": started["pair_secret"]},
    )
    assert claimed.status_code == 401 and "refused" in claimed.json()["detail"]


def test_removing_a_staff_member_ends_their_sessions(fed, anonymous, card):
    staff = fed.services(CHIYODA).staff
    other = staff.add(name="一時 職員", roles=["clerk"], auth_serial=secrets.token_hex(8))
    token = staff.issue_token(other.id).token
    bearer = {"Authorization": f"Bearer {token}"}
    assert anonymous.get(f"{BASE}/staff/api/me", headers=bearer).status_code == 200

    staff.remove(other.id)

    assert anonymous.get(f"{BASE}/staff/api/me", headers=bearer).status_code == 401


def test_a_suspended_card_ends_its_sessions_at_the_next_status_check(fed, anonymous, card):
    session = sign_in(anonymous, card["client"])
    token = session.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert anonymous.get(f"{BASE}/staff/api/me", headers=bearer).status_code == 200

    operator = federation.LocalAdministrator(fed)
    mfg = card["summary"]["manufacture_number"]
    suspended = fed.directory.http.post(
        f"/jlis/cards/{mfg}/suspend",
        json={"reason": "keyCompromise"},
        headers={"Authorization": f"Bearer {operator.token('jlis')}"},
    )
    if suspended.status_code == 401:  # J-LIS's own suspension route is signed by J-LIS
        keys = KeyFolder(fed.settings.data_dir / "keys")
        body = b'{"reason": "keyCompromise"}'
        headers = Identity("jlis", keys.private_key("jlis")).sign(
            "POST", f"/jlis/cards/{mfg}/suspend", body
        )
        suspended = fed.directory.http.post(
            f"/jlis/cards/{mfg}/suspend",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
    assert suspended.status_code < 300, suspended.text
    # the status is asked again once a minute: make the last check old
    import datetime as dt

    with fed.services(CHIYODA).staff.engine.begin() as conn:
        conn.execute(
            update(store.staff_sessions).values(
                status_checked_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
            )
        )

    assert anonymous.get(f"{BASE}/staff/api/me", headers=bearer).status_code == 401
    assert sign_in(anonymous, card["client"]).status_code == 401  # nor a new sign-in


def test_a_cookie_session_needs_the_csrf_token_and_this_sites_origin(fed, anonymous, person):
    staff = fed.services(CHIYODA).staff
    member = staff.add(name="窓口 次郎", roles=["clerk"], auth_serial=secrets.token_hex(8))
    opened = staff.issue_token(member.id)
    csrf = staff.session(opened.token).csrf
    cookies = {"staff_session": opened.token}
    form = {k: v for k, v in person().items()}
    client = httpx.Client(
        transport=anonymous._transport, base_url=anonymous.base_url, cookies=cookies
    )
    with client:
        before = len(staff.log_entries())
        no_token = client.post(f"{BASE}/register", data=form)
        assert no_token.status_code == 403
        evil = client.post(
            f"{BASE}/register",
            data={**form, "csrf": csrf},
            headers={"Origin": "https://evil.example"},
        )
        assert evil.status_code == 403
        # a token of any characters is only wrong (a 403), never a server error
        for wrong in ("トークン", "é"):
            assert client.post(f"{BASE}/register", data={**form, "csrf": wrong}).status_code == 403
        latin = client.post(f"{BASE}/register", headers={"X-CSRF-Token": b"\xe9t\xe9"})
        assert latin.status_code == 403
        assert len(staff.log_entries()) == before  # nothing registered
        ok = client.post(f"{BASE}/register", data={**form, "csrf": csrf})
        assert ok.status_code == 303, ok.text


def test_a_signed_request_replayed_after_a_restart_is_refused(
    fed, tmp_path, settings_for, person, drop_databases
):
    settings = settings_for(tmp_path)
    first = federation.build(settings, in_process=True)
    keys = KeyFolder(settings.data_dir / "keys")
    body = b'{"agency": "tax", "numbers": []}'
    path = "/jlis/linkage/enrol"
    headers = {**Identity("tax", keys.private_key("tax")).sign("POST", path, body)}
    headers["content-type"] = "application/json"
    try:
        once = first.directory.http.post(path, content=body, headers=headers)
        assert once.status_code < 500 and once.status_code != 401, once.text
    finally:
        first.close()
    second = federation.build(settings, in_process=True)
    try:
        again = second.directory.http.post(path, content=body, headers=headers)
        assert again.status_code == 401
        assert again.json()["title"] == "replay"
    finally:
        second.close()
        if settings.database_url:
            drop_databases(settings.database_url, settings.database_prefix)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Mynumber-Time", "９" * 10),
        ("X-Mynumber-Time", "1" * 5000),
        ("X-Mynumber-Org", "tax.enc"),
        ("X-Mynumber-Nonce", "x"),
        ("X-Mynumber-Signature", "not base64 at all"),
    ],
)
def test_a_malformed_signature_header_is_a_401(fed, anonymous, name, value):
    keys = KeyFolder(fed.settings.data_dir / "keys")
    headers = Identity("hub", keys.private_key("hub")).sign("POST", "/portal/api/deliveries", b"{}")
    headers[name] = value.encode("utf-8")  # type: ignore[assignment]
    response = anonymous.post(
        "/portal/api/deliveries",
        content=b"{}",
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 401, response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # refused inside the headers


def test_an_oversized_body_is_refused_before_it_is_read(fed, anonymous):
    big = b"x" * (3 * 1024 * 1024)
    response = anonymous.post(f"{BASE}/api/residents", content=big)
    assert response.status_code == 413


def test_the_access_log_recomputes_and_a_changed_entry_is_found(fed, http, person):
    resident = http.post(f"{BASE}/api/residents", json=person()).json()
    http.get(f"{BASE}/api/residents/{resident['id']}")
    staff = fed.services(CHIYODA).staff
    entries, head = staff.verify_log()
    assert entries >= 2 and len(head) == 64

    changed = staff.log_entries(person=resident["id"])[-1]
    with staff.engine.begin() as conn:
        conn.execute(
            update(store.access_log)
            .where(store.access_log.c.seq == changed["seq"])
            .values(purpose="nothing to see")
        )
    with pytest.raises(BrokenLog) as broken:
        staff.verify_log()
    assert broken.value.seq == changed["seq"]
    with staff.engine.begin() as conn:  # put it back for the other tests of this module
        conn.execute(
            update(store.access_log)
            .where(store.access_log.c.seq == changed["seq"])
            .values(purpose=changed["purpose"])
        )
    staff.verify_log()


@pytest.mark.parametrize("sign_in_id", ["\x00", "a\x00b", "é" * 3, "x" * 41])
def test_a_malformed_sign_in_id_is_refused_before_the_database(anonymous, sign_in_id):
    waited = anonymous.get(f"{BASE}/staff/login/wait", params={"id": sign_in_id})
    assert waited.status_code == 422
    claimed = anonymous.post(
        f"{BASE}/staff/api/sign-in/{quote(sign_in_id, safe='')}/session",
        json={"pair_secret": "p" * 32},
    )
    assert claimed.status_code == 422
