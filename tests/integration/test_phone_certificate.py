"""スマホ用電子証明書: a phone enrolled from the card gets its own two certificates under
the mobile profiles, logs in to Mynaportal with them, and loses them when another phone is
enrolled (OCSP says revoked, the portal refuses); the phone's certificates follow the card's
(suspension, and J-LIS's ``follow_card_certificate``)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from sqlalchemy import select, update
from typer.testing import CliRunner

from mynumber import errors
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli import app as cli_app
from mynumber.cli.phone import approve
from mynumber.devices.phone.credential import TOKEN, PhoneCredential
from mynumber.devices.phone.enrolment import enrol
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.jlis import store as jlis_store
from mynumber.orgs.jlis.phones import follow_card_certificate, linked_phone_certificates
from mynumber.pki import Purpose, build_ocsp_request, oids
from mynumber.pki.mobile import enrolment_payload, is_mobile
from mynumber.platform.http import InProcessTransport
from mynumber.reader import JPKIClient, KeyKind, PinIncorrect

AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
PHONE_PIN = "5678"
PHONE_PASSWORD = "PHONE1"


def issue(fed, http) -> dict[str, Any]:
    """A new adult resident of 千代田区 and their card."""
    resident = http.post(
        "/municipality/131016/api/residents",
        json={
            "family_name": "試験",
            "given_name": "携帯",
            "family_name_kana": "シケン",
            "given_name_kana": "ケイタイ",
            "birth_date": "1988-04-02",
            "sex": "1",
            "address": f"東京都千代田区一番町{secrets.randbelow(10**6)}番",
        },
    )
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/131016/api/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    image = answer.json()["card_image"]
    return {
        "summary": answer.json()["summary"],
        "image": image,
        "client": JPKIClient(ChipTransport(Chip.from_image(image.encode(), seal_key=seal))),
    }


def seal_of(fed) -> bytes:
    return load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")


def new_phone(fed, device: httpx.Client, card: dict[str, Any], kind: str = "android") -> Any:
    return enrol(
        device,
        card["client"],
        seal=seal_of(fed),
        kind=kind,
        card_password=SIGN_PASSWORD,
        pin=PHONE_PIN,
        password=PHONE_PASSWORD,
        assist_pin=AUTH_PIN if kind == "iphone" else None,
    )


@pytest.fixture(scope="module")
def device(fed) -> Iterator[httpx.Client]:
    """The resident's phone on the network: no session, no organisation key."""
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def portal(fed):
    service = fed.portal().portal
    max_age = service.ocsp_answers.max_age
    service.ocsp_answers.max_age = dt.timedelta(0)  # J-LIS is asked at every login
    yield service
    service.ocsp_answers.max_age = max_age


@pytest.fixture(scope="module")
def bearer(http) -> dict[str, str]:
    added = http.post("/jlis/verifiers", json={"name": "テスト スマホ検証"}).json()
    return {"Authorization": f"Bearer {added['credential']}"}


def ocsp_status(http, bearer, der: bytes) -> ocsp.OCSPCertStatus:
    cert = x509.load_der_x509_certificate(der)
    ca = x509.load_der_x509_certificate(http.get("/jlis/ca/auth.der").content)
    response = http.post(
        "/jlis/ocsp/auth",
        content=build_ocsp_request(cert, ca),
        headers={"Content-Type": "application/ocsp-request", **bearer},
    )
    assert response.status_code == 200
    return ocsp.load_der_ocsp_response(response.content).certificate_status


def open_login(pc: httpx.Client) -> dict[str, str]:
    page = pc.get("/portal/login")
    found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
    assert found is not None
    return {"id": found.group(1), "code": found.group(2)}


def state(pc: httpx.Client, login: dict[str, str]) -> dict[str, Any]:
    return dict(pc.get("/portal/login/status", params={"id": login["id"]}).json())


def test_a_phone_enrolled_from_the_card_logs_in_then_a_second_phone_revokes_it(
    fed, http, device, pc, portal, bearer, tmp_path
) -> None:
    card = issue(fed, http)
    first = new_phone(fed, device, card)
    phone = first.credential
    assert phone.read_token() == TOKEN == "JPKIAPGPSETOKEN"
    card_certs = {c["hierarchy"]: c for c in card["summary"]["certificates"]}
    for kind, policy in ((KeyKind.AUTH, oids.POLICY_AUTH_MOBILE), (KeyKind.SIGN, None)):
        cert = x509.load_der_x509_certificate(phone.read_certificate(kind))
        assert is_mobile(cert)
        if policy is not None:
            policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
            assert [p.policy_identifier for p in policies] == [policy]
        # capped by the card's certificate of the same purpose, and not the card's key
        card_not_after = dt.datetime.fromisoformat(card_certs[kind.value]["not_after"])
        assert cert.not_valid_after_utc <= card_not_after
        assert f"{cert.serial_number:x}" != card_certs[kind.value]["serial"]
    # the store keeps the keys encrypted and the PIN hashed, never in clear
    path = phone.save(tmp_path / "first.phone")
    stored = path.read_text()
    assert "ENCRYPTED PRIVATE KEY" in stored
    # no value of the store is the PIN (a bare substring test would also find four digits
    # inside a random salt or hash now and then)
    assert PHONE_PIN not in _values(json.loads(stored))
    assert path.stat().st_mode & 0o077 == 0

    # the phone logs in to Mynaportal with its own certificate, as the card's holder
    login = open_login(pc)
    assert approve(device, login["code"], phone, pin=PHONE_PIN)["result"] == "ok"
    assert state(pc, login)["state"] == "done"
    assert ocsp_status(http, bearer, phone.read_certificate(KeyKind.AUTH)) is (
        ocsp.OCSPCertStatus.GOOD
    )

    # a second phone (an iPhone: 入力補助 PIN and liveness) revokes the first's certificates
    second = new_phone(fed, device, card, kind="iphone")
    first_serials = {(c["hierarchy"], c["serial"]) for c in first.answer["certificates"]}
    assert {(r["hierarchy"], r["serial"]) for r in second.answer["replaced"]} == first_serials
    assert ocsp_status(http, bearer, phone.read_certificate(KeyKind.AUTH)) is (
        ocsp.OCSPCertStatus.REVOKED
    )
    login = open_login(pc)
    with pytest.raises(errors.Unauthorized) as refused:
        approve(device, login["code"], phone, pin=PHONE_PIN)
    assert refused.value.code == "certificate_revoked"
    assert state(pc, login)["state"] == "refused"
    # the new phone logs in; the card still does too
    login = open_login(pc)
    assert approve(device, login["code"], second.credential, pin=PHONE_PIN)["result"] == "ok"
    login = open_login(pc)
    assert approve(device, login["code"], card["client"], pin=AUTH_PIN)["result"] == "ok"


def test_the_cli_enrols_and_logs_in_with_the_phone_file(
    fed, http, pc, portal, tmp_path, monkeypatch
) -> None:
    real = httpx.Client

    def in_process(*args: Any, **kwargs: Any) -> httpx.Client:
        """The CLI's HTTP client, routed to the in-process federation."""
        return real(*args, transport=InProcessTransport(fed.root), **kwargs)

    monkeypatch.setattr("mynumber.cli.phone.httpx.Client", in_process)
    card = issue(fed, http)
    card_file = tmp_path / "own.card"
    card_file.write_text(card["image"])
    out = tmp_path / "own.phone"
    common = ["--url", INTERNAL_BASE, "--data", str(fed.settings.data_dir)]
    runner = CliRunner()
    enrolled = runner.invoke(
        cli_app,
        ["phone", "enrol", "--card", str(card_file), "--password", SIGN_PASSWORD,
         "--pin", PHONE_PIN, "--out", str(out), *common],
    )  # fmt: skip
    assert enrolled.exit_code == 0, enrolled.output
    assert "JPKIAPGPSETOKEN" in enrolled.output and out.exists()
    login = open_login(pc)
    logged = runner.invoke(
        cli_app,
        ["phone", "login", login["code"], "--phone", str(out), "--pin", "0000", *common],
    )
    assert logged.exit_code == 1 and "2 tries left" in logged.output
    logged = runner.invoke(
        cli_app,
        ["phone", "login", login["code"], "--phone", str(out), "--pin", PHONE_PIN, *common],
    )
    assert logged.exit_code == 0, logged.output
    assert state(pc, login)["state"] == "done"
    # the counter went back to 3 after the right PIN, in the phone's file
    assert PhoneCredential.load(out, seal_of(fed)).pin_status(KeyKind.AUTH.pin) == 3


def test_the_phone_follows_the_card_suspension_and_the_link_function(
    fed, http, device, bearer
) -> None:
    card = issue(fed, http)
    phone = new_phone(fed, device, card).credential
    engine = fed.jlis().engine
    card_auth = next(
        c["serial"] for c in card["summary"]["certificates"] if c["hierarchy"] == "auth"
    )
    phone_auth = (
        f"{x509.load_der_x509_certificate(phone.read_certificate(KeyKind.AUTH)).serial_number:x}"
    )
    t = jlis_store.certificates.c
    with engine.begin() as conn:
        assert linked_phone_certificates(conn, Purpose.AUTH, card_auth) == [phone_auth]
        # a hold on the card's certificate (as the call centre puts it) reaches the phone
        held = dt.datetime.now(dt.UTC).replace(microsecond=0)
        conn.execute(
            update(jlis_store.certificates)
            .where(t.hierarchy == "auth", t.serial == card_auth)
            .values(status="revoked", revoked_at=held, reason="certificateHold")
        )
        assert follow_card_certificate(conn, Purpose.AUTH, card_auth) == [phone_auth]
    status = ocsp_status(http, bearer, phone.read_certificate(KeyKind.AUTH))
    assert status is ocsp.OCSPCertStatus.REVOKED
    with engine.begin() as conn:  # the hold is lifted: the phone is good again
        conn.execute(
            update(jlis_store.certificates)
            .where(t.hierarchy == "auth", t.serial == card_auth)
            .values(status="good", revoked_at=None, reason=None)
        )
        follow_card_certificate(conn, Purpose.AUTH, card_auth)
        assert conn.scalar(select(t.status).where(t.serial == phone_auth)) == "good"
    # J-LIS revoking the card's auth certificate alone takes the phone's with it
    revoked = fed.admin_http.post(
        f"/jlis/certificates/{card_auth}/revoke", json={"reason": "unspecified"}
    )
    assert revoked.status_code == 200, revoked.text
    with engine.connect() as conn:
        assert conn.scalar(select(t.status).where(t.serial == phone_auth)) == "revoked"
    # suspending the card (J-LIS's 24/7 desk) revokes the phone's certificates with the card's
    mfg = card["summary"]["manufacture_number"]
    assert fed.admin_http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    status = ocsp_status(http, bearer, phone.read_certificate(KeyKind.AUTH))
    assert status is ocsp.OCSPCertStatus.REVOKED
    # and a suspended card cannot enrol a phone
    with pytest.raises(errors.Forbidden):
        new_phone(fed, device, card)


def _body(card: dict[str, Any], kind: str = "android", **changes: Any) -> dict[str, Any]:
    fresh = PhoneCredential.generate("android", b"demo-seal-for-test")
    auth, sign = fresh.public_key(KeyKind.AUTH), fresh.public_key(KeyKind.SIGN)
    signature = card["client"].sign(
        KeyKind.SIGN, enrolment_payload(kind, auth, sign), pin=SIGN_PASSWORD
    )
    body = {
        "kind": kind,
        "auth_public_key": base64.b64encode(auth).decode(),
        "sign_public_key": base64.b64encode(sign).decode(),
        "card_certificate": base64.b64encode(
            card["client"].read_certificate(KeyKind.SIGN)
        ).decode(),
        "card_signature": base64.b64encode(signature).decode(),
    }
    return body | changes


def test_refusals_change_nothing(fed, http, device) -> None:
    card = issue(fed, http)
    engine = fed.jlis().engine

    def phones() -> int:
        with engine.connect() as conn:
            return len(conn.execute(select(jlis_store.phone_devices.c.device_id)).all())

    before = phones()
    with pytest.raises(PinIncorrect):  # the card's signing password is wrong
        enrol(device, card["client"], seal=seal_of(fed), kind="android",
              card_password="WRONG1", pin=PHONE_PIN, password=PHONE_PASSWORD)  # fmt: skip
    body = _body(card)
    # the signature is over other keys
    other = _body(card)
    swapped = body | {"auth_public_key": other["auth_public_key"]}
    assert device.post("/jlis/phones", json=swapped).status_code == 403
    # an iPhone without the liveness step; a kind J-LIS does not know
    iphone = _body(card, kind="iphone")
    assert device.post("/jlis/phones", json=iphone).status_code == 422
    assert device.post("/jlis/phones", json=body | {"kind": "pager"}).status_code == 422
    # another card's certificate with this card's signature
    stranger = issue(fed, http)
    foreign = body | {"card_certificate": _body(stranger)["card_certificate"]}
    assert device.post("/jlis/phones", json=foreign).status_code == 403
    assert phones() == before
    # the right request once; replayed, it is refused
    assert device.post("/jlis/phones", json=body).status_code == 201
    replay = device.post("/jlis/phones", json=body)
    assert replay.status_code == 409 and replay.json()["title"] == "phone_key_reused"
    # a phone's signing certificate cannot enrol another phone
    phone_sign = next(
        c["certificate"]
        for c in device.post("/jlis/phones", json=_body(card)).json()["certificates"]
        if c["hierarchy"] == "sign"
    )
    assert (
        device.post("/jlis/phones", json=_body(card) | {"card_certificate": phone_sign}).status_code
        == 403
    )
    assert phones() == before + 2


def test_the_phone_app_holds_the_phone_credential_and_logs_in_with_it(
    fed, http, device, pc, portal
) -> None:
    card = issue(fed, http)
    phone = new_phone(fed, device, card).credential
    name = f"mine-{secrets.token_hex(3)}"
    phone.save(fed.settings.data_dir / "phone-credentials" / f"{name}.phone")
    login = open_login(pc)
    request = f"{fed.settings.base_url}/portal/api/login/{login['code']}"
    page = device.get("/phone/login", params={"request": request})
    assert page.status_code == 200 and f"phone:{name}" in page.text
    assert "スマホ用電子証明書" in page.text
    form = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
    }
    wrong = device.post("/phone/login", data=form | {"card": f"phone:{name}", "pin": "0000"})
    assert wrong.status_code == 401 and "残り2回" in wrong.text
    done = device.post("/phone/login", data=form | {"card": f"phone:{name}", "pin": PHONE_PIN})
    assert done.status_code == 200 and 'id="done"' in done.text, done.text
    assert state(pc, login)["state"] == "done"


def _values(document: Any) -> set[str]:
    """Every scalar in a JSON document, as text (numbers included)."""
    if isinstance(document, dict):
        return set().union(*map(_values, document.values())) if document else set()
    if isinstance(document, list):
        return set().union(*map(_values, document)) if document else set()
    return {str(document)}
