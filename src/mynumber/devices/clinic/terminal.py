"""The clinic's 資格確認端末 as a client: drives the reader and asks the clinic's reception
routes (``/clinic/<code>/api/reception/…``) with a staff member's bearer token."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mynumber import errors
from mynumber.devices.clinic.reader import CardReader, PrintedFace, ReaderResult
from mynumber.platform.http import error_from_response


@dataclass(frozen=True, slots=True)
class Confirmed:
    reference: str
    xml: bytes


class Terminal:
    """One clinic's terminal: ``http`` carries the staff token, ``base`` is the clinic's URL."""

    def __init__(self, http: httpx.Client, base: str) -> None:
        self.http = http
        self.base = base.rstrip("/")

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.post(self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"the clinic did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response("clinic", response)
        return response

    def challenge(self) -> tuple[str, bytes]:
        answer = self._post("/api/reception/challenge").json()
        return str(answer["challenge_id"]), base64.b64decode(answer["nonce"])

    def send(
        self,
        result: ReaderResult,
        *,
        challenge_id: str | None = None,
        consent: Iterable[str] = (),
        file_id: str = "",
    ) -> Confirmed:
        body = {
            "mode": result.mode,
            "certificate": base64.b64encode(result.certificate).decode(),
            "challenge_id": challenge_id,
            "signature": None
            if result.signature is None
            else base64.b64encode(result.signature).decode(),
            "face_score": result.face_score,
            "consent": sorted(set(consent)),
            "file_id": file_id,
        }
        answer = self._post("/api/reception/confirm", json=body)
        return Confirmed(answer.headers.get("x-reference-number", ""), answer.content)

    def confirm(
        self,
        reader: CardReader,
        *,
        pin: str | None = None,
        face: tuple[PrintedFace, bytes] | None = None,
        visual: bool = False,
        consent: Iterable[str] = (),
        file_id: str = "",
    ) -> Confirmed:
        """One card at the reader, in exactly one mode; the system's answer."""
        if sum((pin is not None, face is not None, visual)) != 1:
            raise ValueError("exactly one of pin, face or visual")
        if pin is not None:
            challenge_id, nonce = self.challenge()
            result = reader.with_pin(nonce, pin)
            return self.send(result, challenge_id=challenge_id, consent=consent, file_id=file_id)
        if face is not None:
            return self.send(reader.with_face(*face), consent=consent, file_id=file_id)
        return self.send(reader.visual(), consent=consent, file_id=file_id)

    def register(
        self,
        reader: CardReader,
        *,
        pin: str | None = None,
        face: tuple[PrintedFace, bytes] | None = None,
    ) -> bool:
        """マイナ保険証の利用登録 at the reader, with the PIN or by face (a face-only card);
        whether an insurer has records."""
        if (pin is None) == (face is None):
            raise ValueError("exactly one of pin or face")
        if face is not None:
            result = reader.with_face(*face)
            body: dict[str, Any] = {
                "mode": "face",
                "certificate": base64.b64encode(result.certificate).decode(),
                "face_score": result.face_score,
            }
        else:
            assert pin is not None
            challenge_id, nonce = self.challenge()
            result = reader.with_pin(nonce, pin)
            body = {
                "mode": "pin",
                "certificate": base64.b64encode(result.certificate).decode(),
                "challenge_id": challenge_id,
                "signature": base64.b64encode(result.signature or b"").decode(),
            }
        return bool(self._post("/api/reception/register", json=body).json()["has_records"])

    def insurance(self, request_xml: bytes) -> bytes:
        """By the insurance-card data: one request XML, its answer."""
        return self._post(
            "/api/reception/insurance",
            content=request_xml,
            headers={"content-type": "application/xml"},
        ).content

    def reference(self, request_xml: bytes) -> bytes:
        """照会番号の登録: one request XML (``OQSsiimm01req``), its answer."""
        return self._post(
            "/api/reception/reference",
            content=request_xml,
            headers={"content-type": "application/xml"},
        ).content

    def batch(self, requests: Sequence[bytes]) -> list[bytes]:
        answer = self._post(
            "/api/reception/batch", json={"requests": [r.decode("utf-8") for r in requests]}
        ).json()
        return [a.encode("utf-8") for a in answer["answers"]]

    def drugs(self, reference: str) -> list[dict[str, Any]]:
        return list(self._post("/api/drugs", json={"reference_number": reference}).json()["drugs"])

    def claim(self, reference: str, drugs: Sequence[dict[str, Any]]) -> int:
        body = {"reference_number": reference, "drugs": list(drugs)}
        return int(self._post("/api/claims", json=body).json()["taken"])
