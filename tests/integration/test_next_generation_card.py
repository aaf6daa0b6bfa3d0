"""The generation-2 card end to end (this project's model of 次期個人番号カード): J-LIS runs
the ``auth-g2`` and ``sign-g2`` hierarchies beside today's two; ``mynumber card issue
--generation 2`` makes a P-384 card whose chain ``openssl verify`` accepts against the CA
J-LIS serves; the card signs a SHA-384 hash and logs in to Mynaportal, OCSP through J-LIS's
``auth-g2`` responder; a suspension shows there as revoked."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from sqlalchemy import select
from typer.testing import CliRunner

from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli import app
from mynumber.cli.phone import approve
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.jlis import store as jlis_store
from mynumber.pki import build_ocsp_request
from mynumber.platform.http import InProcessTransport
from mynumber.reader import JPKIClient, KeyKind, PinRef

AUTH_PIN = "2468"  # demo values
SIGN_PASSWORD = "GEN2PASS9"


def _pem(http: httpx.Client, hierarchy: str) -> x509.Certificate:
    answer = http.get(f"/jlis/ca/{hierarchy}.pem")
    assert answer.status_code == 200, answer.text
    return x509.load_pem_x509_certificate(answer.content)


@pytest.fixture(scope="module")
def cli_card(fed, tmp_path_factory) -> dict[str, Any]:
    """A generation-2 card made by ``mynumber card issue`` on the federation's data folder."""
    folder = tmp_path_factory.mktemp("gen2")
    out = folder / "g2.card"
    data = str(fed.settings.data_dir)
    runner = CliRunner()
    issued = runner.invoke(
        app,
        ["card", "issue", "--out", str(out), "--auth-pin", AUTH_PIN, "--sign-password",
         SIGN_PASSWORD, "--generation", "2", "--data", data],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    shown = runner.invoke(app, ["card", "show", str(out), "--pem-auth", "--data", data])
    assert shown.exit_code == 0, shown.output
    table = runner.invoke(app, ["card", "show", str(out), "--data", data], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    return {"file": out, "folder": folder, "issued": issued.output, "pem": shown.output,
            "table": table.output}  # fmt: skip


@pytest.fixture(scope="module")
def card(fed, http) -> dict[str, Any]:
    """A resident of 千代田区 and their generation-2 card, made at the counter's API."""
    person = {
        "family_name": "次期",
        "given_name": "太郎",
        "family_name_kana": "ジキ",
        "given_name_kana": "タロウ",
        "birth_date": "1988-04-20",
        "sex": "1",
        "address": f"東京都千代田区霞が関1丁目{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=person)
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/131016/api/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD, "generation": 2},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(answer.json()["card_image"].encode(), seal_key=seal)
    return {"summary": answer.json()["summary"], "chip": chip}


@pytest.fixture
def pc(fed) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


def test_jlis_serves_the_generation_2_roots_beside_the_first(http) -> None:
    for purpose in ("auth", "sign"):
        old, new = _pem(http, purpose), _pem(http, f"{purpose}-g2")
        assert isinstance(old.public_key(), rsa.RSAPublicKey)
        key = new.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"
        assert isinstance(new.signature_hash_algorithm, hashes.SHA384)
        assert "(generation 2)" in new.subject.rfc4514_string()
        assert new.subject != old.subject
    assert http.get("/jlis/ca/auth-g3.pem").status_code == 422


def test_the_cli_issues_a_generation_2_card_that_openssl_verifies(fed, http, cli_card) -> None:
    assert "auth-g2" in cli_card["issued"] and "sign-g2" in cli_card["issued"]
    assert "認証AP" in cli_card["table"] and "JPKI-AP" not in cli_card["table"]
    cert = x509.load_pem_x509_certificate(cli_card["pem"].encode())
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
    folder: Path = cli_card["folder"]
    (folder / "ca.pem").write_bytes(http.get("/jlis/ca/auth-g2.pem").content)
    (folder / "leaf.pem").write_text(cli_card["pem"])
    out = subprocess.run(
        ["openssl", "verify", "-CAfile", str(folder / "ca.pem"), str(folder / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and "leaf.pem: OK" in out.stdout, out.stdout + out.stderr
    # the generation-1 root does not vouch for it
    (folder / "old.pem").write_bytes(http.get("/jlis/ca/auth.pem").content)
    refused = subprocess.run(
        ["openssl", "verify", "-CAfile", str(folder / "old.pem"), str(folder / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0


def test_the_signing_chain_verifies_after_the_password(fed, http, cli_card) -> None:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(cli_card["file"].read_bytes(), seal_key=seal)
    client = JPKIClient(ChipTransport(chip))
    assert client.generation == 2
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    cert = x509.load_der_x509_certificate(client.read_certificate(KeyKind.SIGN))
    root = _pem(http, "sign-g2")
    assert cert.issuer == root.subject
    cert.verify_directly_issued_by(root)


def test_a_generation_2_card_logs_in_to_mynaportal(fed, http, pc, card) -> None:
    hierarchies = {c["hierarchy"] for c in card["summary"]["certificates"]}
    assert hierarchies == {"auth-g2", "sign-g2"}
    page = pc.get("/portal/login")
    found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
    assert found is not None
    login_id, code = found.groups()
    client = JPKIClient(ChipTransport(card["chip"]))
    result = approve(http, code, client, pin=AUTH_PIN)
    assert result["result"] == "ok", result
    status = pc.get("/portal/login/status", params={"id": login_id}).json()
    assert status["state"] == "done"
    home = pc.get("/portal/home")
    assert home.status_code == 200 and "わたしの情報" in home.text


def test_a_suspended_generation_2_card_is_revoked_at_the_auth_g2_responder(fed, http, card) -> None:
    client = JPKIClient(ChipTransport(card["chip"]))
    cert = x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
    root = _pem(http, "auth-g2")
    credential = http.post("/jlis/verifiers", json={"name": "次期カード検証"}).json()["credential"]
    headers = {
        "Authorization": f"Bearer {credential}",
        "content-type": "application/ocsp-request",
    }

    def status() -> ocsp.OCSPCertStatus:
        answer = http.post(
            "/jlis/ocsp/auth-g2", content=build_ocsp_request(cert, root), headers=headers
        )
        assert answer.status_code == 200
        return ocsp.load_der_ocsp_response(answer.content).certificate_status

    assert status() is ocsp.OCSPCertStatus.GOOD
    mfg = card["summary"]["manufacture_number"]
    done = http.post(f"/jlis/cards/{mfg}/suspend", json={"reason": "keyCompromise"})
    assert done.status_code == 200, done.text
    assert {r["hierarchy"] for r in done.json()["revoked"]} == {"auth-g2", "sign-g2"}
    assert status() is ocsp.OCSPCertStatus.REVOKED
    with fed.jlis().engine.connect() as conn:
        t = jlis_store.certificates.c
        rows = conn.execute(select(t.hierarchy).where(t.manufacture_number == mfg)).scalars()
        assert sorted(rows) == ["auth-g2", "sign-g2"]
    # the CRL of the hierarchy lists it too
    crl = http.get("/jlis/crl/auth-g2.crl", headers={"Authorization": f"Bearer {credential}"})
    assert crl.status_code == 200
    listed = x509.load_der_x509_crl(crl.content)
    assert listed.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert listed.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
