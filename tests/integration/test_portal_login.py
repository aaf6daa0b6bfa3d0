"""Mynaportal login with the card: challenge–response with the user-authentication key,
chain to J-LIS's CA, OCSP as a registered verifier, J-LIS's portal code for the person;
QR pairing of a PC pc with the phone app (the CLI's code), sessions, CSRF, records.
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import Mount

from mynumber import errors
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.phone import approve, challenge
from mynumber.devices.phone import sign_challenge
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.jlis import store as jlis_store
from mynumber.orgs.municipality import store as municipality_store
from mynumber.orgs.portal import store as portal_store
from mynumber.orgs.portal.model import SESSION_LIFETIME, token_hash
from mynumber.pki import Purpose
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import JPKIClient, PinBlocked, PinIncorrect, PinRef

AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"


def _adult() -> dict[str, Any]:
    return {
        "family_name": "試験",
        "given_name": "花子",
        "family_name_kana": "シケン",
        "given_name_kana": "ハナコ",
        "birth_date": "1985-06-15",
        "sex": "2",
        "address": f"東京都千代田区丸の内1丁目{secrets.randbelow(10**6)}番"
        f"{secrets.randbelow(10**6)}号",
    }


def issue(fed, http) -> dict[str, Any]:
    """A new resident of 千代田区 and their card; ``client`` talks to its chip."""
    resident = http.post("/municipality/131016/api/residents", json=_adult())
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/131016/api/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    image = answer.json()["card_image"]
    chip = Chip.from_image(image.encode(), seal_key=seal)
    return {
        "resident": resident.json(),
        "summary": answer.json()["summary"],
        "image": image,
        "client": JPKIClient(ChipTransport(chip)),
    }


@pytest.fixture(scope="module")
def card(fed, http) -> dict[str, Any]:
    return issue(fed, http)


@pytest.fixture(scope="module")
def other_card(fed, http) -> dict[str, Any]:
    return issue(fed, http)


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    """A PC browser of its own (its own cookies)."""
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def portal(fed):
    service = fed.portal().portal
    real, max_age = service.clock, service.ocsp_answers.max_age
    yield service
    service.clock = real
    service.ocsp_answers.max_age = max_age


def open_login(pc: httpx.Client) -> dict[str, str]:
    page = pc.get("/portal/login")
    assert page.status_code == 200
    assert "portal_pair" in pc.cookies
    found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
    assert found is not None
    return {"id": found.group(1), "code": found.group(2)}


def poll(pc: httpx.Client, login: dict[str, str]) -> dict[str, Any]:
    response = pc.get("/portal/login/status", params={"id": login["id"]})
    assert response.status_code == 200, response.text
    return dict(response.json())


def log_in(pc: httpx.Client, http: httpx.Client, card: dict[str, Any]) -> str:
    """QR login end to end; returns the session's CSRF token from the landing page."""
    login = open_login(pc)
    approve(http, login["code"], card["client"], pin=AUTH_PIN)
    assert poll(pc, login)["state"] == "done"
    home = pc.get("/portal/home")
    assert home.status_code == 200, home.text
    token = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert token is not None
    return token.group(1)


def portal_rows(fed, table) -> list[dict[str, Any]]:
    with fed.services("portal").engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def test_qr_login_completed_by_the_phone_logs_the_pc_in(fed, http, pc, card) -> None:
    login = open_login(pc)
    assert poll(pc, login)["state"] == "pending"
    assert "portal_session" not in pc.cookies

    asked = challenge(http, login["code"])
    assert "マイナポータル" in asked["site"] and asked["code"] == login["code"]
    result = approve(http, login["code"], card["client"], pin=AUTH_PIN)
    assert result["result"] == "ok"

    assert poll(pc, login)["state"] == "done"
    session = pc.cookies.jar
    cookie = next(c for c in session if c.name == "portal_session")
    assert cookie.path == "/portal" and cookie.has_nonstandard_attr("HttpOnly")
    home = pc.get("/portal/home")
    assert home.status_code == 200
    assert "わたしの情報" in home.text and "成功" in home.text
    # the session is handed out once: a second poll (another tab, a thief) gets none
    again = pc.get("/portal/login/status", params={"id": login["id"]})
    assert again.json()["state"] == "done" and "set-cookie" not in again.headers
    notices = pc.get("/portal/notices")
    assert "ログインしました" in notices.text and "未読" in notices.text


def test_the_account_is_keyed_by_the_portal_code_never_a_my_number(fed, http, pc, card) -> None:
    log_in(pc, http, card)
    accounts = portal_rows(fed, portal_store.accounts)
    residents = municipality_store.residents
    with fed.municipality("131016").engine.connect() as conn:
        row = conn.execute(select(residents).where(residents.c.id == card["resident"]["id"])).one()
    codes = {a["portal_code"] for a in accounts}
    assert row.my_number not in codes and row.resident_code not in codes
    assert all(re.fullmatch(r"[0-9a-f]{32}", c) for c in codes)
    with fed.jlis().engine.connect() as conn:
        code_fp = conn.scalar(
            select(jlis_store.cards.c.code_fp).where(
                jlis_store.cards.c.manufacture_number == card["summary"]["manufacture_number"]
            )
        )
    assert code_fp is not None and code_fp != row.resident_code
    # only the portal may ask J-LIS whose card it is
    keys = KeyFolder(fed.settings.data_dir / "keys")
    as_municipality = ServiceClient(
        fed.directory,
        "jlis",
        Identity("municipality-131016", keys.private_key("municipality-131016")),
    )
    serial = next(c["serial"] for c in card["summary"]["certificates"] if c["hierarchy"] == "auth")
    with pytest.raises(errors.Forbidden):
        as_municipality.request("POST", "/portal/resolve", {"serial": serial})
    # and the portal registered itself as a verifier, keeping the credential in its folder
    credential = fed.settings.data_dir / "portal" / "jlis-verifier.credential"
    assert credential.read_text().startswith("jv_")


def add_to_wallet(fed, name: str, card: dict[str, Any], *, folder: str = "wallet") -> None:
    """Put ``card``'s image into the phone's wallet as ``name`` (with its note)."""
    wallet = fed.settings.data_dir / folder
    CardFile(wallet / f"{name}.card").save(card["image"].encode())
    (wallet / f"{name}.json").write_text(
        json.dumps({"holder": "試験 花子", "municipality": "131016"})
    )


def phone_page(phone: httpx.Client, url: str) -> tuple[httpx.Response, dict[str, str]]:
    """The phone app's page at ``url`` and its form's hidden fields (csrf, request)."""
    page = phone.get(url)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    return page, {k: html.unescape(v) for k, v in fields.items()}


@pytest.fixture
def phone(fed) -> Iterator[httpx.Client]:
    """The resident's phone: a browser of its own on the phone app."""
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


def test_the_phone_app_approves_the_login_the_pc_shows_as_a_qr_code(
    fed, http, pc, phone, other_card
) -> None:
    add_to_wallet(fed, "phone-test", other_card)
    add_to_wallet(fed, "clerk", other_card, folder="staff-wallet")
    page = pc.get("/portal/login")
    login = dict(
        zip(
            ("id", "code"),
            re.findall(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)[0],
            strict=True,
        )
    )
    link = html.unescape(re.search(r'<a href="([^"]+)" target="_blank"', page.text).group(1))  # type: ignore[union-attr]
    base = fed.settings.base_url
    resource = f"{base}/portal/api/login/{login['code']}"
    # the QR code carries the phone app's login page, naming the portal's resource
    assert link == f"{base}/phone/login?request={quote(resource, safe='')}"
    url = link.removeprefix(base)
    page, form = phone_page(phone, url)
    assert page.status_code == 200 and "マイナポータル" in page.text
    assert "phone-test" in page.text and "staff:clerk" in page.text and "職員証" in page.text
    done = phone.post("/phone/login", data=form | {"card": "phone-test", "pin": AUTH_PIN})
    assert done.status_code == 200 and 'id="done"' in done.text, done.text
    assert poll(pc, login)["state"] == "done"
    home = pc.get("/portal/home")
    assert home.status_code == 200 and "スマートフォン" in home.text
    # without the page's token the phone refuses the form; the portal saw no PIN at all
    refused = phone.post(
        "/phone/login", data={"card": "phone-test", "pin": AUTH_PIN, "request": form["request"]}
    )
    assert refused.status_code == 403 and refused.json()["title"] == "csrf"
    # a token of any characters is only wrong, never a server error
    odd = phone.post(
        "/phone/login", data=form | {"card": "phone-test", "pin": AUTH_PIN, "csrf": "トークン"}
    )
    assert odd.status_code == 403 and odd.json()["title"] == "csrf"


def test_the_phone_refuses_a_resource_outside_the_deployment(fed, pc, phone, other_card) -> None:
    add_to_wallet(fed, "phone-test", other_card)
    for elsewhere in (
        "http://evil.example/portal/api/login/ABCD1234",
        f"{fed.settings.base_url}@evil.example/portal/api/login/ABCD1234",
        "http://127.0.0.1:1/portal/api/login/ABCD1234",
        "file:///etc/passwd",
    ):
        page = phone.get("/phone/login", params={"request": elsewhere})
        assert page.status_code == 422 and "not" in page.text, elsewhere
        assert 'id="approve"' not in page.text
    _, form = phone_page(phone, f"/phone/login?code={open_login(pc)['code']}")  # a token
    sent = phone.post(
        "/phone/sign",
        data={
            "csrf": form["csrf"],
            "card": "phone-test",
            "password": SIGN_PASSWORD,
            "request": "http://evil.example/portal/api/sign/ABCD1234",
        },
    )
    assert sent.status_code == 422 and "only to" in sent.text


def test_no_portal_route_takes_a_pin_or_a_password(fed) -> None:
    """Walk every route of the portal: no query, form, cookie or body field (nor a field
    of a body model) is a PIN or a password; those go only to the card, on the phone."""
    secret = re.compile(r"(^|_)(pin|pins|password|passwd|passcode)($|_)", re.IGNORECASE)
    seen: set[str] = set()

    def fields(dependant: Any) -> Iterator[str]:
        for param in (
            *dependant.query_params,
            *dependant.body_params,
            *dependant.cookie_params,
            *dependant.header_params,
            *dependant.path_params,
        ):
            yield param.alias
            yield param.name
            annotation = getattr(param.field_info, "annotation", None)
            for name, field in getattr(annotation, "model_fields", {}).items():
                yield name
                yield field.alias or name
        for sub in dependant.dependencies:
            yield from fields(sub)

    def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            # an included router (FastAPI keeps the router it was given) or a mount
            inner = getattr(route, "original_router", route)
            yield from api_routes(getattr(inner, "routes", []) if inner is not route else [])
            if isinstance(route, Mount):
                yield from api_routes(route.routes)

    routes = list(api_routes(fed.apps["portal"].routes))
    assert len(routes) > 40
    for route in routes:
        for name in fields(route.dependant):
            seen.add(name)
            assert not secret.search(name), f"{route.path} takes {name}"
    assert {"csrf", "signature", "certificate", "cms"} <= seen  # the walk sees the fields


def test_wrong_pin_says_how_many_tries_are_left_then_blocked(fed, http, pc, phone) -> None:
    victim = issue(fed, http)
    wallet = fed.settings.data_dir / "wallet"
    add_to_wallet(fed, "pin-test", victim)
    login = open_login(pc)
    page, hidden = phone_page(phone, f"/phone/login?code={login['code']}")
    assert "ログインを求めています" in page.text
    form = hidden | {"card": "pin-test", "pin": "9999"}
    first = phone.post("/phone/login", data=form)
    assert first.status_code == 401 and "残り2回" in first.text and "2 tries left" in first.text

    # the CLI's phone app on the same card sees the counter the page left
    def wallet_card() -> JPKIClient:  # the card as it is now, as the phone reads it
        store = CardFile(wallet / "pin-test.card")
        seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
        return JPKIClient(ChipTransport(Chip.from_image(store.load(), seal_key=seal, store=store)))

    with pytest.raises(PinIncorrect) as wrong:
        approve(http, login["code"], wallet_card(), pin="0000")
    assert wrong.value.tries_left == 1
    third = phone.post("/phone/login", data=form)
    assert third.status_code in (401, 403)
    blocked = phone.post("/phone/login", data=form | {"pin": AUTH_PIN})
    assert blocked.status_code == 403 and "市区町村の窓口" in blocked.text
    with pytest.raises(PinBlocked):
        approve(http, login["code"], wallet_card(), pin=AUTH_PIN)
    # the challenge was never answered: the PC is still waiting
    assert poll(pc, login)["state"] == "pending"


def suspend(fed, card: dict[str, Any]) -> None:
    """J-LIS's 24/7 desk suspends the card (it was reported lost)."""
    mfg = card["summary"]["manufacture_number"]
    answer = fed.admin_http.post(f"/jlis/cards/{mfg}/suspend", json={"reason": "keyCompromise"})
    assert answer.status_code == 200, answer.text


def test_a_suspended_card_is_refused_as_revoked_and_recorded_for_its_holder(
    fed, http, pc, portal
) -> None:
    portal.ocsp_answers.max_age = dt.timedelta(0)  # J-LIS is asked at every login
    lost = issue(fed, http)
    log_in(pc, http, lost)  # the holder logged in before losing it
    suspend(fed, lost)

    login = open_login(pc)
    with pytest.raises(errors.Unauthorized) as refused:
        approve(http, login["code"], lost["client"], pin=AUTH_PIN)
    assert refused.value.code == "certificate_revoked"
    assert "市区町村の窓口" in refused.value.message
    state = poll(pc, login)
    assert state["state"] == "refused" and state["reason"] == "certificate_revoked"
    serial = next(c["serial"] for c in lost["summary"]["certificates"] if c["hierarchy"] == "auth")
    rows = [r for r in portal_rows(fed, portal_store.logins) if r["serial"] == serial]
    assert [r["result"] for r in sorted(rows, key=lambda r: r["id"])] == ["success", "refused"]
    assert rows[0]["portal_code"] == rows[1]["portal_code"] is not None


def test_an_expired_login_certificate_is_refused_with_the_renewal_advice(
    fed, http, pc, portal
) -> None:
    holder = issue(fed, http)
    auth = next(c for c in holder["summary"]["certificates"] if c["hierarchy"] == "auth")
    expiry = dt.datetime.fromisoformat(str(auth["not_after"]))
    log_in(pc, http, holder)  # today the certificate works
    portal.clock = lambda: expiry + dt.timedelta(seconds=1)

    login = open_login(pc)
    with pytest.raises(errors.Unauthorized) as refused:
        approve(http, login["code"], holder["client"], pin=AUTH_PIN)

    assert refused.value.code == "certificate_expired"
    assert "市区町村の窓口で更新してください" in refused.value.message
    state = poll(pc, login)
    assert state["state"] == "refused" and state["reason"] == "certificate_expired"
    assert "renew it at your municipality" in json.dumps(state, ensure_ascii=False)
    api = _login(http, holder)  # the CLI's way: the same refusal, as problem+json
    assert api.status_code == 401 and api.json()["title"] == "certificate_expired"
    assert "更新" in api.json()["detail"]
    rows = [r for r in portal_rows(fed, portal_store.logins) if r["serial"] == auth["serial"]]
    results = [(r["result"], r["reason"]) for r in sorted(rows, key=lambda r: r["at"])]
    assert results == [
        ("success", None),
        ("refused", "certificate_expired"),
        ("refused", "certificate_expired"),
    ]


def _ocsp_requests(fed) -> int:
    """How many OCSP requests J-LIS's auth responder has answered."""
    stats = fed.jlis().revocation.responder(Purpose.AUTH).stats
    return int(stats.hits + stats.misses)


def test_a_good_ocsp_answer_is_reused_for_max_age_then_a_suspension_shows(
    fed, http, portal
) -> None:
    holder = issue(fed, http)
    now = dt.datetime.now(dt.UTC)
    portal.clock = lambda: now
    assert _login(http, holder).status_code == 200
    asked = _ocsp_requests(fed)
    assert _login(http, holder).status_code == 200
    assert _ocsp_requests(fed) == asked  # within the window: J-LIS not asked again
    suspend(fed, holder)
    portal.clock = lambda: now + dt.timedelta(seconds=59)
    assert _login(http, holder).status_code == 200  # the documented window
    portal.clock = lambda: now + dt.timedelta(seconds=60)
    refused = _login(http, holder)
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_revoked"
    assert _ocsp_requests(fed) == asked + 1
    again = _login(http, holder)  # a revoked answer is never kept
    assert again.status_code == 401 and _ocsp_requests(fed) == asked + 2


def test_the_holder_of_a_certificate_is_asked_of_jlis_once_and_a_new_card_resolves(
    fed, http
) -> None:
    first = issue(fed, http)
    assert _login(http, first).status_code == 200
    again = http.post(
        f"/municipality/131016/api/residents/{first['resident']['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert again.status_code == 201, again.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(again.json()["card_image"].encode(), seal_key=seal)
    renewed = {"client": JPKIClient(ChipTransport(chip)), "summary": again.json()["summary"]}
    assert _login(http, renewed).status_code == 200

    serials = {
        next(c["serial"] for c in card["summary"]["certificates"] if c["hierarchy"] == "auth")
        for card in (first, renewed)
    }
    kept = [r for r in portal_rows(fed, portal_store.login_certificates) if r["serial"] in serials]
    assert len(kept) == 2 and kept[0]["portal_code"] == kept[1]["portal_code"]
    logins = [r for r in portal_rows(fed, portal_store.logins) if r["serial"] in serials]
    assert {r["portal_code"] for r in logins} == {kept[0]["portal_code"]}
    assert len({r["serial"] for r in logins}) == 2


def _login(http: httpx.Client, card: dict[str, Any]) -> httpx.Response:
    """A CLI login with the card, answer sent; the portal's response."""
    code = _start(http)
    return http.post(f"/portal/api/login/{code}", json=_answer(http, code, card["client"]))


def _answer(http: httpx.Client, code: str, client: JPKIClient) -> dict[str, str]:
    nonce = base64.b64decode(challenge(http, code)["challenge"])
    return sign_challenge(client, nonce, pin=AUTH_PIN).to_json(via="cli")


def _start(http: httpx.Client) -> str:
    started = http.post("/portal/api/login/start", json={"method": "cli"})
    assert started.status_code == 201
    return str(started.json()["code"])


def test_a_replayed_signature_or_a_reused_challenge_is_refused(http, card) -> None:
    code = _start(http)
    answer = _answer(http, code, card["client"])
    assert http.post(f"/portal/api/login/{code}", json=answer).status_code == 200
    reused = http.post(f"/portal/api/login/{code}", json=answer)
    assert reused.status_code == 409 and reused.json()["title"] == "challenge_used"
    replayed = http.post(f"/portal/api/login/{_start(http)}", json=answer)
    assert replayed.status_code == 401 and replayed.json()["title"] == "signature_invalid"
    assert "もう一度カードを読み取ってください" in replayed.json()["detail"]


def test_an_expired_challenge_is_refused(http, card, portal) -> None:
    code = _start(http)
    answer = _answer(http, code, card["client"])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    portal.clock = lambda: later
    refused = http.post(f"/portal/api/login/{code}", json=answer)
    assert refused.status_code == 401 and refused.json()["title"] == "challenge_expired"
    assert "開き直してください" in refused.json()["detail"]


def test_someone_elses_certificate_with_another_cards_signature_is_refused(
    http, card, other_card
) -> None:
    code = _start(http)
    nonce = base64.b64decode(challenge(http, code)["challenge"])
    forged = sign_challenge(other_card["client"], nonce, pin=AUTH_PIN)
    victim = sign_challenge(card["client"], nonce, pin=AUTH_PIN)
    body = {
        "signature": base64.b64encode(forged.signature).decode(),
        "certificate": base64.b64encode(victim.certificate).decode(),
    }
    refused = http.post(f"/portal/api/login/{code}", json=body)
    assert refused.status_code == 401 and refused.json()["title"] == "signature_invalid"


def test_a_certificate_from_an_unknown_ca_is_refused(http) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not J-LIS")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    code = _start(http)
    nonce = base64.b64decode(challenge(http, code)["challenge"])
    body = {
        "signature": base64.b64encode(
            key.sign(nonce, padding.PKCS1v15(), hashes.SHA256())
        ).decode(),
        "certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
    }
    refused = http.post(f"/portal/api/login/{code}", json=body)
    assert refused.status_code == 401 and refused.json()["title"] == "unknown_issuer"


def test_forms_need_the_csrf_token_and_logout_ends_the_session(http, pc, card) -> None:
    csrf = log_in(pc, http, card)
    notices = pc.get("/portal/notices")
    notice_id = re.search(r"/notices/([0-9a-f]+)/read", notices.text).group(1)  # type: ignore[union-attr]
    assert pc.post(f"/portal/notices/{notice_id}/read").status_code == 403
    assert pc.post(f"/portal/notices/{notice_id}/read", data={"csrf": "x"}).status_code == 403
    odd = pc.post(f"/portal/notices/{notice_id}/read", data={"csrf": "トークン"})
    assert odd.status_code == 403  # any characters: wrong, never a server error
    read = pc.post(f"/portal/notices/{notice_id}/read", data={"csrf": csrf})
    assert read.status_code == 303
    assert f"/notices/{notice_id}/read" not in pc.get("/portal/notices").text

    refused = pc.post("/portal/logout")
    assert refused.status_code == 403 and refused.json()["title"] == "csrf_refused"
    assert pc.get("/portal/home").status_code == 200
    out = pc.post("/portal/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/portal/login?why=logout"
    again = pc.get("/portal/home")
    assert again.status_code == 303 and again.headers["location"].startswith("/portal/login")


def test_a_session_ends_after_fifteen_idle_minutes(http, pc, card, portal) -> None:
    log_in(pc, http, card)
    start = dt.datetime.now(dt.UTC)
    portal.clock = lambda: start + dt.timedelta(minutes=14)
    assert pc.get("/portal/home").status_code == 200  # use restarts the idle clock
    portal.clock = lambda: start + dt.timedelta(minutes=28)
    assert pc.get("/portal/home").status_code == 200
    portal.clock = lambda: start + dt.timedelta(minutes=44)
    expired = pc.get("/portal/home")
    assert expired.status_code == 303 and expired.headers["location"] == "/portal/login?why=expired"
    portal.clock = lambda: start + dt.timedelta(minutes=45)
    assert pc.get("/portal/home").status_code == 303  # ended for good


def test_every_login_is_recorded_with_time_method_and_result(fed, http, pc, card) -> None:
    before = len(portal_rows(fed, portal_store.logins))
    log_in(pc, http, card)
    code = _start(http)
    bad = http.post(
        f"/portal/api/login/{code}",
        json={
            "signature": base64.b64encode(b"\0" * 256).decode(),
            "certificate": _answer(http, _start(http), card["client"])["certificate"],
        },
    )
    assert bad.status_code == 401
    rows = sorted(portal_rows(fed, portal_store.logins), key=lambda r: r["id"])[before:]
    assert [(r["method"], r["result"]) for r in rows] == [("qr", "success"), ("cli", "refused")]
    assert rows[1]["reason"] == "signature_invalid" and rows[0]["at"] is not None
    home = pc.get("/portal/home")
    assert "ログイン履歴" in home.text and "QR + スマートフォン" in home.text
    assert PinRef.JPKI_AUTH  # the auth PIN guards every one of these signatures


def test_the_reader_helper_signs_for_the_portal_origin_only(fed, http, pc, other_card) -> None:
    import threading

    from mynumber.cli.reader import make_server

    origin = fed.settings.base_url
    helper = make_server(port=0, origin=origin, client=lambda: other_card["client"])
    threading.Thread(target=helper.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{helper.server_address[1]}/sign"
    try:
        login = open_login(pc)
        digest = challenge(http, login["code"])["challenge"]
        elsewhere = httpx.post(
            url,
            json={"mode": "01", "digest": digest, "pin": AUTH_PIN},
            headers={"Origin": "https://evil.example"},
        )
        assert elsewhere.status_code == 403
        preflight = httpx.options(url, headers={"Origin": origin})
        assert preflight.headers["access-control-allow-origin"] == origin
        wrong = httpx.post(
            url, json={"mode": "01", "digest": digest, "pin": "9999"}, headers={"Origin": origin}
        )
        assert wrong.status_code == 401 and wrong.json()["tries_left"] == 2
        signed = httpx.post(
            url, json={"mode": "01", "digest": digest, "pin": AUTH_PIN}, headers={"Origin": origin}
        )
        assert signed.status_code == 200
        assert signed.headers["access-control-allow-origin"] == origin
        sent = http.post(
            f"/portal/api/login/{login['code']}", json=signed.json() | {"via": "reader"}
        )
        assert sent.status_code == 200, sent.text
        assert poll(pc, login)["state"] == "done"
    finally:
        helper.shutdown()
        helper.server_close()


def test_a_session_ends_eight_hours_after_login_however_busy(http, pc, card, portal) -> None:
    log_in(pc, http, card)
    start = dt.datetime.now(dt.UTC)
    at = start
    while at < start + SESSION_LIFETIME - dt.timedelta(minutes=14):
        at += dt.timedelta(minutes=14)  # never idle for 15 minutes
        portal.clock = lambda at=at: at
        assert pc.get("/portal/home").status_code == 200
    portal.clock = lambda: start + SESSION_LIFETIME + dt.timedelta(minutes=1)
    ended = pc.get("/portal/home")
    assert ended.status_code == 303 and ended.headers["location"] == "/portal/login?why=expired"


def test_login_starts_sweep_expired_challenges_and_ended_sessions_once_a_minute(
    fed, http, pc, card, portal
) -> None:
    challenges, sessions = portal_store.challenges, portal_store.sessions
    old_login = open_login(pc)
    log_in(pc, http, card)
    logins = portal_rows(fed, portal_store.logins)
    holder = portal.session(
        UnitOfWork(fed.portal().engine), pc.cookies["portal_session"]
    ).portal_code
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    portal.clock = lambda: later
    live = portal.open_session(
        UnitOfWork(fed.portal().engine), holder
    )  # opened "now": survives the sweep
    open_login(pc)  # a login start finds the sweep due
    ids = {row["id"] for row in portal_rows(fed, challenges)}
    assert old_login["id"] not in ids and ids  # the new one stays

    def kept() -> set[str]:
        return {row["token_hash"] for row in portal_rows(fed, sessions)}

    idle = token_hash(pc.cookies["portal_session"])  # an hour without use
    assert idle not in kept() and token_hash(live) in kept()
    assert len(portal_rows(fed, portal_store.logins)) == len(logins)  # the records stay

    portal.logout(
        UnitOfWork(fed.portal().engine), live
    )  # ended: swept by the next sweep, not before a minute has passed
    portal.clock = lambda: later + dt.timedelta(seconds=30)
    open_login(pc)
    assert token_hash(live) in kept()
    portal.clock = lambda: later + dt.timedelta(seconds=61)
    open_login(pc)
    assert token_hash(live) not in kept()
