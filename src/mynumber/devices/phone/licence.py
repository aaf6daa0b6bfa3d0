"""The online renewal course (オンライン更新時講習) on the phone: the licence photo read from
the card (after the licence PIN, verified under the police root), compared with the
camera's image by the clinic reader's matcher (:func:`mynumber.devices.clinic.face_score`),
the start signed with the card's signing key and sent to the police with the score, the
chapters watched, the renewal recorded by the police.

The camera is simulated (this project's choice): ``holder`` shows the person whose photo is
on the licence (the photo itself, as the camera would see them), ``other`` someone else
(bytes of another image)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from mynumber import errors
from mynumber.devices.clinic import face_score
from mynumber.reader import JPKIClient
from mynumber.reader.cms import sign_detached
from mynumber.reader.freearea import read_licence, validate_licence_number, verify_licence
from mynumber.reader.transport import Transport

#: what the simulated camera sees when it is someone else
OTHER_FACE = bytes((i * 37 + 11) % 256 for i in range(4096))


@dataclass(frozen=True, slots=True)
class Renewed:
    number: str
    face_score: float
    chapters: list[str]
    valid_until: str


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            detail = response.json()
            message = str(detail.get("detail") or detail.get("title"))
        except ValueError:
            message = response.text[:200]
        raise errors.Forbidden(message, code="police_refused")
    return dict(response.json())


def take_course(
    transport: Transport,
    *,
    number: str,
    licence_pin: str,
    password: str,
    camera: str,
    police_root: Path,
    police_url: str,
    http: httpx.Client,
) -> Renewed:
    """The whole course for the card on ``transport`` (see the module's note)."""
    validate_licence_number(number)
    try:
        root = x509.load_pem_x509_certificate(police_root.read_bytes())
    except (OSError, ValueError) as exc:
        raise errors.Unavailable("the police root is not available here") from exc
    licence = verify_licence(*read_licence(transport, licence_pin), root)
    if licence.number != number:
        raise errors.InvalidInput("the card holds another licence number", field="number")
    seen = licence.photo if camera == "holder" else OTHER_FACE
    score = face_score(licence.photo, seen)
    document = {
        "kind": "online_course",
        "number": number,
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "face_score": score,
    }
    data = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    cms = sign_detached(JPKIClient(transport), data, password=password)
    body = {"data": base64.b64encode(data).decode(), "cms": base64.b64encode(cms).decode()}
    started = _answer(http.post(police_url + "/api/online-course", json=body))
    chapters = [str(c) for c in started["chapters"]]
    renewed = _answer(
        http.post(
            f"{police_url}/api/online-course/{started['course_id']}/complete",
            json={"watched": chapters},
        )
    )
    return Renewed(number, score, chapters, str(renewed["valid_until"]))
