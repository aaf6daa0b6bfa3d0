"""J-LIS's revocation endpoints over HTTP: OCSP (POST and GET) and CRLs for registered
verifiers only, CA certificates for anyone, verifiers registered by J-LIS's operator."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from mynumber.pki import Purpose, build_ocsp_request, encode_get_request
from mynumber.platform.http import ServiceClient
from mynumber.platform.signing import Identity, KeyFolder

DEMO_KEY = Path(__file__).resolve().parents[1] / "assets" / "demo-keys" / "demo-rsa2048-3.pem"


def jlis_as(fed, org: str) -> ServiceClient:
    keys = KeyFolder(fed.settings.data_dir / "keys")
    return ServiceClient(fed.directory, "jlis", Identity(org, keys.private_key(org)))


@pytest.fixture(scope="module")
def credential(http) -> str:
    added = http.post("/jlis/verifiers", json={"name": "テスト銀行 eKYC"}).json()
    assert added["credential"].startswith("jv_")
    return str(added["credential"])


@pytest.fixture(scope="module")
def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@pytest.fixture(scope="module")
def cas(http) -> dict[Purpose, x509.Certificate]:
    return {
        p: x509.load_der_x509_certificate(http.get(f"/jlis/ca/{p.value}.der").content)
        for p in Purpose
    }


def issue(http) -> dict[str, Any]:
    person = {
        "family_name": "検証",
        "given_name": "一郎",
        "family_name_kana": "ケンショウ",
        "given_name_kana": "イチロウ",
        "birth_date": "1980-02-03",
        "sex": "1",
        "address": f"東京都新宿区西新宿2丁目{secrets.randbelow(10**6)}番"
        f"{secrets.randbelow(10**6)}号",
    }
    resident = http.post("/municipality/131041/api/residents", json=person).json()
    answer = http.post(
        f"/municipality/131041/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["summary"])


@pytest.fixture(scope="module")
def card(fed, http) -> dict[str, Any]:
    """Serials of a fresh card, and certificates with those serials to ask about."""
    return issue(http)


def certificate_with(serial: str, cas, purpose: Purpose, fed) -> x509.Certificate:
    """A certificate of the hierarchy with this serial: OCSP asks by issuer hash and serial."""
    key = serialization.load_pem_private_key(DEMO_KEY.read_bytes(), None)
    ca = fed.jlis().authority.get().ca(purpose)
    return (
        ca.issue_auth(
            key.public_key(),
            birth_date=dt.date(1980, 2, 3),
            now=dt.datetime.now(dt.UTC),
            ocsp_url="http://127.0.0.1/ocsp",
            crl_url="http://127.0.0.1/crl",
            serial_number=int(serial, 16),
        )
        if purpose is Purpose.AUTH
        else ca.issue_sign(
            key.public_key(),
            items=_items(),
            now=dt.datetime.now(dt.UTC),
            ocsp_url="http://127.0.0.1/ocsp",
            crl_url="http://127.0.0.1/crl",
            serial_number=int(serial, 16),
        )
    )


def _items():
    from mynumber.pki import BasicItems, Gender

    return BasicItems(
        name="検証 一郎", gender=Gender.MALE, birth_date=dt.date(1980, 2, 3), address="x"
    )


def serial_of(card: dict[str, Any], hierarchy: str) -> str:
    return next(c["serial"] for c in card["certificates"] if c["hierarchy"] == hierarchy)


def post_ocsp(http, purpose: Purpose, request: bytes, headers: dict[str, str]) -> ocsp.OCSPResponse:
    response = http.post(
        f"/jlis/ocsp/{purpose.value}",
        content=request,
        headers={"Content-Type": "application/ocsp-request", **headers},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


@pytest.mark.parametrize("purpose", list(Purpose), ids=lambda p: p.value)
def test_ocsp_post_answers_good_with_the_nonce_echoed(
    fed, http, cas, card, bearer, purpose
) -> None:
    cert = certificate_with(serial_of(card, purpose.value), cas, purpose, fed)
    nonce = secrets.token_bytes(16)
    answer = post_ocsp(http, purpose, build_ocsp_request(cert, cas[purpose], nonce), bearer)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == cert.serial_number
    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert answer.next_update_utc is not None


def test_ocsp_get_answers_like_post(fed, http, cas, card, bearer) -> None:
    cert = certificate_with(serial_of(card, "auth"), cas, Purpose.AUTH, fed)
    path = encode_get_request(build_ocsp_request(cert, cas[Purpose.AUTH]))
    response = http.get(f"/jlis/ocsp/auth/{path}", headers=bearer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_ocsp_says_unknown_for_a_serial_jlis_never_issued(fed, http, cas, bearer) -> None:
    cert = certificate_with(f"{secrets.randbits(150):x}", cas, Purpose.AUTH, fed)
    answer = post_ocsp(http, Purpose.AUTH, build_ocsp_request(cert, cas[Purpose.AUTH]), bearer)
    assert answer.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_of_the_other_hierarchy_is_unauthorized(fed, http, cas, card, bearer) -> None:
    cert = certificate_with(serial_of(card, "auth"), cas, Purpose.AUTH, fed)
    answer = post_ocsp(http, Purpose.SIGN, build_ocsp_request(cert, cas[Purpose.AUTH]), bearer)
    assert answer.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer jv_not-a-registered-credential"}, {"Authorization": "Basic x"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_ocsp_and_crl_need_a_registered_verifier(fed, anonymous, cas, card, headers) -> None:
    cert = certificate_with(serial_of(card, "auth"), cas, Purpose.AUTH, fed)
    request = build_ocsp_request(cert, cas[Purpose.AUTH])
    for response in (
        anonymous.post("/jlis/ocsp/auth", content=request, headers=headers),
        anonymous.get(f"/jlis/ocsp/auth/{encode_get_request(request)}", headers=headers),
        anonymous.get("/jlis/crl/auth.crl", headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["title"] == "verifier_unauthorized"


def test_a_withdrawn_verifier_is_refused(http, anonymous) -> None:
    added = http.post("/jlis/verifiers", json={"name": "withdrawn"}).json()
    headers = {"Authorization": f"Bearer {added['credential']}"}
    assert anonymous.get("/jlis/crl/sign.crl", headers=headers).status_code == 200
    assert http.post(f"/jlis/verifiers/{added['id']}/deactivate").status_code == 204
    assert anonymous.get("/jlis/crl/sign.crl", headers=headers).status_code == 401


def test_only_jlis_staff_register_verifiers_not_a_signed_municipality(fed) -> None:
    from mynumber.errors import Unauthorized

    with pytest.raises(Unauthorized):
        jlis_as(fed, "municipality-131016").request("POST", "/verifiers", {"name": "x"})


def test_revocation_shows_in_ocsp_at_once_and_in_the_crl(fed, http, cas, bearer) -> None:
    card = issue(http)
    serial = serial_of(card, "sign")
    cert = certificate_with(serial, cas, Purpose.SIGN, fed)
    request = build_ocsp_request(cert, cas[Purpose.SIGN])  # no nonce: the cached kind
    assert post_ocsp(http, Purpose.SIGN, request, bearer).certificate_status.name == "GOOD"
    before = x509.load_der_x509_crl(http.get("/jlis/crl/sign.crl", headers=bearer).content)
    assert before.get_revoked_certificate_by_serial_number(int(serial, 16)) is None

    revoked = jlis_as(fed, "municipality-131041").request(
        "POST", f"/certificates/{serial}/revoke", {"reason": "affiliationChanged"}
    )
    assert revoked["serial"] == serial and revoked["reason"] == "affiliationChanged"

    answer = post_ocsp(http, Purpose.SIGN, request, bearer)
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason is x509.ReasonFlags.affiliation_changed

    response = http.get("/jlis/crl/sign.crl", headers=bearer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    assert "expires" in response.headers
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(cas[Purpose.SIGN].public_key())
    assert crl.next_update_utc is not None and crl.next_update_utc > crl.last_update_utc
    entry = crl.get_revoked_certificate_by_serial_number(int(serial, 16))
    assert entry is not None
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    old = before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > old
    auth_serial = int(serial_of(card, "auth"), 16)
    auth_crl = x509.load_der_x509_crl(http.get("/jlis/crl/auth.crl", headers=bearer).content)
    assert auth_crl.get_revoked_certificate_by_serial_number(auth_serial) is None


def test_revoking_an_unknown_serial_is_404_and_a_bad_reason_422(http) -> None:
    unknown = http.post("/jlis/certificates/abc123/revoke", json={"reason": "superseded"})
    assert unknown.status_code == 404
    bogus = http.post("/jlis/certificates/abc123/revoke", json={"reason": "bogus"})
    assert bogus.status_code == 422


@pytest.mark.parametrize("purpose", list(Purpose), ids=lambda p: p.value)
def test_ca_certificates_are_served_to_anyone_as_pem_and_der(anonymous, purpose) -> None:
    pem = anonymous.get(f"/jlis/ca/{purpose.value}.pem")
    der = anonymous.get(f"/jlis/ca/{purpose.value}.der")
    assert pem.status_code == der.status_code == 200
    assert der.headers["content-type"] == "application/pkix-cert"
    cert = x509.load_pem_x509_certificate(pem.content)
    assert cert == x509.load_der_x509_certificate(der.content)
    assert cert.subject == cert.issuer
    assert purpose.unit in cert.subject.rfc4514_string()
    assert anonymous.get("/jlis/ca/other.pem").status_code == 422
