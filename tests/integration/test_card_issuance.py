"""Card issuance through a municipality's API: the chip J-LIS personalises, the certificates
it issues, what it records (and does not), suspension. Real keys, real chips, real crypto;
runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from mynumber import jst
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.orgs.jlis import store as jlis_store
from mynumber.pki import Gender, Purpose, read_basic_items, verify_chain, verify_signature
from mynumber.platform.http import ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import (
    FileNotFound,
    JPKIClient,
    KeyKind,
    PinRef,
    SecurityStatusNotSatisfied,
    verify_text_signature,
)

AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
TEXT_PIN = "5678"


def register(http, make, code: str = "131016", **overrides: Any) -> dict[str, Any]:
    response = http.post(f"/municipality/{code}/api/residents", json=make(code, **overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def apply(http, resident_id: str, code: str = "131016", **pins: Any):
    body = {"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD, **pins}
    return http.post(f"/municipality/{code}/api/residents/{resident_id}/card", json=body)


def load_chip(fed, image: str) -> Chip:
    seal_key = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return Chip.from_image(image.encode(), seal_key=seal_key)


def ca_certificates(http) -> dict[Purpose, x509.Certificate]:
    return {
        p: x509.load_pem_x509_certificate(http.get(f"/jlis/ca/{p.value}.pem").content)
        for p in Purpose
    }


def jlis_as(fed, org: str) -> ServiceClient:
    """A client of J-LIS signing as ``org`` (a municipality)."""
    keys = KeyFolder(fed.settings.data_dir / "keys")
    return ServiceClient(fed.directory, "jlis", Identity(org, keys.private_key(org)))


def adult(code: str = "131016", **overrides: Any) -> dict[str, Any]:
    """A synthetic adult nobody registered yet (the address is unique)."""
    body = {
        "family_name": "試験",
        "given_name": "花子",
        "family_name_kana": "シケン",
        "given_name_kana": "ハナコ",
        "birth_date": "1985-06-15",
        "sex": "2",
        "address": f"東京都千代田区丸の内1丁目{secrets.randbelow(10**6)}番"
        f"{secrets.randbelow(10**6)}号",
    }
    return body | overrides


@pytest.fixture(scope="module")
def adult_card(fed, http) -> dict[str, Any]:
    """One adult's card, issued once for the module (two RSA key pairs on the chip)."""
    resident = register(http, adult)
    answer = apply(http, resident["id"], text_pin=TEXT_PIN)
    assert answer.status_code == 201, answer.text
    return {"resident": resident, **answer.json()}


def test_issued_card_image_loads_and_holds_both_certificates_chained_to_jlis(
    fed, http, adult_card
) -> None:
    chip = load_chip(fed, adult_card["card_image"])
    summary = adult_card["summary"]
    assert chip.manufacture_number == summary["manufacture_number"]
    assert chip.lifecycle == "operational"
    client = JPKIClient(ChipTransport(chip))
    assert client.read_manufacture_number() == summary["manufacture_number"]

    anchors = ca_certificates(http)
    auth = x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
    with pytest.raises(SecurityStatusNotSatisfied):  # EF 0001 is private (§13)
        client.read_certificate(KeyKind.SIGN)
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    sign = x509.load_der_x509_certificate(client.read_certificate(KeyKind.SIGN))
    now = dt.datetime.now(dt.UTC)
    assert verify_chain(auth, anchors.values(), now, purpose=Purpose.AUTH) == anchors[Purpose.AUTH]
    assert verify_chain(sign, anchors.values(), now, purpose=Purpose.SIGN) == anchors[Purpose.SIGN]
    for purpose, kind in ((Purpose.AUTH, KeyKind.AUTH), (Purpose.SIGN, KeyKind.SIGN)):
        on_card = x509.load_der_x509_certificate(client.read_ca_certificate(kind))
        assert on_card == anchors[purpose]
    serials = {c["hierarchy"]: c["serial"] for c in summary["certificates"]}
    assert serials == {"auth": f"{auth.serial_number:x}", "sign": f"{sign.serial_number:x}"}
    assert summary["signing_certificate_issued"] is True and summary["note"] is None
    base = fed.settings.base_url
    ocsp = auth.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert ocsp[0].access_location.value == f"{base}/jlis/ocsp/auth"
    crl_dp = sign.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == f"{base}/jlis/crl/sign.crl"


def test_signing_certificate_carries_the_four_items_and_the_auth_certificate_none(
    fed, adult_card
) -> None:
    resident = adult_card["resident"]
    client = JPKIClient(ChipTransport(load_chip(fed, adult_card["card_image"])))
    auth = x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    sign = x509.load_der_x509_certificate(client.read_certificate(KeyKind.SIGN))

    items = read_basic_items(sign)
    assert items.name == f"{resident['family_name']}\u3000{resident['given_name']}"
    assert items.address == resident["address"]
    assert items.birth_date == date.fromisoformat(resident["birth_date"])
    assert items.gender is Gender(int(resident["sex"]))

    with pytest.raises(x509.ExtensionNotFound):
        auth.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    der = auth.public_bytes(serialization.Encoding.DER)
    for value in (resident["family_name"], resident["address"]):
        assert value.encode() not in der
    assert {a.oid for a in auth.subject} == {x509.NameOID.COUNTRY_NAME, x509.NameOID.COMMON_NAME}


@pytest.mark.parametrize(
    ("kind", "pin"), [(KeyKind.AUTH, AUTH_PIN), (KeyKind.SIGN, SIGN_PASSWORD)], ids=["auth", "sign"]
)
def test_a_signature_with_each_card_key_verifies_with_its_certificate(
    fed, adult_card, kind: KeyKind, pin: str
) -> None:
    client = JPKIClient(ChipTransport(load_chip(fed, adult_card["card_image"])))
    data = f"challenge for the {kind.value} key".encode()
    signature = client.sign(kind, data, pin=pin)
    certificate = x509.load_der_x509_certificate(client.read_certificate(kind))
    assert isinstance(certificate.public_key(), rsa.RSAPublicKey)
    verify_signature(certificate, data, signature)


def test_text_ap_holds_the_number_and_four_items_sealed_by_jlis(
    fed, http, adult_card, number_of
) -> None:
    resident = adult_card["resident"]
    client = JPKIClient(ChipTransport(load_chip(fed, adult_card["card_image"])))
    key = serialization.load_pem_public_key(http.get("/jlis/keys/text-ap.pem").content)
    assert isinstance(key, rsa.RSAPublicKey)
    record = verify_text_signature(client.read_text_ap(TEXT_PIN), key)
    assert record.my_number == number_of("131016", resident["id"])
    assert record.attributes.name == f"{resident['family_name']}\u3000{resident['given_name']}"
    assert record.attributes.address == resident["address"]
    assert record.attributes.birth_date == resident["birth_date"].replace("-", "")
    assert record.attributes.sex == resident["sex"]
    # the 住基 PIN defaulted to the auth PIN; the visual AP opens with the My Number (PIN A)
    client.verify_pin(PinRef.JUKI, AUTH_PIN)
    face = client.read_card_face(record.my_number)
    assert face.expiry == adult_card["summary"]["expires_on"].replace("-", "")
    assert face.birth_date == record.attributes.birth_date


def test_card_expires_on_the_tenth_birthday_for_adults(adult_card) -> None:
    born = date.fromisoformat(adult_card["resident"]["birth_date"])
    expires = date.fromisoformat(adult_card["summary"]["expires_on"])
    today = jst.today()
    assert expires.month == born.month and expires.day == born.day
    assert 9 <= expires.year - today.year <= 10


def test_a_child_under_15_gets_a_card_without_signing_certificate(fed, http) -> None:
    born = jst.today() - timedelta(days=10 * 365)
    child = register(http, adult, birth_date=born.isoformat())
    answer = apply(http, child["id"], sign_password=None)
    assert answer.status_code == 201, answer.text
    summary = answer.json()["summary"]
    assert summary["signing_certificate_issued"] is False
    assert "under 15" in summary["note"]
    assert [c["hierarchy"] for c in summary["certificates"]] == ["auth"]
    expires = date.fromisoformat(summary["expires_on"])
    assert expires.year - jst.today().year in (4, 5)  # under 18: the 5th birthday

    client = JPKIClient(ChipTransport(load_chip(fed, answer.json()["card_image"])))
    x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
    with pytest.raises((FileNotFound, SecurityStatusNotSatisfied)):
        client.read_certificate(KeyKind.SIGN)
    with fed.jlis().engine.connect() as conn:
        rows = conn.execute(
            select(jlis_store.certificates.c.hierarchy).where(
                jlis_store.certificates.c.manufacture_number == summary["manufacture_number"]
            )
        ).scalars()
        assert list(rows) == ["auth"]


def test_an_adult_without_a_signing_password_is_refused_and_pins_are_not_echoed(http) -> None:
    resident = register(http, adult)
    missing = apply(http, resident["id"], sign_password=None)
    assert missing.status_code == 422 and "signing password" in missing.json()["detail"]
    bad = apply(http, resident["id"], auth_pin="12a4")
    assert bad.status_code == 422 and "12a4" not in bad.text
    bad = apply(http, resident["id"], sign_password="AB1")
    assert bad.status_code == 422 and "AB1" not in bad.text


@pytest.mark.parametrize("leaving", ["move", "death"])
def test_a_resident_who_moved_out_or_died_gets_409(http, leaving: str) -> None:
    resident = register(http, adult)
    if leaving == "move":
        left = http.post(
            f"/municipality/131016/api/residents/{resident['id']}/move",
            json={"to": "131041", "address": "東京都新宿区戸山3丁目4番5号"},
        )
    else:
        left = http.post(
            f"/municipality/131016/api/residents/{resident['id']}/death",
            json={"died_on": jst.today().isoformat()},
        )
    assert left.status_code == 200, left.text
    refused = apply(http, resident["id"])
    assert refused.status_code == 409 and refused.json()["title"] == "not_active"


def test_jlis_refuses_an_unsigned_card_request(http) -> None:
    response = http.post("/jlis/cards", json={})
    assert response.status_code in (401, 422)
    body = {
        "items": {"name": "x", "address": "y", "birth_date": "1990-01-01", "sex": "1"},
        "my_number": "123456789018",
        "pins": {"auth_pin": "1234", "sign_password": "ABC123"},
    }
    assert http.post("/jlis/cards", json=body).status_code == 401


def test_suspension_revokes_both_certificates_at_once(fed, http) -> None:
    resident = register(http, adult)
    summary = apply(http, resident["id"]).json()["summary"]
    mfg = summary["manufacture_number"]
    answer = jlis_as(fed, "municipality-131016").request("POST", f"/cards/{mfg}/suspend", {})
    assert answer["status"] == "suspended"
    assert {r["serial"] for r in answer["revoked"]} == {
        c["serial"] for c in summary["certificates"]
    }
    assert {r["reason"] for r in answer["revoked"]} == {"keyCompromise"}

    again = http.post(f"/jlis/cards/{mfg}/suspend", json={}).json()  # J-LIS's 24/7 desk
    assert again["revoked"] == answer["revoked"]  # nothing changes the second time
    from mynumber.orgs.jlis.revocation import status_of
    from mynumber.pki import Revoked
    from mynumber.platform.uow import UnitOfWork

    for cert in summary["certificates"]:
        status = status_of(
            UnitOfWork(fed.jlis().engine), Purpose(cert["hierarchy"]), int(cert["serial"], 16)
        )
        assert isinstance(status, Revoked)


def test_another_municipalitys_signature_or_an_unknown_card_is_handled(fed, http) -> None:
    from mynumber.errors import NotFound

    with pytest.raises(NotFound):
        jlis_as(fed, "municipality-131016").request("POST", "/cards/ZZZZZZZZZZZZZ/suspend", {})
    assert http.post("/jlis/cards/ZZZZZZZZZZZZZ/suspend", json={}).status_code == 404


def test_jlis_tables_hold_no_my_number_and_no_four_items(fed, http, adult_card, number_of) -> None:
    resident = adult_card["resident"]
    number = number_of("131016", resident["id"])
    assert number is not None
    secrets_of_the_person = [
        number,
        f"{number[:4]} {number[4:8]} {number[8:]}",
        resident["family_name"] + "\u3000" + resident["given_name"],
        resident["address"],
    ]
    seen = 0
    with fed.jlis().engine.connect() as conn:
        for table in jlis_store.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                seen += 1
                text = " ".join(str(v) for v in row)
                for value in secrets_of_the_person:
                    assert value not in text, f"{table.name} holds personal data"
    assert seen > 0


def certificate_statuses(fed, summary: dict[str, Any]) -> dict[str, str]:
    from mynumber.orgs.jlis.revocation import status_of
    from mynumber.platform.uow import UnitOfWork

    uow = UnitOfWork(fed.jlis().engine)
    return {
        c["hierarchy"]: type(status_of(uow, Purpose(c["hierarchy"]), int(c["serial"], 16))).__name__
        for c in summary["certificates"]
    }


def test_a_move_revokes_the_signing_certificate_and_keeps_the_card(fed, http) -> None:
    resident = register(http, adult)
    summary = apply(http, resident["id"]).json()["summary"]
    assert certificate_statuses(fed, summary) == {"auth": "Good", "sign": "Good"}

    moved = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/move",
        json={"to": "131041", "address": f"東京都新宿区戸山3丁目{secrets.randbelow(10**6)}番"},
    )

    assert moved.status_code == 200, moved.text
    # the address in the signing certificate is no longer true; logging in still works
    assert certificate_statuses(fed, summary) == {"auth": "Good", "sign": "Revoked"}


def test_a_death_ends_every_certificate_of_the_card(fed, http) -> None:
    resident = register(http, adult)
    summary = apply(http, resident["id"]).json()["summary"]

    died = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/death",
        json={"died_on": jst.today().isoformat()},
    )

    assert died.status_code == 200, died.text
    assert certificate_statuses(fed, summary) == {"auth": "Revoked", "sign": "Revoked"}
