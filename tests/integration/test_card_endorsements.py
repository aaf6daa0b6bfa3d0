"""The card's 追記欄 after moves: each address change at the counter writes an entry on the
chip, sealed by J-LIS with the text AP; the fourth fills it, a fifth is refused, and a full
追記欄 opens 特急発行. Certificates never outlive the card (``openssl x509``)."""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from mynumber import errors, jst
from mynumber.card import AID_TEXT, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.platform.http import ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import (
    ENDORSEMENT_SLOTS,
    JPKIClient,
    KeyKind,
    PinRef,
    cardfiles,
    verify_text_signature,
)

AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
CHIYODA, SHINJUKU = "131016", "131041"


def register(http: httpx.Client, birth: str = "1975-06-15") -> dict[str, Any]:
    body = {
        "family_name": "転居",
        "given_name": "多恵",
        "family_name_kana": "テンキョ",
        "given_name_kana": "タエ",
        "birth_date": birth,
        "sex": "2",
        "address": f"東京都千代田区麹町1丁目{secrets.randbelow(10**6)}番",
    }
    made = http.post(f"/municipality/{CHIYODA}/api/residents", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def client_of(fed, image: str) -> JPKIClient:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(image.encode(), seal_key=seal)))


def move(http: httpx.Client, resident_id: str, code: str, to: str, address: str) -> str:
    """転出 from ``code`` to ``to``; the resident's id there."""
    moved = http.post(
        f"/municipality/{code}/api/residents/{resident_id}/move",
        json={"to": to, "address": address},
    )
    assert moved.status_code == 200, moved.text
    person = http.get(f"/municipality/{code}/api/residents/{resident_id}").json()
    there = http.post(
        f"/municipality/{to}/api/residents/search",
        json={"resident_code": person["resident_code"]},
    )
    assert there.status_code == 200, there.text
    return str(there.json()["id"])


def reissue(http: httpx.Client, code: str, resident_id: str, kind: str) -> httpx.Response:
    return http.post(
        f"/municipality/{code}/api/residents/{resident_id}/card/reissue",
        json={
            "auth_pin": AUTH_PIN,
            "sign_password": SIGN_PASSWORD,
            "kind": kind,
            "reason": "full_endorsement",
        },
    )


def test_moves_fill_the_endorsement_area_then_express_reissue_opens(fed, http) -> None:
    person = register(http)
    issued = http.post(
        f"/municipality/{CHIYODA}/api/residents/{person['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert issued.status_code == 201, issued.text
    image = issued.json()["card_image"]
    assert client_of(fed, image).read_endorsements(AUTH_PIN) == ()
    text_key = serialization.load_pem_public_key(http.get("/jlis/keys/text-ap.pem").content)

    same = http.post(
        f"/municipality/{CHIYODA}/api/residents/{person['id']}/card/address",
        json={"card_image": image},
    )
    assert same.status_code == 409 and same.json()["title"] == "no_address_change"

    code, resident_id = CHIYODA, person["id"]
    for n in range(1, ENDORSEMENT_SLOTS + 1):
        to = SHINJUKU if code == CHIYODA else CHIYODA
        address = (
            f"東京都{'新宿区' if to == SHINJUKU else '千代田区'}{n}丁目{secrets.randbelow(10**6)}番"
        )
        resident_id, code = move(http, resident_id, code, to, address), to
        if n == 2:  # not full yet: no 特急発行 for a full 追記欄
            early = reissue(http, code, resident_id, "express")
            assert early.status_code == 409 and early.json()["title"] == "endorsement_not_full"
        changed = http.post(
            f"/municipality/{code}/api/residents/{resident_id}/card/address",
            json={"card_image": image},
        )
        assert changed.status_code == 200, changed.text
        out = changed.json()
        image = out["card_image"]
        assert out["endorsements"] == n
        assert out["endorsement"]["text"] == address and out["endorsement"]["municipality"] == to
        assert out["endorsement_full"] is (n == ENDORSEMENT_SLOTS)
        record = verify_text_signature(client_of(fed, image).read_text_ap(AUTH_PIN), text_key)
        assert record.attributes.address == address
        assert [e.municipality for e in record.endorsements][-1] == to
        assert len(record.endorsements) == n

    # what a client reads through the APDU layer: READ BINARY by SFI 9 with extended Le
    client = client_of(fed, image)
    read_by_sfi = bytes.fromhex("00B08900000000")
    client.select_application(AID_TEXT)
    assert client._ch.exchange(read_by_sfi)[1] == 0x6982  # behind the text AP PIN
    client.verify_pin(PinRef.TEXT, AUTH_PIN)
    whole, sw = client._ch.exchange(read_by_sfi)
    assert sw == 0x9000 and cardfiles.decode_endorsements(whole) == record.endorsements

    last = f"東京都新宿区西新宿{secrets.randbelow(10**6)}番"
    to = SHINJUKU if code == CHIYODA else CHIYODA
    resident_id, code = move(http, resident_id, code, to, last), to
    full = http.post(
        f"/municipality/{code}/api/residents/{resident_id}/card/address",
        json={"card_image": image},
    )
    assert full.status_code == 409 and full.json()["title"] == "endorsement_full"

    express = reissue(http, code, resident_id, "express")
    assert express.status_code == 201, express.text
    assert express.json()["fee_yen"] == 2_000


def test_express_reissue_for_a_full_area_is_applied_for_within_30_days(fed, http) -> None:
    person = register(http, birth="1982-02-03")
    issued = http.post(
        f"/municipality/{CHIYODA}/api/residents/{person['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    image = issued.json()["card_image"]
    issuer = fed.jlis().cards
    code, resident_id = CHIYODA, person["id"]
    try:
        for n in range(1, ENDORSEMENT_SLOTS + 1):
            to = SHINJUKU if code == CHIYODA else CHIYODA
            address = f"東京都{n}番地{secrets.randbelow(10**6)}"
            resident_id, code = move(http, resident_id, code, to, address), to
            if n == ENDORSEMENT_SLOTS:  # the last slot was filled 31 days ago
                issuer.clock = lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
            changed = http.post(
                f"/municipality/{code}/api/residents/{resident_id}/card/address",
                json={"card_image": image},
            )
            assert changed.status_code == 200, changed.text
            image = changed.json()["card_image"]
    finally:
        issuer.clock = lambda: dt.datetime.now(dt.UTC)

    late = reissue(http, code, resident_id, "express")
    assert late.status_code == 409 and late.json()["title"] == "express_window_closed"
    normal = reissue(http, code, resident_id, "normal")
    assert normal.status_code == 201, normal.text
    assert normal.json()["fee_yen"] == 1_000


def test_certificates_end_with_a_card_that_ends_first(fed, http, tmp_path: Path) -> None:
    """A foreign resident whose stay ends in two years: the card ends then, and so do both
    certificates (their own term would be five years)."""
    keys = KeyFolder(fed.settings.data_dir / "keys")
    municipality = f"municipality-{CHIYODA}"
    jlis = ServiceClient(
        fed.directory, "jlis", Identity(municipality, keys.private_key(municipality))
    )
    stay_until = jst.today() + dt.timedelta(days=730)
    code = f"{secrets.randbelow(10**11):011d}"
    answer = jlis.request(
        "POST",
        "/cards",
        {
            "items": {
                "name": "在留\u3000一花",
                "address": "東京都千代田区2",
                "birth_date": "1991-05-20",
                "sex": "2",
            },
            "my_number": "123456789018",
            "stay_until": stay_until.isoformat(),
            "pins": {"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
            "resident_code": code,
        },
    )
    assert answer["summary"]["expires_on"] == stay_until.isoformat()
    client = client_of(fed, answer["card_image"])
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    expected = f"notAfter={stay_until:%b} {stay_until.day:2d} 14:59:59 {stay_until.year} GMT"
    for kind in (KeyKind.AUTH, KeyKind.SIGN):
        der = tmp_path / f"{kind.value}.der"
        der.write_bytes(client.read_certificate(kind))
        shown = subprocess.run(
            ["openssl", "x509", "-inform", "DER", "-in", der, "-noout", "-enddate"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stdout.strip() == expected, (kind, shown.stdout)
    # renewing cannot take them past the card: the card itself is renewed (a new card)
    with pytest.raises(errors.Conflict) as refused:
        jlis.request(
            "POST",
            "/cards/renew",
            {
                "card_image": answer["card_image"],
                "items": {
                    "name": "在留\u3000一花",
                    "address": "東京都千代田区2",
                    "birth_date": "1991-05-20",
                    "sex": "2",
                },
                "resident_code": code,
            },
        )
    assert refused.value.code == "card_expiring"


def test_a_generation_2_childs_card_caps_its_certificate_and_takes_an_entry(fed, http) -> None:
    """Generation 2 (this project's model): a 10-year-old's card runs five years (plus a
    month), so the certificate's own ten years are cut to the card's; an address change
    writes the 追記欄 of the 認証AP, read with the card PIN."""
    keys = KeyFolder(fed.settings.data_dir / "keys")
    municipality = f"municipality-{CHIYODA}"
    jlis = ServiceClient(
        fed.directory, "jlis", Identity(municipality, keys.private_key(municipality))
    )
    today = jst.today()
    birth = dt.date(today.year - 10, 3, 3)
    items = {
        "name": "次世代\u3000陽",
        "address": "東京都千代田区3",
        "birth_date": birth.isoformat(),
    }
    code = f"{secrets.randbelow(10**11):011d}"
    answer = jlis.request(
        "POST",
        "/cards",
        {
            "items": items | {"sex": "1"},
            "my_number": "123456789018",
            "pins": {"auth_pin": AUTH_PIN},
            "generation": 2,
            "resident_code": code,
        },
    )
    expires_on = dt.date.fromisoformat(answer["summary"]["expires_on"])
    (auth,) = answer["summary"]["certificates"]
    assert auth["hierarchy"] == "auth-g2"
    assert dt.datetime.fromisoformat(auth["not_after"]) == dt.datetime.combine(
        expires_on, dt.time(14, 59, 59), dt.UTC
    )
    assert expires_on.year - today.year <= 6  # not the certificate's own ten years

    moved = jlis.request(
        "POST",
        "/cards/address",
        {
            "card_image": answer["card_image"],
            "items": items | {"sex": "1", "address": "東京都新宿区4"},
            "resident_code": code,
            "my_number": "123456789018",
        },
    )
    assert moved["certificates"] == [] and moved["endorsements"] == 1
    client = client_of(fed, moved["card_image"])
    assert client.generation == 2
    (entry,) = client.read_endorsements(AUTH_PIN)
    assert entry.text == "東京都新宿区4"
    text_key = serialization.load_pem_public_key(http.get("/jlis/keys/text-ap.pem").content)
    verify_text_signature(client.read_text_ap(AUTH_PIN), text_key)
