"""Both card generations and the phone's own certificate wherever a signature is checked.

Real cards made by J-LIS (``generation`` 2: ECDSA P-384 / SHA-384 under ``auth-g2`` and
``sign-g2``; generation 1 for the card a phone is enrolled from) and a real phone credential:
a generation-2 card signs an e-application the municipality accepts, a contract the platform
operator accepts (pyHanko validates the PDF against ``sign-g2``, ``pdfsig`` finds the
signature valid), signs a staff member in, gets a certificate at a kiosk, proves itself for a
PIN reset and at the counter; the phone signs an e-application (the phone app) and a contract,
takes an Android phone to the kiosk; where the phone is not usable (an iPhone at the kiosk,
a card's PIN reset, lifting a card's suspension) the refusal says why."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from test_applications import municipality_rows, open_form, post_form, valid_form
from test_contracts import contract_pdf
from test_phone_certificate import PHONE_PASSWORD, PHONE_PIN, new_phone
from test_portal_login import issue as issue_generation_1
from test_portal_login import log_in
from test_staff import sign_in

from mynumber import errors
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.contract import sign_contract, verify_contract
from mynumber.cli.phone import sign
from mynumber.devices.kiosk import STORES, Kiosk
from mynumber.devices.kiosk.terminal import Choice
from mynumber.devices.phone import sign_challenge
from mynumber.devices.phone.credential import PhoneCredential
from mynumber.devices.pin_reset import prove
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.portal import store as portal_store
from mynumber.pki import Purpose, SignatureInvalid, UnknownIssuer, generation_of, verify_signed
from mynumber.platform.http import InProcessTransport
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import JPKIClient, KeyKind
from mynumber.reader.cms import sign_detached

pytestmark = pytest.mark.slow

CHIYODA = "131016"
AUTH_PIN = "1234"  # demo values, as the helpers borrowed from other modules use
SIGN_PASSWORD = "ABC123"
JST = dt.timezone(dt.timedelta(hours=9))
NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=JST)


def _client(fed, image: str) -> JPKIClient:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(image.encode(), seal_key=seal)))


def issue_generation_2(fed, http, given_name: str = "次期") -> dict[str, Any]:
    """A new adult of 千代田区 and their generation-2 card, made at the counter's API."""
    person = {
        "family_name": "両世代",
        "given_name": given_name,
        "family_name_kana": "リョウセダイ",
        "given_name_kana": "ジキ",
        "birth_date": "1986-09-09",
        "sex": "1",
        "address": f"東京都千代田区神田{secrets.randbelow(10**6)}番",
    }
    resident = http.post(f"/municipality/{CHIYODA}/api/residents", json=person)
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD, "generation": 2},
    )
    assert answer.status_code == 201, answer.text
    client = _client(fed, answer.json()["card_image"])
    assert client.generation == 2
    summary = answer.json()["summary"]
    return {
        "resident": resident.json(),
        "summary": summary,
        "image": answer.json()["card_image"],
        "client": client,
        "mfg": summary["manufacture_number"],
        "serials": {c["hierarchy"]: c["serial"] for c in summary["certificates"]},
    }


def _certificate(client: Any, kind: KeyKind) -> x509.Certificate:
    return x509.load_der_x509_certificate(client.read_certificate(kind))


@pytest.fixture(scope="module")
def g2(fed, http) -> dict[str, Any]:
    return issue_generation_2(fed, http)


@pytest.fixture(scope="module")
def phone_holder(fed, http) -> dict[str, Any]:
    """A generation-1 card and the Android phone enrolled from it (its own certificates)."""
    card = issue_generation_1(fed, http)
    with httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE) as device:
        card["phone"] = new_phone(fed, device, card).credential
    return card


@pytest.fixture(scope="module")
def web(fed) -> Iterator[httpx.Client]:
    """The resident's side: plain HTTP into the deployment, no credentials."""
    with httpx.Client(
        transport=InProcessTransport(fed.root),
        base_url=INTERNAL_BASE,
        follow_redirects=False,
        timeout=60.0,
    ) as client:
        yield client


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def service_hours(fed) -> Iterator[None]:
    center = fed.jlis().kiosk_center
    real = center.clock
    center.clock = lambda: NOON
    yield
    center.clock = real


def _root(web: httpx.Client, hierarchy: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(web.get(f"/jlis/ca/{hierarchy}.der").content)


# --- e-applications (電子申請) ----------------------------------------------------------------


def _apply(fed, pc: httpx.Client, holder: dict[str, Any]) -> tuple[str, str]:
    """Post a nursery admission (it needs a signature); (application id, sign code)."""
    kind = "nursery_admission"
    form = open_form(pc, kind)
    posted = post_form(pc, kind, valid_form(kind, holder), form["key"])
    assert posted.status_code == 303, posted.text
    a, s = portal_store.applications.c, portal_store.submissions.c
    with fed.services("portal").engine.connect() as conn:
        application_id = conn.scalar(
            select(a.id)
            .select_from(
                portal_store.applications.join(portal_store.submissions, s.application_id == a.id)
            )
            .where(s.key == form["key"])
        )
        code = conn.scalar(
            select(portal_store.sign_requests.c.code).where(
                portal_store.sign_requests.c.id
                == select(a.sign_request_id).where(a.id == application_id).scalar_subquery()
            )
        )
    assert application_id is not None and code is not None
    return str(application_id), str(code)


def _submitted_verdict(fed, pc: httpx.Client, application_id: str) -> dict[str, Any]:
    done = pc.post(
        f"/portal/applications/{application_id}/submit", data={"csrf": pc.headers["x-test-csrf"]}
    )
    assert done.status_code == 303, done.text
    rows = [r for r in municipality_rows(fed) if r["portal_application_id"] == application_id]
    assert len(rows) == 1
    verdict: dict[str, Any] = json.loads(rows[0]["verdict"])
    return verdict | {"status": rows[0]["status"], "signer_serial": rows[0]["signer_serial"]}


def test_a_generation_2_card_signs_an_e_application_the_municipality_accepts(
    fed, http, pc, g2
) -> None:
    pc.headers["x-test-csrf"] = log_in(pc, http, g2)  # the login accepts generation 2 too
    application_id, code = _apply(fed, pc, g2)
    assert sign(http, code, g2["client"], password=SIGN_PASSWORD)["result"] == "ok"
    verdict = _submitted_verdict(fed, pc, application_id)
    assert verdict["signed"] is True and verdict["ocsp"] == "good"
    assert verdict["basic_items"] == "match" and verdict["status"] == "received"
    assert "(generation 2)" in verdict["issuer"]  # the sign-g2 hierarchy, its OCSP responder
    assert verdict["signer_serial"] == g2["serials"]["sign-g2"]


def test_the_phone_signs_an_e_application_in_the_phone_app(fed, http, pc, phone_holder) -> None:
    pc.headers["x-test-csrf"] = log_in(pc, http, phone_holder)
    application_id, code = _apply(fed, pc, phone_holder)
    name = f"g2-{secrets.token_hex(3)}"
    phone_holder["phone"].save(fed.settings.data_dir / "phone-credentials" / f"{name}.phone")
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as app:
        page = app.get("/phone/sign", params={"code": code})
        assert page.status_code == 200 and f"phone:{name}" in page.text, page.text
        form = {
            k: html.unescape(v)
            for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
        }
        card = f"phone:{name}"
        wrong = app.post("/phone/sign", data=form | {"card": card, "password": SIGN_PASSWORD})
        assert wrong.status_code == 401 and "残り4回" in wrong.text  # the phone's own password
        done = app.post("/phone/sign", data=form | {"card": card, "password": PHONE_PASSWORD})
        assert done.status_code == 200 and 'id="done"' in done.text, done.text
    verdict = _submitted_verdict(fed, pc, application_id)
    assert verdict["signed"] is True and verdict["basic_items"] == "match"
    phone_sign = _certificate(phone_holder["phone"], KeyKind.SIGN)
    assert verdict["signer_serial"] == f"{phone_sign.serial_number:x}"


def test_the_phone_sign_command_signs_an_e_application(
    fed, http, pc, phone_holder, tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from mynumber.cli import app

    real = httpx.Client

    def in_process(*args: Any, **kwargs: Any) -> httpx.Client:
        """The command's HTTP client, routed to the in-process federation."""
        return real(*args, transport=InProcessTransport(fed.root), **kwargs)

    monkeypatch.setattr("mynumber.cli.phone.httpx.Client", in_process)
    pc.headers["x-test-csrf"] = log_in(pc, http, phone_holder)
    application_id, code = _apply(fed, pc, phone_holder)
    phone = tmp_path / "mine.phone"
    phone_holder["phone"].save(phone)
    command = ["phone", "sign", code, "--phone", str(phone),
               "--url", INTERNAL_BASE, "--data", str(fed.settings.data_dir)]  # fmt: skip
    runner = CliRunner()
    wrong = runner.invoke(
        app, [*command, "--password", SIGN_PASSWORD]
    )  # the card's, not the phone's
    assert wrong.exit_code == 1 and "tries left" in wrong.output, wrong.output
    signed = runner.invoke(app, [*command, "--password", PHONE_PASSWORD])
    assert signed.exit_code == 0, signed.output
    verdict = _submitted_verdict(fed, pc, application_id)
    assert verdict["signed"] is True and verdict["basic_items"] == "match"
    saved = PhoneCredential.load(
        phone, load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    )
    assert verdict["signer_serial"] == f"{_certificate(saved, KeyKind.SIGN).serial_number:x}"


def test_a_phone_whose_certificates_were_superseded_cannot_sign(fed, http, pc) -> None:
    card = issue_generation_1(fed, http)
    with httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE) as device:
        old = new_phone(fed, device, card).credential
        new_phone(fed, device, card)  # one device at a time: the first phone's are revoked
    pc.headers["x-test-csrf"] = log_in(pc, http, card)
    application_id, code = _apply(fed, pc, card)
    with pytest.raises(errors.Error) as refused:
        sign(http, code, old, password=PHONE_PASSWORD)
    assert refused.value.code == "certificate_revoked", refused.value.message
    early = pc.post(
        f"/portal/applications/{application_id}/submit", data={"csrf": pc.headers["x-test-csrf"]}
    )
    assert early.status_code == 409


# --- contracts at the platform operator -----------------------------------------------------


@pytest.fixture(scope="module")
def g2_contract(web, g2) -> dict[str, Any]:
    contract_id, pdf = sign_contract(
        web, g2["client"], contract_pdf(), password=SIGN_PASSWORD, field="Borrower"
    )
    return {"id": contract_id, "pdf": pdf}


def test_a_generation_2_card_signs_a_contract_the_platform_accepts(web, g2, g2_contract) -> None:
    report = verify_contract(web, g2_contract["pdf"])
    (signature,) = report["signatures"]
    assert signature["ok"] and signature["trusted"] and signature["intact"], report
    assert signature["revocation_embedded"] and signature["timestamped"]
    assert signature["serial"] == g2["serials"]["sign-g2"]
    assert signature["current"]["status"] == "good"  # asked at the sign-g2 responder

    # pyHanko from the file alone: ECDSA with SHA-384 under J-LIS's sign-g2 root
    reader = PdfFileReader(io.BytesIO(g2_contract["pdf"]))
    embedded = reader.embedded_regular_signatures[0]
    assert embedded.signer_info["signature_algorithm"]["algorithm"].native == "sha384_ecdsa"
    roots = [
        asn1_x509.Certificate.load(_root(web, "sign-g2").public_bytes(Encoding.DER)),
        asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate(
                web.get("/trustplatform/tsa/root.pem").content
            ).public_bytes(Encoding.DER)
        ),
    ]
    status = validate_pdf_signature(
        embedded, ValidationContext(trust_roots=roots, allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    # the generation-1 root alone does not vouch for it
    only_g1 = [asn1_x509.Certificate.load(_root(web, "sign").public_bytes(Encoding.DER))]
    untrusted = validate_pdf_signature(
        embedded, ValidationContext(trust_roots=only_g1, allow_fetching=False)
    )
    assert status.intact and not untrusted.trusted


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="needs pdfsig (poppler-utils)")
def test_pdfsig_finds_the_generation_2_signature_valid(g2_contract, tmp_path: Path) -> None:
    path = tmp_path / "contract.pdf"
    path.write_bytes(g2_contract["pdf"])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True).stdout
    block = next(b for b in out.split("Signature #") if "Signature Field Name: Borrower" in b)
    assert "Signature is Valid." in block, out  # pdfsig exits 0 on a mismatch: read it
    assert "Digest Mismatch" not in out and "SHA-384" in block, out


def test_the_phone_signs_a_contract_and_a_generation_2_card_countersigns(
    web, g2, phone_holder
) -> None:
    _, first = sign_contract(
        web, phone_holder["phone"], contract_pdf(), password=PHONE_PASSWORD, field="Borrower"
    )
    _, both = sign_contract(web, g2["client"], first, password=SIGN_PASSWORD, field="Guarantor")
    report = verify_contract(web, both)
    assert report["ok"], report
    by_field = {s["field"]: s for s in report["signatures"]}
    phone_sign = _certificate(phone_holder["phone"], KeyKind.SIGN)
    assert by_field["Borrower"]["serial"] == f"{phone_sign.serial_number:x}"
    assert by_field["Guarantor"]["serial"] == g2["serials"]["sign-g2"]
    assert all(s["current"]["status"] == "good" for s in report["signatures"])


def test_the_platform_takes_generation_2_ekyc(web, g2) -> None:
    data = b'{"application": "securities account", "demo": true}'
    cms = sign_detached(g2["client"], data, password=SIGN_PASSWORD)
    answer = web.post(
        "/trustplatform/api/providers/securities/ekyc",
        json={"data": base64.b64encode(data).decode(), "signature": base64.b64encode(cms).decode()},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["serial"] == g2["serials"]["sign-g2"]


# --- staff, kiosk, PIN reset, the counter ---------------------------------------------------


def test_a_generation_2_staff_card_signs_a_staff_member_in(fed, http, anonymous) -> None:
    card = issue_generation_2(fed, http, given_name="職員")
    fed.services(f"municipality-{CHIYODA}").staff.add(
        name="次期 職員", roles=["clerk"], auth_serial=card["serials"]["auth-g2"]
    )
    session = sign_in(anonymous, card["client"], pin=AUTH_PIN)
    assert session.status_code == 200, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    me = anonymous.get(f"/municipality/{CHIYODA}/staff/api/me", headers=bearer)
    assert me.status_code == 200 and me.json()["name"] == "次期 職員"
    # suspended at J-LIS: the auth-g2 responder says revoked, the next sign-in is refused
    held = http.post(f"/jlis/cards/{card['mfg']}/suspend", json={"reason": "keyCompromise"})
    assert held.status_code == 200, held.text
    refused = sign_in(anonymous, card["client"], pin=AUTH_PIN)
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_revoked"


def kiosk(fed) -> Kiosk:
    store = STORES["sunrise-0001"]
    return Kiosk(
        store,
        jlis_url=fed.directory.url("jlis"),
        http=fed.directory.http,
        identity=Identity(
            store.chain, KeyFolder(fed.settings.data_dir / "keys").private_key(store.chain)
        ),
    )


def test_a_generation_2_card_and_an_android_phone_get_a_certificate_at_the_kiosk(
    fed, g2, phone_holder, service_hours
) -> None:
    done = kiosk(fed).issue(g2["client"], pin=AUTH_PIN, choice=Choice(certificate="juminhyo"))
    assert done.pdf.startswith(b"%PDF") and done.municipality == CHIYODA
    by_phone = kiosk(fed).issue(
        phone_holder["phone"], pin=PHONE_PIN, choice=Choice(certificate="juminhyo")
    )
    assert by_phone.pdf.startswith(b"%PDF") and by_phone.municipality == CHIYODA


def test_the_kiosk_command_takes_the_phone(
    fed, phone_holder, service_hours, tmp_path: Path, monkeypatch
) -> None:
    from test_kiosk import _Kept
    from typer.testing import CliRunner

    from mynumber.cli import app
    from mynumber.cli import kiosk as kiosk_cli

    # the command line's in-process deployment is the test's (its J-LIS clock at noon)
    monkeypatch.setattr(kiosk_cli.federation, "build", lambda *a, **k: _Kept(fed))
    phone = tmp_path / "mine.phone"
    phone_holder["phone"].save(phone)
    out = tmp_path / "juminhyo.pdf"
    result = CliRunner().invoke(
        app,
        ["kiosk", "issue", "--phone", str(phone), "--pin", PHONE_PIN, "--certificate",
         "juminhyo", "--out", str(out), "--data", str(fed.settings.data_dir)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"municipality {CHIYODA}" in result.output and out.read_bytes().startswith(b"%PDF")


def test_an_iphone_is_refused_at_the_kiosk_with_the_reason(fed, http, service_hours) -> None:
    card = issue_generation_1(fed, http)
    with httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE) as device:
        iphone = new_phone(fed, device, card, kind="iphone").credential
    with pytest.raises(errors.Error) as refused:
        kiosk(fed).issue(iphone, pin=PHONE_PIN, choice=Choice(certificate="juminhyo"))
    assert refused.value.code == "phone_not_at_kiosk"
    assert "Android" in refused.value.message


def _reserve(http: httpx.Client, client: Any, *, key: KeyKind, pin: str) -> httpx.Response:
    challenge = base64.b64decode(http.post("/jlis/pin-reset/challenge").json()["challenge"])
    proof = prove(client, challenge, key=key, pin=pin)
    return http.post(
        "/jlis/pin-reset/reservations", json=proof | {"pin": "auth", "face_score": 1.0}
    )


def test_a_pin_reset_takes_a_generation_2_proof_not_the_phones(fed, http, phone_holder) -> None:
    card = issue_generation_2(fed, http, given_name="初期化")
    made = _reserve(http, card["client"], key=KeyKind.SIGN, pin=SIGN_PASSWORD)
    assert made.status_code == 201, made.text
    assert made.json()["reservation"]
    phone = _reserve(http, phone_holder["phone"], key=KeyKind.SIGN, pin=PHONE_PASSWORD)
    assert phone.status_code == 403, phone.text
    assert phone.json()["title"] == "pin_reset_refused" and "hold the card" in phone.text


def _resume(http: httpx.Client, resident_id: str, client: Any, pin: str) -> httpx.Response:
    base = f"/municipality/{CHIYODA}/api/residents/{resident_id}/card"
    made = http.post(f"{base}/resume-challenge")
    assert made.status_code == 200, made.text
    challenge = made.json()["challenge"]
    answer = sign_challenge(client, base64.b64decode(challenge), pin=pin)
    body = answer.to_json(via="counter") | {"challenge": challenge}
    del body["via"]
    return http.post(f"{base}/resume", json=body)


def test_the_counter_lifts_a_generation_2_cards_hold_with_the_card_not_the_phone(
    fed, http, phone_holder
) -> None:
    card = issue_generation_2(fed, http, given_name="窓口")
    held = http.post(f"/jlis/cards/{card['mfg']}/suspend", json={"reason": "certificateHold"})
    assert held.status_code == 200, held.text
    lifted = _resume(http, card["resident"]["id"], card["client"], AUTH_PIN)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "active"
    assert set(lifted.json()["good"]) == {"auth-g2", "sign-g2"}
    # the phone's own certificate does not stand in for the card at the counter
    phone_holder_id = phone_holder["resident"]["id"]
    refused = _resume(http, phone_holder_id, phone_holder["phone"], PHONE_PIN)
    assert refused.status_code == 401 and refused.json()["title"] == "card_required"


def test_the_shared_check_trusts_a_generation_2_key_under_its_own_root_only(web, g2) -> None:
    cert = _certificate(g2["client"], KeyKind.AUTH)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    data = b"challenge"
    signature = g2["client"].sign(KeyKind.AUTH, data, pin=AUTH_PIN)
    now = dt.datetime.now(dt.UTC)
    roots = [_root(web, "auth"), _root(web, "auth-g2")]
    anchor = verify_signed(cert, data, signature, roots, now, purpose=Purpose.AUTH)
    assert anchor == roots[1] and generation_of(anchor) == 2
    with pytest.raises(UnknownIssuer):
        verify_signed(cert, data, signature, roots[:1], now, purpose=Purpose.AUTH)
    with pytest.raises(SignatureInvalid):
        verify_signed(cert, data + b"!", signature, roots, now, purpose=Purpose.AUTH)


def test_the_command_line_signs_a_contract_with_the_phone(
    fed, phone_holder, tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from mynumber.cli import app

    phone = tmp_path / "mine.phone"
    phone_holder["phone"].save(phone)
    source, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(contract_pdf())
    data = str(fed.settings.data_dir)
    # the command works on the federation's own databases (on PostgreSQL too)
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    if fed.settings.database_url is not None:
        monkeypatch.setenv("MYNUMBER_DATABASE_URL", fed.settings.database_url)
        monkeypatch.setenv("MYNUMBER_DATABASE_PREFIX", fed.settings.database_prefix)
    runner = CliRunner()
    command = ["contract", "sign", "--phone", str(phone), "--in", str(source), "--out", str(out),
               "--field", "Buyer", "--data", data]  # fmt: skip
    both = runner.invoke(app, [*command, "--card", str(phone), "--password", PHONE_PASSWORD])
    assert both.exit_code == 2 and "either --card or --phone" in both.output
    signed = runner.invoke(app, [*command, "--password", PHONE_PASSWORD])
    assert signed.exit_code == 0, signed.output
    checked = runner.invoke(app, ["contract", "verify", str(out), "--data", data])
    assert checked.exit_code == 0, checked.output
    assert "Buyer: ok" in checked.output and "today: good" in checked.output


def test_a_generation_2_card_signs_a_sign_transaction(fed, web, g2) -> None:
    """デジタル認証アプリ-style: the party asks for a SHA-384 DigestInfo, the generation-2
    card signs the hash (ECDSA), the portal checks it against sign-g2 and its responder and
    sends the result with the sign-g2 root; a SHA-256 one is refused on the device."""
    from joserfc import jwe
    from joserfc.jwe import JWERegistry
    from joserfc.jwk import RSAKey

    from mynumber.cli.contract import authorize_sign_transaction
    from mynumber.orgs.portal.services.oidc import TokenGrant
    from mynumber.orgs.portal.services.oidc_clients import RelyingParty

    key = RSAKey.generate_key(2048)
    party = RelyingParty(
        client_id=f"g2test{secrets.token_hex(4)}",
        name="次期カード試験",
        redirect_uris=("https://rp.example/cb",),
        sector="rp.example",
        public=False,
        created_at=dt.datetime.now(dt.UTC),
        jwk=json.dumps(key.as_dict(private=False)),
    )
    grant = TokenGrant(client=party, portal_code="g2-test", scopes=("openid", "sign"))
    service = fed.portal().sign_transactions
    document = "口座開設申込書 (generation 2)".encode()
    tx = service.create(grant, "sha384", hashlib.sha384(document).digest())
    done = authorize_sign_transaction(web, g2["client"], tx["id"], password=SIGN_PASSWORD)
    assert done == {"id": tx["id"], "status": "signed"}
    registry = JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
    payload = json.loads(
        jwe.decrypt_compact(service.result(tx["id"], grant), key, registry=registry).plaintext
    )
    cert = x509.load_der_x509_certificate(base64.b64decode(payload["certificate"]))
    root = x509.load_der_x509_certificate(base64.b64decode(payload["certificate_chain"][0]))
    assert root == _root(web, "sign-g2")
    cert.verify_directly_issued_by(root)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(base64.b64decode(payload["signature"]), document, ec.ECDSA(hashes.SHA384()))

    sha256 = service.create(grant, "sha256", hashlib.sha256(document).digest())
    with pytest.raises(errors.InvalidInput, match="SHA-384"):
        authorize_sign_transaction(web, g2["client"], sha256["id"], password=SIGN_PASSWORD)


def test_a_generation_2_card_confirms_eligibility_at_the_clinic(fed, http) -> None:
    """マイナ保険証: 利用登録 at the reader and PIN-mode confirmation, chain to auth-g2."""
    from test_clinic import CLINIC, answer_of, enrol

    from mynumber.devices.clinic import CardReader, Terminal

    card = issue_generation_2(fed, http, given_name="受診")
    enrol(fed, http, card, insurer="insurer-kyokai")
    terminal = Terminal(http, f"/clinic/{CLINIC}")
    assert terminal.register(CardReader(card["client"]), pin=AUTH_PIN) is True
    found = answer_of(terminal.confirm(CardReader(card["client"]), pin=AUTH_PIN).xml)
    assert found["QualificationValidity"] == "1" and found["InsurerNumber"] == "01130018"
    assert found["Name"].startswith(card["resident"]["family_name"])


def test_a_revoked_generation_2_signing_certificate_signs_nothing(fed, http, web) -> None:
    """Revoked by serial at J-LIS (the sign-g2 responder says so at once): the platform's
    eKYC and a contract are refused."""
    card = issue_generation_2(fed, http, given_name="失効")
    serial = card["serials"]["sign-g2"]
    revoked = http.post(f"/jlis/certificates/{serial}/revoke", json={"reason": "keyCompromise"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["hierarchy"] == "sign-g2"
    data = b'{"application": "securities account"}'
    cms = sign_detached(card["client"], data, password=SIGN_PASSWORD)
    answer = web.post(
        "/trustplatform/api/providers/securities/ekyc",
        json={"data": base64.b64encode(data).decode(), "signature": base64.b64encode(cms).decode()},
    )
    assert answer.status_code == 401 and answer.json()["title"] == "certificate_revoked"
    with pytest.raises(errors.Error) as refused:
        sign_contract(web, card["client"], contract_pdf(), password=SIGN_PASSWORD)
    assert refused.value.code == "certificate_revoked"


def test_a_generation_2_signer_after_a_move_at_the_platform(fed, http, web) -> None:
    """The move revokes the sign-g2 certificate (現況確認 says affiliationChanged); the
    consent signed with it gives the latest four items; the serial link names the auth-g2
    certificate on the same card."""
    from test_contracts import _statement

    mover = issue_generation_2(fed, http, given_name="転居")
    base = "/trustplatform/api/providers/realestate"
    contract_id, _ = sign_contract(
        web, mover["client"], contract_pdf(), password=SIGN_PASSWORD, field="Buyer",
        provider="realestate",
    )  # fmt: skip
    signer = f"{base}/contracts/{contract_id}/signers/Buyer"
    linked = http.get(f"{signer}/auth-serial")
    assert linked.status_code == 200, linked.text
    assert linked.json()["auth_serial"] == mover["serials"]["auth-g2"]
    given = web.post(f"{base}/consents", json=_statement(mover, consent="latest-basic-items"))
    assert given.status_code == 201, given.text
    new_address = "東京都新宿区西新宿2丁目8番1号"
    moved = http.post(
        f"/municipality/{CHIYODA}/api/residents/{mover['resident']['id']}/move",
        json={"to": "131041", "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    status = http.get(f"{base}/contracts/{contract_id}/status").json()[0]
    assert status["status"] == "revoked" and status["reason"] == "affiliationChanged"
    after = http.get(f"{signer}/latest-items")
    assert after.status_code == 200, after.text
    assert after.json()["address"] == new_address and after.json()["changed"] == ["address"]


def test_a_generation_2_card_enrols_a_phone_that_follows_it(fed, http, pc) -> None:
    """The card signs the enrolment with its P-384 key; the phone's own certificates (RSA,
    generation-1 CAs) follow the card's: revoking the card's sign-g2 certificate by serial
    revokes the phone's signing certificate."""
    card = issue_generation_2(fed, http, given_name="携帯")
    with httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE) as device:
        phone = new_phone(fed, device, card).credential
    pc.headers["x-test-csrf"] = log_in(pc, http, card)
    application_id, code = _apply(fed, pc, card)
    assert sign(http, code, phone, password=PHONE_PASSWORD)["result"] == "ok"
    verdict = _submitted_verdict(fed, pc, application_id)
    assert verdict["signed"] is True and verdict["basic_items"] == "match"
    revoked = http.post(
        f"/jlis/certificates/{card['serials']['sign-g2']}/revoke",
        json={"reason": "affiliationChanged"},
    )
    assert revoked.status_code == 200, revoked.text
    _, code = _apply(fed, pc, card)
    with pytest.raises(errors.Error) as refused:
        sign(http, code, phone, password=PHONE_PASSWORD)
    assert refused.value.code == "certificate_revoked"
