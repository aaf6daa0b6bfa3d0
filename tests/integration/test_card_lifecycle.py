"""The card after issue: J-LIS's 24/7 call centre suspends a lost card (command line, API,
operator's console) and OCSP says so at once; the suspension is lifted only at the
municipality's counter with the card; cancellation is final; a reissued person's old card
is refused at the portal login and at OpenID Connect sign-in."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from mynumber import errors
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli import app as cli_app
from mynumber.cli.phone import approve, challenge
from mynumber.devices.phone import sign_challenge
from mynumber.devices.pin_reset import OTHER_KEY, face_score, prove, read_photo
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.jlis import store as jlis_store
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import (
    JPKIClient,
    KeyKind,
    PinBlocked,
    PinIncorrect,
    PinRef,
    verify_text_signature,
)

AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
NAME = ("紛失", "太郎")
BIRTH = "1979-11-02"
runner = CliRunner()


def new_resident(http: httpx.Client, birth: str = BIRTH) -> dict[str, Any]:
    body = {
        "family_name": NAME[0],
        "given_name": NAME[1],
        "family_name_kana": "フンシツ",
        "given_name_kana": "タロウ",
        "birth_date": birth,
        "sex": "1",
        "address": f"東京都千代田区永田町1丁目{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=body)
    assert resident.status_code == 201, resident.text
    return dict(resident.json())


def card_of(fed, answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    image = answer.json()["card_image"]
    chip = Chip.from_image(image.encode(), seal_key=seal)
    return {
        "answer": answer.json(),
        "mfg": answer.json()["summary"]["manufacture_number"],
        "image": image,
        "chip": chip,
        "client": JPKIClient(ChipTransport(chip)),
    }


def issue(fed, http, resident: dict[str, Any] | None = None) -> dict[str, Any]:
    resident = resident or new_resident(http)
    answer = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    return card_of(fed, answer) | {"resident": resident}


@pytest.fixture(scope="module")
def verifier(http) -> str:
    added = http.post("/jlis/verifiers", json={"name": "テスト検証者"})
    assert added.status_code == 201, added.text
    return str(added.json()["credential"])


@pytest.fixture(autouse=True)
def fresh_ocsp(fed):
    """The portal asks J-LIS at every login here (no reuse of a good answer)."""
    answers = fed.portal().portal.ocsp_answers
    kept = answers.max_age
    answers.max_age = answers.max_age * 0
    yield
    answers.max_age = kept


def openssl_ocsp(
    fed, http, verifier: str, card: dict[str, Any], tmp: Path, kind=KeyKind.AUTH
) -> str:
    """``openssl ocsp`` writes the request, J-LIS answers it, ``openssl ocsp`` reads the
    answer (it exits 0 for revoked too: its text is read)."""
    hierarchy = "auth" if kind is KeyKind.AUTH else "sign"
    leaf, ca = tmp / f"{hierarchy}.der", tmp / f"{hierarchy}-ca.pem"
    if kind is KeyKind.SIGN:
        card["client"].verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    leaf.write_bytes(card["client"].read_certificate(kind))
    ca.write_text(http.get(f"/jlis/ca/{hierarchy}.pem").text)
    request, response = tmp / "req.der", tmp / "resp.der"

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", "ocsp", *map(str, args)], capture_output=True, text=True, check=True
        )

    pem = tmp / f"{hierarchy}.pem"
    subprocess.run(["openssl", "x509", "-inform", "DER", "-in", leaf, "-out", pem], check=True)
    run("-issuer", ca, "-cert", pem, "-no_nonce", "-reqout", request)
    answer = http.post(
        f"/jlis/ocsp/{hierarchy}",
        content=request.read_bytes(),
        headers={
            "Content-Type": "application/ocsp-request",
            "Authorization": f"Bearer {verifier}",
        },
    )
    assert answer.status_code == 200, answer.text
    response.write_bytes(answer.content)
    result = run(
        "-respin", response, "-issuer", ca, "-cert", pem, "-CAfile", ca, "-no_nonce", "-resp_text"
    )
    assert "Response verify OK" in result.stderr, result.stderr
    found = re.search(rf"^{re.escape(str(pem))}: (\w+)$", result.stdout, re.M)
    assert found, result.stdout
    text = found.group(1)
    if text == "revoked":
        reason = re.search(r"Reason: (\w+)", result.stdout)
        text += f" {reason.group(1) if reason else ''}".rstrip()
    return text


def portal_login(http: httpx.Client, card: dict[str, Any], pin: str = AUTH_PIN) -> httpx.Response:
    """A command-line login with the card at Mynaportal; the portal's answer."""
    started = http.post("/portal/api/login/start", json={"method": "cli"})
    code = started.json()["code"]
    nonce = base64.b64decode(challenge(http, code)["challenge"])
    answer = sign_challenge(card["client"], nonce, pin=pin).to_json(via="cli")
    return http.post(f"/portal/api/login/{code}", json=answer)


def call_centre(fed, monkeypatch, *args: str):
    """``mynumber callcentre …`` on the federation's data folder (and its databases)."""
    if fed.settings.database_url:
        monkeypatch.setenv("MYNUMBER_DATABASE_URL", fed.settings.database_url)
        monkeypatch.setenv("MYNUMBER_DATABASE_PREFIX", fed.settings.database_prefix)
    else:
        monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    return runner.invoke(
        cli_app,
        ["callcentre", *args, "--data", str(fed.settings.data_dir)],
        env={"COLUMNS": "200"},
    )


def call_centre_at(server: str, token: str, *args: str):
    """``mynumber callcentre …`` against the running server, as a call-centre operator."""
    return runner.invoke(
        cli_app,
        ["callcentre", *args, "--url", server, "--token", token],
        env={"COLUMNS": "200"},
    )


def resume_at_counter(http, resident_id: str, card: dict[str, Any], pin: str = AUTH_PIN):
    """The counter asks for a challenge; the holder's card signs it on the counter's reader."""
    base = f"/municipality/131016/api/residents/{resident_id}/card"
    made = http.post(f"{base}/resume-challenge")
    assert made.status_code == 200, made.text
    challenge = made.json()["challenge"]
    answer = sign_challenge(card["client"], base64.b64decode(challenge), pin=pin)
    body = answer.to_json(via="counter") | {"challenge": challenge}
    del body["via"]
    return http.post(f"{base}/resume", json=body)


def card_row(fed, mfg: str) -> dict[str, Any]:
    c = jlis_store.cards.c
    with fed.jlis().engine.connect() as conn:
        row = conn.execute(jlis_store.cards.select().where(c.manufacture_number == mfg)).one()
    return dict(row._mapping)


# --- the call centre ------------------------------------------------------------------------


def test_a_call_centre_suspension_shows_as_revoked_at_ocsp_right_after_the_command(
    fed, http, verifier, tmp_path, monkeypatch
) -> None:
    lost = issue(fed, http)
    assert openssl_ocsp(fed, http, verifier, lost, tmp_path) == "good"
    assert portal_login(http, lost).status_code == 200

    done = call_centre(
        fed,
        monkeypatch,
        "suspend",
        "--card-number",
        lost["mfg"],
        "--name",
        " ".join(NAME),  # an ASCII space where the card has U+3000: still the same name
        "--birth-date",
        BIRTH,
        "--lost-outside",
        "--police-receipt",
        "R-2026-001234",
    )

    assert done.exit_code == 0, done.output
    assert f"card {lost['mfg']}: suspended" in done.output
    assert "police receipt number recorded" in done.output
    assert openssl_ocsp(fed, http, verifier, lost, tmp_path) == "revoked certificateHold"
    sign = openssl_ocsp(fed, http, verifier, lost, tmp_path, kind=KeyKind.SIGN)
    assert sign == "revoked certificateHold"  # this project's choice: both certificates
    refused = portal_login(http, lost)
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_revoked"
    row = card_row(fed, lost["mfg"])
    assert row["status"] == "suspended" and row["police_receipt"] == "R-2026-001234"


def test_a_caller_whose_items_do_not_match_is_refused_and_nothing_changes(
    fed, http, verifier, tmp_path, server, as_staff
) -> None:
    card = issue(fed, http)
    token = as_staff("jlis", ["callcentre_operator"])["Authorization"].removeprefix("Bearer ")
    number = ["suspend", "--card-number", card["mfg"]]
    wrong_name = call_centre_at(server, token, *number, "--name", "別人 花子")
    assert wrong_name.exit_code == 1 and "caller_not_identified" in wrong_name.output
    born = ["--birth-date", "1979-11-03"]
    wrong_birth = call_centre_at(server, token, *number, "--name", "".join(NAME), *born)
    assert wrong_birth.exit_code == 1 and "caller_not_identified" in wrong_birth.output
    unknown = call_centre_at(
        server, token, "suspend", "--card-number", "ZZZZZZZZZZZZZ", "--name", "紛失 太郎"
    )
    assert unknown.exit_code == 1 and "caller_not_identified" in unknown.output
    assert card_row(fed, card["mfg"])["status"] == "active"
    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "good"
    refused = [
        e
        for e in fed.jlis().staff.log_entries(person=card["mfg"])
        if e["action"] == "callcentre.refused"
    ]
    assert len(refused) == 2


def test_the_operator_role_suspends_through_the_api_and_the_console(fed, http, as_staff) -> None:
    operator = as_staff("jlis", ["callcentre_operator"])
    desk = as_staff("jlis", ["desk"])
    card = issue(fed, http)
    body = {"card_number": card["mfg"], "name": "紛失　太郎"}
    denied = http.post("/jlis/callcentre/suspensions", json=body, headers=desk)
    assert denied.status_code == 403
    anonymous = httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE)
    assert anonymous.post("/jlis/callcentre/suspensions", json=body).status_code == 401
    assert card_row(fed, card["mfg"])["status"] == "active"

    page = http.get("/jlis/callcentre/", headers=operator)
    assert page.status_code == 200 and "一時利用停止" in page.text
    bad = http.post(
        "/jlis/callcentre/", data={"card_number": "short", "name": "x"}, headers=operator
    )
    assert bad.status_code == 422 and card_row(fed, card["mfg"])["status"] == "active"
    done = http.post(
        "/jlis/callcentre/",
        data={"card_number": card["mfg"].lower(), "name": "紛失太郎", "birth_date": BIRTH},
        headers=operator,
    )
    assert done.status_code == 200, done.text
    assert f"{card['mfg']}</strong>: suspended" in done.text
    assert card_row(fed, card["mfg"])["status"] == "suspended"
    again = http.post("/jlis/callcentre/suspensions", json=body, headers=operator)
    assert again.status_code == 200 and again.json()["status"] == "suspended"


# --- lifting, cancelling --------------------------------------------------------------------


def test_a_suspension_is_lifted_only_at_the_counter_with_the_card(
    fed, http, verifier, tmp_path, as_staff
) -> None:
    found = issue(fed, http)
    other = issue(fed, http)
    operator = as_staff("jlis", ["operator"])
    suspended = http.post(
        "/jlis/callcentre/suspensions",
        json={"card_number": found["mfg"], "name": "紛失 太郎"},
        headers=operator,
    )
    assert suspended.status_code == 200, suspended.text
    # J-LIS's own staff cannot lift it (nor can a call): only a municipality's request
    serial = next(
        c["serial"] for c in found["answer"]["summary"]["certificates"] if c["hierarchy"] == "auth"
    )
    by_operator = http.post(
        "/jlis/cards/resume", json={"resident_code": "0" * 11, "auth_serial": serial}
    )
    assert by_operator.status_code == 401
    resident = found["resident"]["id"]
    # another resident's card does not lift this resident's suspension
    wrong = resume_at_counter(http, resident, other)
    assert wrong.status_code == 404 and wrong.json()["title"] == "card_not_found"
    # an answer to another resident's challenge, or a forged signature, is refused
    base = f"/municipality/131016/api/residents/{resident}/card"
    others = http.post(
        f"/municipality/131016/api/residents/{other['resident']['id']}/card/resume-challenge"
    ).json()["challenge"]
    signed = sign_challenge(found["client"], base64.b64decode(others), pin=AUTH_PIN)
    replayed = signed.to_json(via="counter") | {"challenge": others}
    del replayed["via"]
    assert http.post(f"{base}/resume", json=replayed).status_code == 422
    mine = http.post(f"{base}/resume-challenge").json()["challenge"]
    forged = replayed | {"challenge": mine}  # the signature is over the other challenge
    refused = http.post(f"{base}/resume", json=forged)
    assert refused.status_code == 401 and refused.json()["title"] == "signature_invalid"
    assert openssl_ocsp(fed, http, verifier, found, tmp_path) == "revoked certificateHold"

    lifted = resume_at_counter(http, resident, found)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "active" and lifted.json()["good"] == ["auth", "sign"]
    assert openssl_ocsp(fed, http, verifier, found, tmp_path) == "good"
    assert portal_login(http, found).status_code == 200


def test_a_cancelled_card_is_final(fed, http, verifier, tmp_path) -> None:
    card = issue(fed, http)
    cancelled = http.post(f"/jlis/cards/{card['mfg']}/cancel", json={"reason": "keyCompromise"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "revoked keyCompromise"
    hold = http.post(f"/jlis/cards/{card['mfg']}/cancel", json={"reason": "certificateHold"})
    assert hold.status_code == 422
    lift = resume_at_counter(http, card["resident"]["id"], card)
    assert lift.status_code == 409 and lift.json()["title"] == "card_cancelled"
    suspend = http.post(f"/jlis/cards/{card['mfg']}/suspend", json={})
    assert suspend.status_code == 200 and suspend.json()["status"] == "cancelled"
    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "revoked keyCompromise"
    assert portal_login(http, card).status_code == 401


# --- reissue --------------------------------------------------------------------------------


def reissue(http, resident_id: str, **body: Any) -> httpx.Response:
    return http.post(
        f"/municipality/131016/api/residents/{resident_id}/card/reissue",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD} | body,
    )


def test_reissue_channels_have_their_fees_and_rules(fed, http) -> None:
    old = issue(fed, http)
    resident = old["resident"]["id"]
    not_express = reissue(http, resident, kind="express", reason="other")
    assert not_express.status_code == 422 and "特急" in not_express.text
    no_receipt = reissue(http, resident, kind="normal", reason="lost_outside")
    assert no_receipt.status_code == 422 and "受理番号" in no_receipt.text
    assert card_row(fed, old["mfg"])["status"] == "active"  # nothing was issued

    express = reissue(http, resident, kind="express", reason="stolen", police_receipt="A-77")
    assert express.status_code == 201, express.text
    out = express.json()
    assert (out["fee_yen"], out["fee_without_certificates_yen"]) == (2000, 1800)
    assert out["replaced"] == [old["mfg"]]
    normal = reissue(http, resident, kind="normal", reason="damaged")
    assert normal.status_code == 201 and normal.json()["fee_yen"] == 1000
    assert normal.json()["replaced"] == [out["summary"]["manufacture_number"]]


def oidc_login(fed, http, card: dict[str, Any]) -> dict[str, Any]:
    """A relying party sends the person to the portal's authorization endpoint; the login
    page is completed with the card. Returns the login's state (and the next page)."""
    provider = fed.portal().oidc
    made = provider.clients.add(
        UnitOfWork(fed.portal().engine),
        name=f"テスト銀行 {secrets.token_hex(2)}",
        redirect_uris=["https://rp.example/cb"],
        public=False,
    )
    verifier_ = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": made.client.client_id,
            "redirect_uri": "https://rp.example/cb",
            "scope": "openid",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier_.encode()).digest())
            .decode()
            .rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    with httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE) as pc:
        sent = pc.get(f"/portal/oidc/authorize?{query}")
        assert sent.status_code == 303, sent.text
        page = pc.get(sent.headers["location"])
        assert page.status_code == 200
        found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
        assert found is not None
        try:
            approve(http, found.group(2), card["client"], pin=AUTH_PIN)
        except errors.Unauthorized as exc:
            return {"state": "refused", "reason": exc.code}
        return dict(pc.get("/portal/login/status", params={"id": found.group(1)}).json())


def test_a_reissued_persons_old_card_is_refused_at_the_portal_and_oidc(
    fed, http, verifier, tmp_path
) -> None:
    old = issue(fed, http)
    assert portal_login(http, old).status_code == 200
    assert oidc_login(fed, http, old)["state"] == "done"

    answer = reissue(http, old["resident"]["id"], kind="normal", reason="lost")
    new = card_of(fed, answer)

    assert card_row(fed, old["mfg"])["status"] == "cancelled"
    assert card_row(fed, old["mfg"])["replaced_by"] == new["mfg"]
    refused = portal_login(http, old)
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_revoked"
    assert oidc_login(fed, http, old) == {"state": "refused", "reason": "certificate_revoked"}
    assert openssl_ocsp(fed, http, verifier, old, tmp_path) == "revoked superseded"
    old_sign = openssl_ocsp(fed, http, verifier, old, tmp_path, kind=KeyKind.SIGN)
    assert old_sign == "revoked superseded"  # signatures made with it no longer verify
    assert portal_login(http, new).status_code == 200
    assert oidc_login(fed, http, new)["state"] == "done"


# --- PIN reset ------------------------------------------------------------------------------

NEW_PIN = "5678"


def card_file(card: dict[str, Any], tmp: Path) -> Path:
    path = tmp / f"{card['mfg']}.json"
    path.write_text(card["image"])
    return path


def pin_b(card: dict[str, Any]) -> str:
    summary = card["answer"]["summary"]
    born = BIRTH.replace("-", "")[2:]
    return f"{born}{summary['expires_on'][:4]}{summary['security_code']}"


def reload(fed, path: Path) -> JPKIClient:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(path.read_bytes(), seal_key=seal)))


def block_auth_pin(client: JPKIClient) -> None:
    for _ in range(3):
        with pytest.raises((PinIncorrect, PinBlocked)):
            client.verify_pin(PinRef.JPKI_AUTH, "0000")
    with pytest.raises(PinBlocked):
        client.verify_pin(PinRef.JPKI_AUTH, AUTH_PIN)


@pytest.fixture(scope="module")
def server(fed) -> Iterator[str]:
    """The federation also served on a free port, for the command line's ``--url``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    running = uvicorn.Server(
        uvicorn.Config(fed.root, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def jlis_clock(fed):
    resets = fed.jlis().pin_resets
    real = resets.clock
    yield resets
    resets.clock = real


#: The day the tests count from, fixed once so that a test running across midnight JST
#: keeps its moments in order.
TODAY_JST = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).replace(
    hour=0, minute=0, second=0, microsecond=0
)


def at_jst(hour: int, minute: int = 0, days: int = 0):
    """A clock stopped at ``hour:minute`` JST, ``days`` after :data:`TODAY_JST`."""
    moment = (TODAY_JST + dt.timedelta(days=days, hours=hour, minutes=minute)).astimezone(dt.UTC)
    return lambda: moment


def test_a_blocked_pin_is_reset_at_the_counter_and_the_new_pin_logs_in(
    fed, http, tmp_path, server, as_staff
) -> None:
    clerk = as_staff("municipality-131016", ["clerk"])["Authorization"].removeprefix("Bearer ")
    card = issue(fed, http)
    path = card_file(card, tmp_path)
    block_auth_pin(card["client"])
    path.write_bytes(card["chip"].to_image())  # the card, its PIN blocked

    done = runner.invoke(
        cli_app,
        [
            "card",
            "pin-reset",
            "counter",
            str(path),
            "--resident",
            card["resident"]["id"],
            "--municipality",
            "131016",
            "--pin",
            "auth",
            "--new-pin",
            NEW_PIN,
            "--data",
            str(fed.settings.data_dir),
            "--url",
            server,
            "--token",
            clerk,
        ],
        env={"COLUMNS": "200"},
    )

    assert done.exit_code == 0, done.output
    client = reload(fed, path)
    assert client.pin_status(PinRef.JPKI_AUTH) == 3
    assert portal_login(http, {"client": client}, pin=NEW_PIN).status_code == 200
    # another resident's municipality record cannot have this card reset
    other = new_resident(http)
    refused = http.post(
        f"/municipality/131016/api/residents/{other['id']}/card/pin-reset",
        json={
            "manufacture_number": card["mfg"],
            "pin": "auth",
            "card_challenge": base64.b64encode(b"0" * 16).decode(),
            "identity_checked_with": "passport",
        },
    )
    assert refused.status_code == 404


def reserve(http, card: dict[str, Any], pin: str, face: bytes, *, other_pin: str) -> httpx.Response:
    score = face_score(face, read_photo(card["client"], pin_b(card)))
    challenge = base64.b64decode(http.post("/jlis/pin-reset/challenge").json()["challenge"])
    key = OTHER_KEY.get(pin, KeyKind.AUTH)
    proof = prove(card["client"], challenge, key=key, pin=other_pin)
    return http.post("/jlis/pin-reset/reservations", json=proof | {"pin": pin, "face_score": score})


def chip_photo(card: dict[str, Any]) -> bytes:
    return read_photo(card["client"], pin_b(card))


def test_a_kiosk_reset_reserved_on_the_phone_sets_the_pin_within_24_hours_and_hours(
    fed, http, tmp_path, jlis_clock, server
) -> None:
    # the reservation is made at 10:00 JST tomorrow: later than now at any hour the test runs
    # (the certificates and their CA, made now, are valid then), in hours, and 22 hours before
    # the kiosk opens the day after
    jlis_clock.clock = at_jst(10, days=1)
    card = issue(fed, http)
    path = card_file(card, tmp_path)
    face = tmp_path / "face.png"
    face.write_bytes(chip_photo(card))
    data = ["--data", str(fed.settings.data_dir), "--url", server]

    reserved = runner.invoke(
        cli_app,
        [
            "card",
            "pin-reset",
            "reserve",
            str(path),
            "--pin",
            "auth",
            "--other-pin",
            SIGN_PASSWORD,
            "--face",
            str(face),
            "--pin-b",
            pin_b(card),
            *data,
        ],
        env={"COLUMNS": "200"},
    )
    assert reserved.exit_code == 0, reserved.output
    code = re.search(r"reservation ([0-9A-F]{16})", reserved.output)
    assert code is not None
    kiosk = [
        "card",
        "pin-reset",
        "kiosk",
        str(path),
        "--reservation",
        code.group(1),
        "--pin",
        "auth",
        "--other-pin",
        SIGN_PASSWORD,
        "--new-pin",
        NEW_PIN,
        *data,
    ]

    jlis_clock.clock = at_jst(23, 30, days=1)  # the kiosk is closed
    closed = runner.invoke(cli_app, kiosk, env={"COLUMNS": "200"})
    assert closed.exit_code == 1 and "6:30" in closed.output
    jlis_clock.clock = at_jst(6, 29, days=2)
    assert runner.invoke(cli_app, kiosk).exit_code == 1
    jlis_clock.clock = at_jst(8, days=2)  # 22 hours after the reservation
    done = runner.invoke(cli_app, kiosk, env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    client = reload(fed, path)
    client.verify_pin(PinRef.JPKI_AUTH, NEW_PIN)  # raises if the PIN were not set
    used = runner.invoke(cli_app, kiosk, env={"COLUMNS": "200"})
    assert used.exit_code == 1 and "no reservation" in used.output


def test_kiosk_reset_refusals(fed, http, jlis_clock) -> None:
    jlis_clock.clock = at_jst(12, days=1)  # tomorrow noon: after now, whatever the hour
    card = issue(fed, http)
    face = chip_photo(card)
    for pin in ("juki", "text"):
        refused = reserve(http, card, pin, face, other_pin=AUTH_PIN)
        assert refused.status_code == 403 and "counter" in refused.json()["detail"]
    stranger = reserve(http, card, "auth", b"\x89PNG another person", other_pin=SIGN_PASSWORD)
    assert stranger.status_code == 403 and "face" in stranger.json()["detail"]
    # a reservation older than 24 hours is not honoured
    made = reserve(http, card, "sign", face, other_pin=AUTH_PIN)
    assert made.status_code == 201, made.text
    jlis_clock.clock = at_jst(12, 1, days=2)
    late = kiosk_reset(http, card, made.json()["reservation"], "sign")
    assert late.status_code == 403 and "24" in late.json()["detail"]
    # one of the four items changed (the signing certificate revoked): no kiosk reset
    jlis_clock.clock = at_jst(12, days=1)
    moved = http.post(f"/jlis/cards/{card['mfg']}/revoke-signing", json={})
    assert moved.status_code == 200
    changed = reserve(http, card, "sign", face, other_pin=AUTH_PIN)
    assert changed.status_code == 403 and "counter" in changed.json()["detail"]
    # a suspended card neither
    held = issue(fed, http)
    http.post(f"/jlis/cards/{held['mfg']}/suspend", json={"reason": "certificateHold"})
    suspended = reserve(http, held, "auth", chip_photo(held), other_pin=SIGN_PASSWORD)
    assert suspended.status_code == 403


def kiosk_reset(http, card: dict[str, Any], code: str, pin: str) -> httpx.Response:
    challenge = base64.b64decode(http.post("/jlis/pin-reset/challenge").json()["challenge"])
    other_pin = SIGN_PASSWORD if pin == "auth" else AUTH_PIN
    proof = prove(card["client"], challenge, key=OTHER_KEY[pin], pin=other_pin)
    body = proof | {"reservation": code, "card_challenge": base64.b64encode(b"c" * 16).decode()}
    return http.post("/jlis/pin-reset/kiosk", json=body)


# --- renewal and address change -------------------------------------------------------------


@pytest.fixture
def issuer_clock(fed):
    issuer = fed.jlis().cards
    real = issuer.clock
    yield issuer
    issuer.clock = real


def auth_expiry(card: dict[str, Any]) -> dt.datetime:
    auth = next(c for c in card["answer"]["summary"]["certificates"] if c["hierarchy"] == "auth")
    return dt.datetime.fromisoformat(str(auth["not_after"]))


def client_of(fed, image: str) -> JPKIClient:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(image.encode(), seal_key=seal)))


def test_certificates_renew_from_three_months_before_they_end(
    fed, http, verifier, tmp_path, issuer_clock
) -> None:
    card = issue(fed, http)
    resident = card["resident"]["id"]
    ends = auth_expiry(card)
    renew = f"/municipality/131016/api/residents/{resident}/card/renew"

    issuer_clock.clock = lambda: ends - dt.timedelta(days=100)
    early = http.post(renew, json={"card_image": card["image"]})
    assert early.status_code == 409 and early.json()["title"] == "renewal_not_open"
    issuer_clock.clock = lambda: ends - dt.timedelta(days=80)
    renewed = http.post(renew, json={"card_image": card["image"]})

    assert renewed.status_code == 200, renewed.text
    out = renewed.json()
    assert sorted(c["hierarchy"] for c in out["certificates"]) == ["auth", "sign"]
    new_auth = next(c for c in out["certificates"] if c["hierarchy"] == "auth")
    assert dt.datetime.fromisoformat(new_auth["not_after"]) > ends  # five more years
    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "revoked superseded"
    new = {"client": client_of(fed, out["card_image"])}
    assert openssl_ocsp(fed, http, verifier, new, tmp_path) == "good"
    new["client"].verify_pin(PinRef.JPKI_AUTH, AUTH_PIN)  # the PINs stay as they were
    # the card itself past its expiry is not renewed: a new card is needed
    expires = dt.date.fromisoformat(card["answer"]["summary"]["expires_on"])
    issuer_clock.clock = lambda: (
        dt.datetime.combine(expires, dt.time(), dt.UTC) + dt.timedelta(days=2)
    )
    expired = http.post(renew, json={"card_image": out["card_image"]})
    assert expired.status_code == 409 and expired.json()["title"] == "card_expired"


def test_an_address_change_rewrites_the_text_ap_and_issues_a_new_signing_certificate(
    fed, http, verifier, tmp_path
) -> None:
    card = issue(fed, http)
    new_address = f"東京都新宿区西新宿2丁目{secrets.randbelow(10**6)}番"
    moved = http.post(
        f"/municipality/131016/api/residents/{card['resident']['id']}/move",
        json={"to": "131041", "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    there = http.post(
        "/municipality/131041/api/residents/search",
        json={"resident_code": card["resident"]["resident_code"]},
    )
    assert there.status_code == 200, there.text
    # the move revoked the signing certificate; the auth one survives a move
    assert openssl_ocsp(fed, http, verifier, card, tmp_path, kind=KeyKind.SIGN).startswith(
        "revoked"
    )
    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "good"

    changed = http.post(
        f"/municipality/131041/api/residents/{there.json()['id']}/card/address",
        json={"card_image": card["image"]},
    )

    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert [c["hierarchy"] for c in out["certificates"]] == ["sign"]
    client = client_of(fed, out["card_image"])
    record = client.read_text_ap(AUTH_PIN)
    assert record.attributes.address == new_address
    key = serialization.load_pem_public_key(http.get("/jlis/keys/text-ap.pem").content)
    verify_text_signature(record, key)  # raises if J-LIS's seal does not cover it
    new = {"client": client}
    assert openssl_ocsp(fed, http, verifier, new, tmp_path, kind=KeyKind.SIGN) == "good"
    assert client.read_certificate(KeyKind.AUTH) == card["client"].read_certificate(KeyKind.AUTH)
    # another municipality's resident is not this card's holder
    stranger = new_resident(http)
    refused = http.post(
        f"/municipality/131016/api/residents/{stranger['id']}/card/address",
        json={"card_image": out["card_image"]},
    )
    assert refused.status_code == 404
    garbage = http.post(
        f"/municipality/131041/api/residents/{there.json()['id']}/card/address",
        json={"card_image": "not a card"},
    )
    assert garbage.status_code == 422


def expiry_notices(fed, card: dict[str, Any]) -> int:
    portal = fed.portal()
    auth = next(c for c in card["answer"]["summary"]["certificates"] if c["hierarchy"] == "auth")
    with portal.engine.connect() as conn:
        rows = conn.execute(portal_store.login_certificates.select()).all()
    code = next(r.portal_code for r in rows if r.serial == auth["serial"])
    return sum(
        "有効期限" in n["title"] for n in portal.portal.inbox.list(UnitOfWork(portal.engine), code)
    )


def test_the_portal_gives_one_expiry_notice_inside_the_window(fed, http, issuer_clock) -> None:
    today = dt.datetime.now(dt.UTC)
    ends_on = (today + dt.timedelta(days=60)).date()
    if ends_on.month == 2 and ends_on.day == 29:
        ends_on += dt.timedelta(days=1)
    resident = new_resident(http, birth=ends_on.replace(year=1980).isoformat())
    # a card issued almost five years ago: its certificates end in about 60 days
    issued_on = ends_on.replace(year=ends_on.year - 5) + dt.timedelta(days=1)
    issuer_clock.clock = lambda: dt.datetime.combine(issued_on, dt.time(3), dt.UTC)
    card = issue(fed, http, resident)
    issuer_clock.clock = lambda: dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=50) < auth_expiry(card) - today < dt.timedelta(days=70)

    assert portal_login(http, card).status_code == 200
    assert portal_login(http, card).status_code == 200

    assert expiry_notices(fed, card) == 1
    fresh = issue(fed, http)  # a card far from its end gets none
    assert portal_login(http, fresh).status_code == 200
    assert expiry_notices(fed, fresh) == 0


def test_a_card_past_its_period_of_stay_is_refused_everywhere(
    fed, http, verifier, tmp_path, issuer_clock
) -> None:
    """A foreign resident's card ends with the period of stay, before its certificates' own
    term: they end with it (a verifier refuses them as expired), and J-LIS's OCSP answers
    revoked (cessationOfOperation) all the same."""
    keys = KeyFolder(fed.settings.data_dir / "keys")
    municipality = "municipality-131016"
    jlis = ServiceClient(
        fed.directory, "jlis", Identity(municipality, keys.private_key(municipality))
    )
    today = dt.datetime.now(dt.UTC)
    issuer_clock.clock = lambda: today - dt.timedelta(days=400)
    stay_until = (today - dt.timedelta(days=2)).date()
    answer = jlis.request(
        "POST",
        "/cards",
        {
            "items": {
                "name": "在留\u3000花子",
                "address": "東京都千代田区1",
                "birth_date": "1990-04-01",
                "sex": "2",
            },
            "my_number": "123456789018",
            "stay_until": stay_until.isoformat(),
            "pins": {"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
        },
    )
    issuer_clock.clock = lambda: dt.datetime.now(dt.UTC)
    assert answer["summary"]["expires_on"] == stay_until.isoformat()
    card = {"client": client_of(fed, answer["card_image"])}
    # the certificates would still run; they end with the card, on the last day of the stay
    ends = dt.datetime.combine(stay_until, dt.time(14, 59, 59), dt.UTC)  # 23:59:59 JST
    assert auth_expiry({"answer": answer}) == ends

    assert openssl_ocsp(fed, http, verifier, card, tmp_path) == "revoked cessationOfOperation"
    refused = portal_login(http, card)  # the certificate ended with the card
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_expired"
