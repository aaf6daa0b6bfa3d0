"""The free area on cards the federation issued. The card as an employee ID without writing
the chip: enrol the auth certificate once with the PIN, then a door opens on a tap without a
PIN; a suspended card, or an employee who left, stays outside (J-LIS's OCSP). The police
write a licence with the session key J-LIS's operator grants; the reader verifies it."""

from __future__ import annotations

import base64
import importlib.util
import json
import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.devices.door import Door, JlisStatus
from mynumber.pki import CertificateRevoked
from mynumber.reader import IssuerAuthenticationFailed, PinIncorrect
from mynumber.reader.freearea import (
    FreeApp,
    FreeAreaSession,
    read_licence,
    sign_licence,
    verify_licence,
)

AUTH_PIN = "1234"  # demo values


def _cardkit() -> ModuleType:
    """The card tests' kit (its DEMO police keys and licence), loaded by path."""
    name = "mynumber_test_cardkit"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "unit" / "card" / "cardkit.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


kit = _cardkit()
police, licence = kit.police, kit.demo_licence


def register(http) -> dict[str, Any]:
    body = {
        "family_name": "職員",
        "given_name": "花子",
        "family_name_kana": "ショクイン",
        "given_name_kana": "ハナコ",
        "birth_date": "1985-06-15",
        "sex": "2",
        "address": f"東京都千代田区丸の内1丁目{secrets.randbelow(10**6)}番",
    }
    response = http.post("/municipality/131016/api/residents", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def apply(http, resident_id: str) -> dict[str, Any]:
    body = {"auth_pin": AUTH_PIN, "sign_password": "ABC123"}
    response = http.post(f"/municipality/131016/api/residents/{resident_id}/card", json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def load_chip(fed, image: str) -> Chip:
    seal_key = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return Chip.from_image(image.encode(), seal_key=seal_key)


def test_after_enrolment_a_door_opens_without_a_pin_and_not_once_the_card_is_suspended(
    fed, http, tmp_path
) -> None:
    # J-LIS's operator registers the employer (a prefecture's office) as a verifier
    answer = http.post("/jlis/verifiers", json={"name": "DEMO 東京都庁 (職員証)"})
    assert answer.status_code == 201, answer.text
    door = Door(tmp_path / "employer", JlisStatus(http, "", answer.json()["credential"]))

    resident = register(http)
    issued = apply(http, resident["id"])
    chip = load_chip(fed, issued["card_image"])
    card = ChipTransport(chip)

    stranger = door.tap(card, "north-gate")
    assert not stranger.opened and stranger.reason == "card not enrolled"

    door.enrol(card, AUTH_PIN, "E-000123")
    chip.reset()  # the card leaves the enrolment reader: no PIN is verified any more
    entry = door.tap(card, "north-gate")
    assert entry.opened and entry.employee == "E-000123"
    assert door.sign_in(card, AUTH_PIN) == "E-000123"  # PC sign-in: certificate and PIN
    with pytest.raises(PinIncorrect):
        door.sign_in(card, "9999")

    mfg = issued["summary"]["manufacture_number"]
    assert http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    chip.reset()
    refused = door.tap(card, "north-gate")
    assert not refused.opened and refused.employee == "E-000123"
    assert refused.reason.startswith("certificate refused")
    with pytest.raises(CertificateRevoked):
        door.sign_in(card, AUTH_PIN)

    log = [json.loads(line) for line in door.log_path.read_text("utf-8").splitlines()]
    assert [e["opened"] for e in log] == [False, True, False]
    assert all("serial" not in e and "subject" not in e for e in log)


def test_an_employee_who_left_is_refused(fed, http, tmp_path) -> None:
    answer = http.post("/jlis/verifiers", json={"name": "DEMO 株式会社デモ (社員証)"})
    door = Door(tmp_path / "company", JlisStatus(http, "", answer.json()["credential"]))
    resident = register(http)
    chip = load_chip(fed, apply(http, resident["id"])["card_image"])
    door.enrol(ChipTransport(chip), AUTH_PIN, "C-42")
    assert door.tap(ChipTransport(chip)).opened
    assert door.leave("C-42") == 1
    assert not door.tap(ChipTransport(chip)).opened


def test_the_police_write_a_licence_onto_an_issued_card_with_a_jlis_grant(
    fed, http, anonymous, as_staff
) -> None:
    resident = register(http)
    issued = apply(http, resident["id"])
    mfg = issued["summary"]["manufacture_number"]
    chip = load_chip(fed, issued["card_image"])
    path = f"/jlis/cards/{mfg}/free-area/licence"
    body = {"issuer": "DEMO 東京都公安委員会"}

    assert anonymous.post(path, json=body).status_code == 401
    desk = as_staff("jlis", ["desk"])
    assert anonymous.post(path, json=body, headers=desk).status_code == 403
    unapproved = http.post(path, json=body)  # no standing approval for the commission yet
    assert unapproved.status_code == 403 and unapproved.json()["title"] == "not_approved"
    approval = {"issuer": body["issuer"], "application": "licence"}
    assert http.post("/jlis/free-area/approvals", json=approval).status_code == 201
    granted = http.post(path, json=body)
    assert granted.status_code == 200, granted.text
    key = base64.b64decode(granted.json()["session_key"])
    # the licence key opens the licence application only, not the employee one
    with pytest.raises(IssuerAuthenticationFailed):
        FreeAreaSession.open(ChipTransport(chip), FreeApp.EMPLOYEE, key)
    chip.reset()

    root, signer_key, signer = police()
    data = licence().to_bytes()
    session = FreeAreaSession.open(ChipTransport(chip), FreeApp.LICENCE, key)
    session.write_licence(data, sign_licence(data, signer_key, signer), "4321")
    chip.reset()
    shown = verify_licence(*read_licence(ChipTransport(chip), "4321"), root)
    assert shown == licence()

    assert http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    refused = http.post(path, json=body)
    assert refused.status_code == 409 and refused.json()["title"] == "card_not_active"
    assert http.post(f"/jlis/cards/{mfg}/free-area/other", json=body).status_code == 422
