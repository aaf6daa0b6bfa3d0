"""The platform operator's use cases on its own database: a card-signed contract completed
(J-LIS's OCSP answer and the platform's time-stamp embedded) and kept for its provider; a
犯収法 identity check by signature kept as its record; a consent to the latest four items
given, used and withdrawn; a revoked certificate refused before anything is kept.

J-LIS is a small in-process signing CA with its OCSP responder (real keys); the holder's
signing key is a software token signing as the card does (pyHanko, the project's own
``reader`` signing code). No federation is built."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from reportlab.pdfgen import canvas
from servicekit import Authority, Clock
from sqlalchemy import Table, func, select

from mynumber import errors
from mynumber.orgs.trustplatform import model, pades, store
from mynumber.orgs.trustplatform.services import Platform
from mynumber.orgs.trustplatform.tsa import TimeStampAuthority
from mynumber.pki import (
    GOOD,
    BasicItems,
    CertificateRevoked,
    Gender,
    Purpose,
    Revoked,
    build_ocsp_request,
    check_ocsp_response,
)
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import KeyKind, PinRef
from mynumber.reader.cms import sign_detached
from mynumber.reader.pades import sign_pdf

PASSWORD = "SIGN1234"  # demo value
HANAKO = BasicItems(
    name="山田　花子",
    gender=Gender.FEMALE,
    birth_date=dt.date(1985, 4, 1),
    address="東京都千代田区千代田１番１号",
)


class Jlis(Authority):
    """J-LIS as the platform asks it (``clients.JlisClient``): the signing CA and its OCSP
    responder, the latest four items (with the consent it is shown), the serial link."""

    def __init__(self, keys: list[rsa.RSAPrivateKey], clock: Clock) -> None:
        super().__init__(Purpose.SIGN, keys, clock)
        self.consents: list[tuple[str, bytes]] = []

    def issue(self, key: rsa.RSAPrivateKey, items: BasicItems) -> x509.Certificate:
        cert = self.ca.issue_sign(
            key.public_key(),
            items=items,
            now=self.clock(),
            ocsp_url="http://127.0.0.1:8001/ocsp/sign",
            crl_url="http://127.0.0.1:8001/crl/sign.crl",
        )
        self.statuses[cert.serial_number] = GOOD
        return cert

    def revoke(self, cert: x509.Certificate) -> None:
        self.statuses[cert.serial_number] = Revoked(
            self.clock(), x509.ReasonFlags.affiliation_changed
        )

    def sign_roots(self) -> list[x509.Certificate]:
        return [self.ca.certificate]

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes:
        assert hierarchy == "sign"
        return self.responder.respond(request_der, now=self.clock())

    def check_status(
        self, certificate: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
    ) -> Any:
        nonce = b"n" * 16
        answer = self.ocsp(build_ocsp_request(certificate, issuer, nonce), "sign")
        return check_ocsp_response(answer, certificate, issuer, at, nonce)

    def latest_items(self, sign_serial: str, data: bytes, cms: bytes) -> dict[str, Any]:
        self.consents.append((sign_serial, data))
        return {
            "name": HANAKO.name,
            "gender": int(HANAKO.gender),
            "birth_date": HANAKO.birth_date.isoformat(),
            "address": "東京都新宿区西新宿二丁目８番１号",  # she moved
        }

    def auth_serial(self, sign_serial: str) -> dict[str, str]:
        return {"serial": "a" + sign_serial}


class Token:
    """A signing key held as the phone's credential holds it: it signs the bytes pyHanko
    hands it, the password given each time."""

    def __init__(self, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
        self.key, self.cert = key, cert

    def verify_pin(self, pin: PinRef, value: str) -> None:
        assert (pin, value) == (PinRef.JPKI_SIGN, PASSWORD)

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes:
        assert kind is KeyKind.SIGN and pin == PASSWORD
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def read_certificate(self, kind: KeyKind) -> bytes:
        return self.cert.public_bytes(Encoding.DER)


@pytest.fixture
def jlis(rsa_keys, clock) -> Jlis:
    return Jlis(rsa_keys, clock)


@pytest.fixture
def hanako(jlis, rsa_keys) -> Token:
    return Token(rsa_keys[2], jlis.issue(rsa_keys[2], HANAKO))


@pytest.fixture(scope="module")
def tsa(tmp_path_factory) -> TimeStampAuthority:
    return TimeStampAuthority.load_or_create(Path(tmp_path_factory.mktemp("tsa")))


@pytest.fixture
def platform(jlis, tsa) -> Platform:
    return Platform(jlis=jlis, tsa=tsa)  # type: ignore[arg-type]


@pytest.fixture
def work(database) -> UnitOfWork:
    return UnitOfWork(database(model.ORG, "mynumber.orgs.trustplatform.migrations"))


def rows(work: UnitOfWork, table: Table) -> int:
    with work as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def contract_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 770, "住宅ローン契約 (service test)")
    page.save()
    return out.getvalue()


def statement(token: Token, **fields: str) -> tuple[bytes, bytes]:
    data = json.dumps({**fields, "serial": f"{token.cert.serial_number:x}"}).encode()
    return data, sign_detached(token, data, password=PASSWORD)


# --- contracts ------------------------------------------------------------------------------


def test_a_signed_contract_is_completed_kept_for_its_provider_and_its_signer_checked(
    platform, work, hanako, jlis, tsa
) -> None:
    # the holder's device stamps its signature at the platform's TSA, as the CLI does
    signed = sign_pdf(
        hanako, contract_pdf(), password=PASSWORD, field_name="A", timestamper=tsa.stamper()
    )

    done = platform.complete(work, "housing-loan", " 住宅ローン契約 ", signed)

    report = pades.validate(done["pdf"], roots=platform.roots())
    assert report.ok and report.document_timestamp_ok
    (signature,) = report.signatures
    assert signature.revocation_embedded and signature.timestamped
    kept = platform.contract(work, "housing-loan", done["id"])
    assert (kept["title"], kept["pdf"]) == ("住宅ローン契約", done["pdf"])
    (signer,) = kept["signers"]
    assert signer["field"] == "A" and signer["items"]["address"] == HANAKO.address
    assert signer["serial"] == f"{hanako.cert.serial_number:x}"
    with pytest.raises(errors.NotFound):  # kept for its own provider only
        platform.contract(work, "realestate", done["id"])

    jlis.revoke(hanako.cert)
    (status,) = platform.contract_status(work, "housing-loan", done["id"])
    assert (status["field"], status["status"]) == ("A", "revoked")
    assert status["reason"] == "affiliationChanged" and status["meaning"]
    assert platform.auth_serial(work, "housing-loan", done["id"], "A") == {
        "serial": "a" + signer["serial"]
    }


def test_a_contract_is_refused_with_a_bad_title_before_anything_is_kept(
    platform, work, hanako
) -> None:
    signed = sign_pdf(hanako, contract_pdf(), password=PASSWORD, field_name="A")
    with pytest.raises(errors.InvalidInput):
        platform.complete(work, "housing-loan", "\x07", signed)
    with pytest.raises(errors.NotFound):
        platform.complete(work, "no-such-provider", "契約書", signed)
    assert rows(work, store.contracts) == rows(work, store.signers) == 0


# --- eKYC -----------------------------------------------------------------------------------


def test_an_identity_check_by_signature_is_kept_as_its_record(platform, work, hanako) -> None:
    data, cms = statement(hanako, purpose="口座開設")

    record = platform.ekyc(work, "securities", data, cms)

    assert record["items"]["name"] == HANAKO.name
    assert record["keep_until"] == (record["checked_at"] + model.EKYC_KEEP).date()
    kept = platform.ekyc_record(work, "securities", record["id"])
    assert (kept["serial"], kept["items"]) == (record["serial"], record["items"])
    with pytest.raises(errors.NotFound):
        platform.ekyc_record(work, "housing-loan", record["id"])
    with pytest.raises(errors.InvalidInput):  # a provider that opens no accounts
        platform.ekyc(work, "housing-loan", data, cms)


def test_a_revoked_certificate_is_refused_and_nothing_is_kept(platform, work, hanako, jlis) -> None:
    data, cms = statement(hanako, purpose="口座開設")
    consent, consent_cms = statement(hanako, consent=model.CONSENT)
    jlis.revoke(hanako.cert)

    with pytest.raises(CertificateRevoked):
        platform.ekyc(work, "securities", data, cms)
    with pytest.raises(CertificateRevoked):
        platform.give_consent(work, "housing-loan", consent, consent_cms)
    assert rows(work, store.ekyc_records) == rows(work, store.consents) == 0


# --- the latest four items ------------------------------------------------------------------


def test_a_consent_lets_the_provider_see_the_latest_items_until_it_is_withdrawn(
    platform, work, hanako, jlis
) -> None:
    signed = sign_pdf(hanako, contract_pdf(), password=PASSWORD, field_name="A")
    contract = platform.complete(work, "housing-loan", "契約書", signed)["id"]
    with pytest.raises(errors.Forbidden):
        platform.latest_items(work, "housing-loan", contract, "A")

    data, cms = statement(hanako, consent=model.CONSENT)
    given = platform.give_consent(work, "housing-loan", data, cms)
    assert given["serial"] == f"{hanako.cert.serial_number:x}"

    latest = platform.latest_items(work, "housing-loan", contract, "A")
    assert latest["changed"] == ["address"]
    assert jlis.consents == [(given["serial"], data)]

    jlis.revoke(hanako.cert)  # a move revokes the certificate: the withdrawal still counts
    withdraw, withdraw_cms = statement(hanako, withdraw=model.CONSENT)
    assert platform.withdraw_consent(work, "housing-loan", withdraw, withdraw_cms) == 1
    assert platform.withdraw_consent(work, "housing-loan", withdraw, withdraw_cms) == 0
    with pytest.raises(errors.Forbidden):
        platform.latest_items(work, "housing-loan", contract, "A")
