"""Putting the JPKI certificates on the phone (スマホ用電子証明書の発行), as the Mynaportal
app does with the card held to the phone (services-reference §3).

1. The phone's secure store makes two key pairs (:class:`PhoneCredential`).
2. iPhone only: the card's 入力補助 PIN opens its text AP and the card face is read for the
   liveness step (face video against the chip photo — simulated here: the step passes when
   the chip's photo was read; the My Number read on the way is used for nothing else and
   leaves the phone never).
3. The card signs :func:`mynumber.pki.mobile.enrolment_payload` with its signing key after
   the card's signing password; the phone sends the public keys, the card's signing
   certificate and the signature to J-LIS (``POST /jlis/phones``).
4. J-LIS's certificates go into the store with the phone's own new PIN and password.

The protocol is this project's choice (the real one is not public).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from mynumber import errors
from mynumber.devices.phone.credential import KINDS, PhoneCredential
from mynumber.pki.mobile import enrolment_payload
from mynumber.reader import JPKIClient, KeyKind

ENROL = "/jlis/phones"


@dataclass(frozen=True, slots=True)
class Enrolled:
    credential: PhoneCredential
    answer: dict[str, Any]


def _liveness(card: JPKIClient, assist_pin: str) -> bool:
    """The iPhone's step: 入力補助 PIN, then the chip's photo for the (simulated) face match."""
    my_number = card.read_my_number(assist_pin)
    face = card.read_card_face(my_number)
    return bool(face.photo)


def enrol(
    http: httpx.Client,
    card: JPKIClient,
    *,
    seal: bytes,
    kind: str,
    card_password: str,
    pin: str,
    password: str,
    assist_pin: str | None = None,
) -> Enrolled:
    """Make a phone credential from ``card``; raises the card's PIN errors or J-LIS's refusal.

    Nothing is written unless J-LIS issued the certificates; the caller saves the store.
    """
    if kind not in KINDS:
        raise errors.InvalidInput("kind must be android or iphone", field="kind")
    if kind == "iphone" and not assist_pin:
        raise errors.InvalidInput(
            "an iPhone needs the card's 入力補助 PIN (text AP PIN)", field="assist_pin"
        )
    credential = PhoneCredential.generate(kind, seal)
    # the phone's own PIN and password follow the card's rules: refuse bad ones before J-LIS
    credential.install(device_id="", certificates={}, pin=pin, password=password)
    liveness = _liveness(card, assist_pin) if kind == "iphone" and assist_pin else False
    auth_key, sign_key = credential.public_key(KeyKind.AUTH), credential.public_key(KeyKind.SIGN)
    signature = card.sign(
        KeyKind.SIGN, enrolment_payload(kind, auth_key, sign_key), pin=card_password
    )
    card_certificate = card.read_certificate(KeyKind.SIGN)
    response = http.post(
        ENROL,
        json={
            "kind": kind,
            "auth_public_key": base64.b64encode(auth_key).decode(),
            "sign_public_key": base64.b64encode(sign_key).decode(),
            "card_certificate": base64.b64encode(card_certificate).decode(),
            "card_signature": base64.b64encode(signature).decode(),
            "liveness_checked": liveness,
        },
    )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 201 or not isinstance(answer, dict):
        detail = answer.get("detail") if isinstance(answer, dict) else None
        code = answer.get("title") if isinstance(answer, dict) else None
        cls: type[errors.Error] = (
            errors.Forbidden if response.status_code in (401, 403) else errors.InvalidInput
        )
        if response.status_code == 409:
            cls = errors.Conflict
        raise cls(str(detail or f"J-LIS answered {response.status_code}"), code=code)
    certificates = {
        KeyKind(c["hierarchy"]): base64.b64decode(c["certificate"]) for c in answer["certificates"]
    }
    credential.install(
        device_id=str(answer["device_id"]), certificates=certificates, pin=pin, password=password
    )
    return Enrolled(credential, answer)
