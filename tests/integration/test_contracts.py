"""Contracts on the card through the platform operator (``/trustplatform``): signed with the
card's signing key (PAdES, two signers), completed with the chain, J-LIS's OCSP answers and
a document time-stamp; checked by ``pdfsig`` and by pyHanko from the file alone; 現況確認
after a move and a suspension; eKYC records; the refusals.
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas
from test_portal_login import SIGN_PASSWORD, issue

from mynumber.cli.contract import sign_contract, verify_contract
from mynumber.federation import INTERNAL_BASE
from mynumber.platform.http import InProcessTransport
from mynumber.reader import PinBlocked, PinIncorrect
from mynumber.reader.cms import sign_detached

pytestmark = pytest.mark.slow


def contract_pdf(text: str = "住宅ローン金銭消費貸借契約書 (demo)") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pageCompression=0)
    page.drawString(72, 770, "Housing loan agreement (demo)")
    page.drawString(72, 750, text.encode("ascii", "replace").decode())
    page.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def web(fed) -> httpx.Client:
    """The resident's side: plain HTTP into the deployment, no credentials."""
    return httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, timeout=60.0
    )


@pytest.fixture(scope="module")
def borrower(fed, http) -> dict[str, Any]:
    return issue(fed, http)


@pytest.fixture(scope="module")
def guarantor(fed, http) -> dict[str, Any]:
    return issue(fed, http)


@pytest.fixture(scope="module")
def signed(web, borrower, guarantor) -> dict[str, Any]:
    """A loan contract signed by the borrower, then by the guarantor, each completed."""
    first_id, first = sign_contract(
        web, borrower["client"], contract_pdf(), password=SIGN_PASSWORD, field="Borrower"
    )
    second_id, both = sign_contract(
        web, guarantor["client"], first, password=SIGN_PASSWORD, field="Guarantor"
    )
    return {"first_id": first_id, "id": second_id, "pdf": both}


def _roots(web) -> list[asn1_x509.Certificate]:
    jlis = web.get("/jlis/ca/sign.der")
    tsa = web.get("/trustplatform/tsa/root.pem")
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    tsa_der = x509.load_pem_x509_certificate(tsa.content).public_bytes(Encoding.DER)
    return [asn1_x509.Certificate.load(jlis.content), asn1_x509.Certificate.load(tsa_der)]


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="needs pdfsig (poppler-utils)")
def test_a_two_signer_contract_passes_pdfsig(signed, tmp_path: Path) -> None:
    path = tmp_path / "contract.pdf"
    path.write_bytes(signed["pdf"])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True).stdout
    # pdfsig exits 0 even on a digest mismatch: read its text (engineering notes)
    fields = re.findall(r"Signature Field Name: (\S+)", out)
    assert "Borrower" in fields and "Guarantor" in fields
    assert out.count("Signature is Valid.") >= 2
    assert "Digest Mismatch" not in out and "Invalid" not in out


class _OcspBridge(BaseHTTPRequestHandler):
    """J-LIS's OCSP responder at the address the certificates name (AIA), for pdfsig.

    The relying party's side: it forwards each request to J-LIS with a registered verifier's
    credential (revocation answers go only to registered verifiers)."""

    web: httpx.Client
    bearer: dict[str, str]
    answered: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {**self.bearer, "Content-Type": "application/ocsp-request"}
        self._answer(self.web.post(self.path, content=body, headers=headers))

    def do_GET(self) -> None:
        self._answer(self.web.get(self.path, headers=self.bearer))

    def _answer(self, got: httpx.Response) -> None:
        self.answered.append(got.status_code)
        self.send_response(got.status_code)
        self.send_header(
            "Content-Type", got.headers.get("content-type", "application/octet-stream")
        )
        self.send_header("Content-Length", str(len(got.content)))
        self.end_headers()
        self.wfile.write(got.content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None,
    reason="needs pdfsig (poppler-utils) and certutil (libnss3-tools)",
)
def test_pdfsig_trusts_the_signers_certificates_under_jlis_signing_ca(
    web, http, signed, tmp_path: Path
) -> None:
    """pdfsig (poppler 22.12) asks the OCSP responder named in the signer's certificate and,
    when it cannot reach it, reports "Unknown issue with Certificate" even though NSS accepted
    the chain (poppler reads NSS's last error code, not the verification result). The
    profile keeps J-LIS's responder in the certificate, so the check is made the way NSS
    allows: with J-LIS's signing CA trusted and the responder reachable."""
    from cryptography import x509

    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(signed["pdf"])
    (tmp_path / "jlis-sign.der").write_bytes(web.get("/jlis/ca/sign.der").content)
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "JPKI sign", "-t", "CT,C,C", "-i",
         str(tmp_path / "jlis-sign.der")],
        check=True,
    )  # fmt: skip

    # where the signer's certificate says J-LIS's OCSP responder is
    reader = PdfFileReader(io.BytesIO(signed["pdf"]))
    leaf = x509.load_der_x509_certificate(reader.embedded_regular_signatures[0].signer_cert.dump())
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    url = httpx.URL(str(aia[0].access_location.value))
    assert url.path == "/jlis/ocsp/sign"

    credential = http.post("/jlis/verifiers", json={"name": "pdfsig 検証"}).json()["credential"]
    handler = type(
        "Bridge",
        (_OcspBridge,),
        {"web": web, "bearer": {"Authorization": f"Bearer {credential}"}, "answered": []},
    )
    try:
        server = ThreadingHTTPServer((url.host, url.port or 80), handler)
    except OSError as exc:  # the address belongs to a running deployment
        pytest.skip(f"OCSP address {url.host}:{url.port} is in use: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = subprocess.run(
            ["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True
        ).stdout
    finally:
        server.shutdown()
        server.server_close()
    blocks = [b for b in out.split("Signature #") if "Signature Field Name: Borrower" in b
              or "Signature Field Name: Guarantor" in b]  # fmt: skip
    assert len(blocks) == 2, out
    for block in blocks:
        assert "Signature is Valid." in block, out
        assert "Certificate is Trusted." in block, out
    # pdfsig asked J-LIS about the signers, and J-LIS answered
    assert handler.answered and set(handler.answered) == {200}, handler.answered

    # without J-LIS's CA in the store the same file is not trusted
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{empty}", "--empty-password"], check=True)
    untrusted = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{empty}", "-no-ocsp", str(pdf)], capture_output=True, text=True
    ).stdout
    assert "Certificate is Trusted." not in untrusted


def test_pyhanko_validates_each_signature_as_trusted_from_the_embedded_revocation(
    web, signed
) -> None:
    reader = PdfFileReader(io.BytesIO(signed["pdf"]))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(list(dss.ocsps)) >= 2  # J-LIS's answers about both signers are in the file
    roots = _roots(web)
    embedded = dss.as_validation_context(
        {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"}
    )
    names = []
    for sig in reader.embedded_regular_signatures:
        status = validate_pdf_signature(sig, embedded)
        assert status.bottom_line, status.pretty_print_details()
        assert status.trusted and status.timestamp_validity is not None
        names.append(sig.field_name)
        # without the file's revocation information the same check cannot pass
        bare = ValidationContext(
            trust_roots=roots,
            allow_fetching=False,
            revocation_mode="hard-fail",
            ocsps=[],
            crls=[],
        )
        assert not validate_pdf_signature(sig, bare).bottom_line
    assert names == ["Borrower", "Guarantor"]
    assert reader.embedded_timestamp_signatures  # the document time-stamp


def test_the_provider_sees_the_signers_four_items(http, signed, borrower, guarantor) -> None:
    got = http.get(f"/trustplatform/api/providers/housing-loan/contracts/{signed['id']}")
    assert got.status_code == 200, got.text
    signers = {s["field"]: s for s in got.json()["signers"]}
    for field, person in (("Borrower", borrower), ("Guarantor", guarantor)):
        resident = person["resident"]
        items = signers[field]["items"]
        assert (
            items["name"].replace("\u3000", " ").split()
            == [
                resident["family_name"],
                resident["given_name"],
            ]
            or resident["family_name"] in items["name"]
        )
        assert items["birth_date"] == resident["birth_date"]
        assert items["address"] == resident["address"]
    # another provider's clerk does not see it
    other = http.get(f"/trustplatform/api/providers/realestate/contracts/{signed['id']}")
    assert other.status_code == 404


def test_the_platform_reports_a_contract_changed_after_signing(web, signed) -> None:
    intact = verify_contract(web, signed["pdf"])
    assert intact["ok"] and intact["document_timestamp_ok"]
    assert all(s["ok"] and s["revocation_embedded"] for s in intact["signatures"])
    # an incremental update that rewrites the page after the signatures
    writer = IncrementalPdfFileWriter(io.BytesIO(signed["pdf"]))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Loan: 99999999 yen) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    changed = verify_contract(web, out.getvalue())
    assert not changed["ok"]
    assert all(s["modified_after_signing"] for s in changed["signatures"])
    # a byte flipped inside the signed range
    raw = bytearray(signed["pdf"])
    at = raw.index(b"Housing loan agreement")
    raw[at] = ord("h")
    broken = verify_contract(web, bytes(raw))
    assert not broken["ok"] and not any(s["intact"] for s in broken["signatures"])


def test_a_wrong_password_signs_nothing(web, fed, http) -> None:
    person = issue(fed, http)
    with pytest.raises(PinIncorrect) as wrong:
        sign_contract(web, person["client"], contract_pdf(), password="WRONG99", field="X")
    assert wrong.value.tries_left == 4
    for _ in range(4):
        with pytest.raises((PinIncorrect, PinBlocked)):
            sign_contract(web, person["client"], contract_pdf(), password="WRONG99")
    with pytest.raises(PinBlocked):  # locked: the right password no longer opens the key
        sign_contract(web, person["client"], contract_pdf(), password=SIGN_PASSWORD)


def test_a_provider_not_behind_the_platform_is_refused(web, borrower) -> None:
    refused = web.post(
        "/trustplatform/api/providers/unknown-bank/contracts",
        content=contract_pdf(),
        headers={"content-type": "application/pdf"},
    )
    assert refused.status_code == 404 and refused.json()["title"] == "provider_not_served"
    garbage = web.post("/trustplatform/api/verify", content=b"%PDF-1.7 not really")
    assert garbage.status_code == 422


def test_status_check_after_a_move_and_a_loss(fed, http, web) -> None:
    mover = issue(fed, http)
    lost = issue(fed, http)
    contract_id, _ = sign_contract(
        web, mover["client"], contract_pdf(), password=SIGN_PASSWORD, field="Buyer"
    )
    _, _ = sign_contract(web, lost["client"], contract_pdf(), password=SIGN_PASSWORD, field="B")
    status = f"/trustplatform/api/providers/housing-loan/contracts/{contract_id}/status"
    assert http.get(status).json()[0]["status"] == "good"
    moved = http.post(
        f"/municipality/131016/api/residents/{mover['resident']['id']}/move",
        json={"to": "131041", "address": "東京都新宿区戸山3丁目4番5号"},
    )
    assert moved.status_code == 200, moved.text
    answer = http.get(status).json()[0]
    assert answer["status"] == "revoked" and answer["reason"] == "affiliationChanged"
    assert "転居" in answer["meaning"]
    # signing with the revoked certificate is refused at the platform
    refused = web.post(
        "/trustplatform/api/providers/housing-loan/contracts",
        content=_signed_only(mover),
        headers={"content-type": "application/pdf"},
    )
    assert refused.status_code == 401 and refused.json()["title"] == "certificate_revoked"
    suspended = http.post(
        f"/jlis/cards/{lost['summary']['manufacture_number']}/suspend",
        json={"reason": "keyCompromise"},
    )
    assert suspended.status_code == 200, suspended.text
    report = verify_contract(web, _signed_only(lost))
    assert report["signatures"][0]["current"]["reason"] == "keyCompromise"


def _signed_only(person: dict[str, Any]) -> bytes:
    from mynumber.reader.pades import sign_pdf

    return sign_pdf(person["client"], contract_pdf(), password=SIGN_PASSWORD, field_name="S")


def test_ekyc_keeps_the_record_the_law_asks_for(fed, http, web, borrower) -> None:
    data = "あおば証券 口座開設申込 (demo)".encode()
    cms = sign_detached(borrower["client"], data, password=SIGN_PASSWORD)
    import base64

    body = {"data": base64.b64encode(data).decode(), "signature": base64.b64encode(cms).decode()}
    checked = web.post("/trustplatform/api/providers/securities/ekyc", json=body)
    assert checked.status_code == 201, checked.text
    record = checked.json()
    assert record["items"]["birth_date"] == borrower["resident"]["birth_date"]
    assert int(record["keep_until"][:4]) >= int(record["checked_at"][:4]) + 7
    kept = http.get(f"/trustplatform/api/providers/securities/ekyc/{record['id']}")
    assert kept.status_code == 200 and kept.json()["serial"] == record["serial"]
    # a loan provider opens no accounts; a signature over other data is refused
    assert web.post("/trustplatform/api/providers/realestate/ekyc", json=body).status_code == 422
    forged = dict(body, data=base64.b64encode(b"other").decode())
    assert web.post("/trustplatform/api/providers/securities/ekyc", json=forged).status_code in (
        401,
        422,
    )


def _statement(person: dict[str, Any], **fields: str) -> dict[str, str]:
    import base64
    import json

    from cryptography import x509

    from mynumber.reader import KeyKind

    cert = x509.load_der_x509_certificate(person["client"].read_certificate(KeyKind.SIGN))
    data = json.dumps({**fields, "serial": f"{cert.serial_number:x}"}).encode()
    cms = sign_detached(person["client"], data, password=SIGN_PASSWORD)
    return {"data": base64.b64encode(data).decode(), "signature": base64.b64encode(cms).decode()}


def test_after_a_move_the_platform_learns_the_new_address_with_consent(fed, http, web) -> None:
    mover = issue(fed, http)
    shy = issue(fed, http)
    contract_id, _ = sign_contract(
        web,
        mover["client"],
        contract_pdf(),
        password=SIGN_PASSWORD,
        field="Buyer",
        provider="realestate",
    )
    shy_id, _ = sign_contract(
        web,
        shy["client"],
        contract_pdf(),
        password=SIGN_PASSWORD,
        field="Buyer",
        provider="realestate",
    )
    base = "/trustplatform/api/providers/realestate"
    signer = f"{base}/contracts/{contract_id}/signers/Buyer"
    assert http.get(f"{signer}/latest-items").json()["title"] == "consent_missing"
    given = web.post(f"{base}/consents", json=_statement(mover, consent="latest-basic-items"))
    assert given.status_code == 201, given.text
    assert (
        web.post(f"{base}/consents", json=_statement(shy, consent="something else")).status_code
        == 422
    )
    before = http.get(f"{signer}/latest-items").json()
    assert before["status"] == "active" and before["changed"] == []
    new_address = "東京都新宿区西新宿2丁目8番1号"
    moved = http.post(
        f"/municipality/131016/api/residents/{mover['resident']['id']}/move",
        json={"to": "131041", "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    status = http.get(f"{base}/contracts/{contract_id}/status").json()[0]
    assert status["status"] == "revoked" and status["reason"] == "affiliationChanged"
    after = http.get(f"{signer}/latest-items")
    assert after.status_code == 200, after.text
    assert after.json()["address"] == new_address and after.json()["changed"] == ["address"]
    # a new consent cannot be signed with the revoked certificate; a withdrawal can
    assert (
        web.post(
            f"{base}/consents", json=_statement(mover, consent="latest-basic-items")
        ).status_code
        == 401
    )
    withdrawn = web.post(
        f"{base}/consents/withdraw", json=_statement(mover, withdraw="latest-basic-items")
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"] == 1
    assert http.get(f"{signer}/latest-items").status_code == 403
    # shy never consented; the sign → auth serial link needs no consent (a verifier's right)
    shy_signer = f"{base}/contracts/{shy_id}/signers/Buyer"
    assert http.get(f"{shy_signer}/latest-items").json()["title"] == "consent_missing"
    assert http.get(f"{shy_signer}/auth-serial").json()["auth_serial"] in [
        c["serial"] for c in shy["summary"]["certificates"] if c["hierarchy"] == "auth"
    ]


def test_the_command_line_signs_and_verifies(fed, http, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from mynumber.card import CardFile
    from mynumber.cli import app

    person = issue(fed, http)
    card = tmp_path / "person.card"
    CardFile(card).save(person["image"].encode())
    source, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(contract_pdf())
    data = str(fed.settings.data_dir)
    # the command works on the federation's own databases (on PostgreSQL too)
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    if fed.settings.database_url is not None:
        monkeypatch.setenv("MYNUMBER_DATABASE_URL", fed.settings.database_url)
        monkeypatch.setenv("MYNUMBER_DATABASE_PREFIX", fed.settings.database_prefix)
    runner = CliRunner()
    signed = runner.invoke(
        app,
        ["contract", "sign", "--card", str(card), "--password", SIGN_PASSWORD,
         "--in", str(source), "--out", str(out), "--field", "Buyer", "--data", data],
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    assert "signed (Buyer)" in signed.output and out.read_bytes().startswith(b"%PDF")
    checked = runner.invoke(app, ["contract", "verify", str(out), "--data", data])
    assert checked.exit_code == 0, checked.output
    assert "Buyer: ok" in checked.output and "today: good" in checked.output
    raw = bytearray(out.read_bytes())
    raw[raw.index(b"Housing loan agreement")] = ord("h")
    out.write_bytes(bytes(raw))
    assert runner.invoke(app, ["contract", "verify", str(out), "--data", data]).exit_code == 1


def test_a_platform_whose_registration_j_lis_withdrew_gets_no_answer(fed, http, web) -> None:
    """J-LIS withdraws the operator's notice: its checks are refused, so are its contracts;
    registering again (a new notice) restores them."""
    from sqlalchemy import select

    from mynumber.orgs.jlis import store as jlis_store

    person = issue(fed, http)
    contract_id, _ = sign_contract(
        web, person["client"], contract_pdf(), password=SIGN_PASSWORD, field="Buyer"
    )
    v = jlis_store.verifiers.c
    with fed.jlis().engine.connect() as conn:
        ids = conn.scalars(
            select(v.id).where(v.name.like("trustplatform%"), v.active.is_(True))
        ).all()
    for verifier in ids:
        assert http.post(f"/jlis/verifiers/{verifier}/deactivate").status_code == 204
    status = f"/trustplatform/api/providers/housing-loan/contracts/{contract_id}/status"
    refused = http.get(status)
    assert refused.status_code == 401 and refused.json()["title"] == "verifier_unauthorized"
    assert (
        web.post(
            "/trustplatform/api/providers/housing-loan/contracts",
            content=_signed_only(person),
            headers={"content-type": "application/pdf"},
        ).status_code
        == 401
    )
    (fed.settings.data_dir / "trustplatform" / "jlis-verifier.credential").unlink()
    assert http.get(status).json()[0]["status"] == "good"
