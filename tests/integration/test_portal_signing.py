"""Sign requests: the logged-in person signs exact bytes with the card's SIGNING key on the
phone (the phone app at ``/phone/sign`` or ``mynumber phone sign``); a real detached CMS,
checked by the portal (CMS, chain to J-LIS's signing CA, OCSP as a registered verifier)
and by ``openssl cms -verify``.
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from test_portal_login import SIGN_PASSWORD, issue, log_in

from mynumber import errors
from mynumber.card import CardFile
from mynumber.cli.phone import sign, sign_request
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.portal import store as portal_store
from mynumber.orgs.portal.services.signing import SignRequests
from mynumber.pki.cms import CmsInvalid, verify_detached
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import KeyKind, PinIncorrect
from mynumber.reader.cms import sign_detached

PURPOSE = ("テスト文書への署名", "Signing a test document")


def browser(fed) -> httpx.Client:
    return httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    )


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        yield client


@pytest.fixture(scope="module")
def signing(fed) -> SignRequests:
    service: SignRequests = fed.portal().signing
    return service


@pytest.fixture(scope="module")
def card(fed, http) -> dict[str, Any]:
    """A person with a card, also in the demo wallet (as ``signer``) for the phone page."""
    made = issue(fed, http)
    wallet = fed.settings.data_dir / "wallet"
    wallet.mkdir(exist_ok=True)
    CardFile(wallet / "signer.card").save(made["image"].encode())
    (wallet / "signer.json").write_text(
        json.dumps({"holder": "試験 花子", "municipality": "131016"}), encoding="utf-8"
    )
    return made


def portal_code(fed, pc: httpx.Client) -> str:
    token = pc.cookies["portal_session"]
    return fed.portal().portal.session(UnitOfWork(fed.portal().engine), token).portal_code


def sign_rows(fed) -> dict[str, dict[str, Any]]:
    with fed.services("portal").engine.connect() as conn:
        rows = conn.execute(select(portal_store.sign_requests)).all()
    return {r.id: dict(r._mapping) for r in rows}


def ask(fed, pc: httpx.Client, signing: SignRequests, data: bytes) -> Any:
    return signing.create(
        UnitOfWork(fed.portal().engine),
        portal_code(fed, pc),
        PURPOSE,
        data,
        "申請者: 試験 花子\n内容: テスト",
        next_path="/portal/home",
    )


def status(pc: httpx.Client, request_id: str) -> dict[str, Any]:
    answer = pc.get(f"/portal/sign/{request_id}/status")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_cli_signs_a_detached_cms_the_portal_and_openssl_accept(
    fed, http, pc, card, signing, tmp_path
) -> None:
    log_in(pc, http, card)
    data = "児童手当 認定請求書\n請求者: 試験 花子".encode()
    asked = ask(fed, pc, signing, data)
    page = pc.get(f"/portal/sign/{asked.id}")
    assert page.status_code == 200
    assert "テスト文書への署名" in page.text and "<svg" in page.text
    resource = quote(f"{fed.settings.base_url}/portal/api/sign/{asked.code}", safe="")
    assert f'href="{fed.settings.base_url}/phone/sign?request={resource}"' in page.text
    assert status(pc, asked.id)["state"] == "pending"
    assert signing.result(UnitOfWork(fed.portal().engine), asked.id, asked.portal_code) is None

    shown = sign_request(http, asked.code)
    assert shown["purpose_ja"] == PURPOSE[0] and base64.b64decode(shown["data"]) == data
    assert sign(http, asked.code, card["client"], password=SIGN_PASSWORD)["result"] == "ok"

    assert status(pc, asked.id) | {"detail": None} == {
        "state": "signed",
        "reason": None,
        "detail": None,
        "next": "/portal/home",
    }
    cms = signing.result(UnitOfWork(fed.portal().engine), asked.id, asked.portal_code)
    assert cms is not None
    ca = x509.load_der_x509_certificate(http.get("/jlis/ca/sign.der").content)
    checked = verify_detached(cms, data, [ca], dt.datetime.now(dt.UTC))
    own = x509.load_der_x509_certificate(card["client"].read_certificate(KeyKind.AUTH))
    assert checked.certificate.serial_number != own.serial_number  # the SIGNING key signed
    resident = card["resident"]
    assert checked.items.name.split() == [resident["family_name"], resident["given_name"]]
    assert checked.items.birth_date.isoformat() == card["resident"]["birth_date"]

    # the code is used up; the bytes signed once cannot be signed again
    with pytest.raises(errors.Error) as used:
        sign(http, asked.code, card["client"], password=SIGN_PASSWORD)
    assert used.value.code == "sign_request_used"

    openssl = shutil.which("openssl")
    assert openssl is not None
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(Encoding.PEM))
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig.der").write_bytes(cms)
    command = [openssl, "cms", "-verify", "-binary", "-inform", "DER"]
    command += ["-in", str(tmp_path / "sig.der"), "-content", str(tmp_path / "data")]
    command += ["-CAfile", str(tmp_path / "ca.pem"), "-purpose", "any", "-out", "/dev/null"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Verification successful" in run.stderr, run.stderr
    (tmp_path / "data").write_bytes(data + b"!")
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    assert run.returncode != 0


def phone_form(phone: httpx.Client, code: str) -> dict[str, str]:
    """The phone app's signing page for a typed ``code``: its hidden fields (csrf, request)."""
    page = phone.get("/phone/sign", params={"code": code})
    assert page.status_code == 200, page.text
    assert "テスト文書への署名" in page.text and "signer" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert set(fields) == {"csrf", "request"}
    return {k: html.unescape(v) for k, v in fields.items()}


def test_the_phone_page_signs_and_counts_down_wrong_passwords(fed, http, pc, card, signing) -> None:
    log_in(pc, http, card)
    asked = ask(fed, pc, signing, b"phone page bytes")
    with browser(fed) as phone:
        form = phone_form(phone, asked.code)
        wrong = phone.post(
            "/phone/sign",
            data=form | {"card": "signer", "password": "WRONG1"},
        )
        assert wrong.status_code == 401
        assert "残り4回" in wrong.text and "4 tries left" in wrong.text
        assert status(pc, asked.id)["state"] == "pending"
        badly_typed = phone.post(
            "/phone/sign",
            data=form | {"card": "signer", "password": "ab"},
        )
        assert badly_typed.status_code == 422 and "6〜16文字" in badly_typed.text
        no_csrf = phone.post(
            "/phone/sign",
            data={"card": "signer", "password": SIGN_PASSWORD, "request": form["request"]},
        )
        assert no_csrf.status_code == 403
        assert no_csrf.json()["title"] == "csrf"
        assert status(pc, asked.id)["state"] == "pending"
        done = phone.post(
            "/phone/sign",
            data=form | {"card": "signer", "password": SIGN_PASSWORD.lower()},
        )
        assert done.status_code == 200, done.text
        assert 'id="done"' in done.text
    assert status(pc, asked.id)["state"] == "signed"
    assert signing.result(UnitOfWork(fed.portal().engine), asked.id, asked.portal_code) is not None


def test_five_wrong_passwords_block_the_key_and_say_where_to_reset(fed, http, pc, signing) -> None:
    other = issue(fed, http)
    log_in(pc, http, other)
    asked = ask(fed, pc, signing, b"blocked")
    for left in (4, 3, 2, 1):
        with pytest.raises(PinIncorrect) as wrong:
            sign(http, asked.code, other["client"], password="WRONG9")
        assert wrong.value.tries_left == left
    wallet = fed.settings.data_dir / "wallet"
    CardFile(wallet / "blocked.card").save(other["image"].encode())
    (wallet / "blocked.json").write_text(json.dumps({"holder": "x"}), encoding="utf-8")
    # the wallet copy is the card before the four tries: spend its five tries on the page
    with browser(fed) as phone:
        form = phone_form(phone, asked.code)
        for _ in range(5):
            answer = phone.post(
                "/phone/sign",
                data=form | {"card": "blocked", "password": "WRONG9"},
            )
        assert answer.status_code == 403
        assert "ロック" in answer.text and "市区町村の窓口" in answer.text
        still = phone.post(
            "/phone/sign",
            data=form | {"card": "blocked", "password": SIGN_PASSWORD},
        )
        assert still.status_code == 403
    assert status(pc, asked.id)["state"] == "pending"


def test_a_tampered_cms_is_refused_and_nothing_is_kept(fed, http, pc, card, signing) -> None:
    log_in(pc, http, card)
    asked = ask(fed, pc, signing, b"the real bytes")
    forged = sign_detached(card["client"], b"other bytes", password=SIGN_PASSWORD)
    answer = http.post(
        f"/portal/api/sign/{asked.code}", json={"cms": base64.b64encode(forged).decode()}
    )
    assert answer.status_code == 401
    assert answer.json()["title"] == "cms_invalid"
    assert sign_rows(fed)[asked.id]["cms"] is None
    assert signing.result(UnitOfWork(fed.portal().engine), asked.id, asked.portal_code) is None
    assert status(pc, asked.id)["state"] == "refused"
    # a flipped byte inside the signature, and garbage, fail the pure check as well
    good = sign_detached(card["client"], b"x", password=SIGN_PASSWORD)
    ca = x509.load_der_x509_certificate(http.get("/jlis/ca/sign.der").content)
    flipped = bytearray(good)
    flipped[-10] ^= 0x01
    for bad in (bytes(flipped), b"not a cms", b""):
        with pytest.raises(CmsInvalid):
            verify_detached(bad, b"x", [ca], dt.datetime.now(dt.UTC))
    with pytest.raises(CmsInvalid):
        verify_detached(good, b"y", [ca], dt.datetime.now(dt.UTC))


def test_a_revoked_signing_certificate_is_refused(fed, http, pc, signing) -> None:
    moved = issue(fed, http)
    log_in(pc, http, moved)
    asked = ask(fed, pc, signing, b"after a move")
    keys = KeyFolder(fed.settings.data_dir / "keys")
    municipality = ServiceClient(
        fed.directory,
        "jlis",
        Identity("municipality-131016", keys.private_key("municipality-131016")),
    )
    mfg = moved["summary"]["manufacture_number"]
    municipality.request("POST", f"/cards/{mfg}/revoke-signing", {"reason": "affiliationChanged"})
    with pytest.raises(errors.Error) as refused:
        sign(http, asked.code, moved["client"], password=SIGN_PASSWORD)
    assert refused.value.code == "certificate_revoked"
    assert status(pc, asked.id)["state"] == "refused"
    assert "失効" in (status(pc, asked.id)["detail"] or "")
    assert signing.result(UnitOfWork(fed.portal().engine), asked.id, asked.portal_code) is None


def test_another_persons_request_is_not_found_and_an_old_one_expires(
    fed, http, pc, card, signing
) -> None:
    log_in(pc, http, card)
    asked = ask(fed, pc, signing, b"mine")
    other = issue(fed, http)
    with browser(fed) as stranger:
        log_in(stranger, http, other)
        assert stranger.get(f"/portal/sign/{asked.id}").status_code == 404
        assert stranger.get(f"/portal/sign/{asked.id}/status").status_code == 404
        with pytest.raises(errors.NotFound):
            signing.result(UnitOfWork(fed.portal().engine), asked.id, portal_code(fed, stranger))
    with browser(fed) as nobody:
        assert nobody.get(f"/portal/sign/{asked.id}").status_code == 303
    real = signing.clock
    try:
        signing.clock = lambda: real() + dt.timedelta(minutes=11)
        assert status(pc, asked.id)["state"] == "expired"
        with pytest.raises(errors.Error) as late:
            sign(http, asked.code, card["client"], password=SIGN_PASSWORD)
        assert late.value.code == "sign_request_expired"
    finally:
        signing.clock = real


def test_bad_requests_are_refused(fed, http, pc, card, signing) -> None:
    log_in(pc, http, card)
    code = portal_code(fed, pc)
    for purpose, data, summary, next_path in (
        ("", b"x", "s", None),
        (PURPOSE, b"", "s", None),
        (PURPOSE, b"x", "", None),
        (PURPOSE, b"x", "s", "https://evil.example/"),
        (PURPOSE, b"x" * (256 * 1024 + 1), "s", None),
    ):
        with pytest.raises(errors.InvalidInput):
            signing.create(
                UnitOfWork(fed.portal().engine), code, purpose, data, summary, next_path=next_path
            )
    assert http.get("/portal/api/sign/NOSUCHCD").status_code == 404
    asked = ask(fed, pc, signing, b"x")
    answer = http.post(f"/portal/api/sign/{asked.code}", json={"cms": "%%%"})
    assert answer.status_code == 422
    assert status(pc, asked.id)["state"] == "pending"


class Events(threading.Thread):
    """Reads the waiting page's event stream to its end, in the background."""

    def __init__(self, pc: httpx.Client, request_id: str) -> None:
        super().__init__(daemon=True)
        self.pc, self.request_id = pc, request_id
        self.status, self.content_type = 0, ""
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        with self.pc.stream("GET", f"/portal/sign/{self.request_id}/events") as response:
            self.status = response.status_code
            self.content_type = response.headers.get("content-type", "")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line.removeprefix("data: ")))


def test_the_waiting_page_hears_of_the_signature_by_server_sent_events(
    fed, http, pc, card, signing
) -> None:
    log_in(pc, http, card)
    asked = ask(fed, pc, signing, b"streamed")
    stream = Events(pc, asked.id)
    stream.start()
    time.sleep(1.0)
    assert stream.is_alive()
    sign(http, asked.code, card["client"], password=SIGN_PASSWORD)
    stream.join(timeout=15)
    assert not stream.is_alive()
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    assert [e["state"] for e in stream.events] == ["pending", "signed"]
    assert stream.events[-1]["next"] == "/portal/home"
    with browser(fed) as stranger:
        log_in(stranger, http, issue(fed, http))
        assert stranger.get(f"/portal/sign/{asked.id}/events").status_code == 404
