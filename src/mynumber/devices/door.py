"""An employer's door reader and PC sign-in: the card as an employee ID without writing the
chip (the certificate-based way, ``services-reference.md`` §2).

The employer is a **registered verifier** of J-LIS (its operator registers it and hands it
a credential). Once, with the employee present, :meth:`Door.enrol` reads the card's
user-authentication certificate, has the card sign a fresh challenge with the PIN (proof
that the holder holds the card), checks the certificate chains to J-LIS's root and is
``good`` at J-LIS's OCSP, and records its **serial** against the employee. From then on
:meth:`Door.tap` (かざし, no PIN) reads the certificate, which the card gives without a
PIN, finds the enrolment and asks J-LIS's OCSP: a suspended, revoked or reissued card's
certificate is no longer ``good`` and the door stays shut. Every tap is logged (door,
time, employee, result; never the certificate's subject, never a My Number).

:meth:`Door.sign_in` (PC sign-in) is the same check with the PIN: the card signs a fresh
challenge with its authentication key.

The enrolments and the entry log are JSON files in the employer's data folder (this
project's choice: an employer's access-control system is its own).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from cryptography import x509

from mynumber import errors
from mynumber.pki import Purpose, generation_of, verify_chain, verify_signature
from mynumber.pki.errors import CertificateError
from mynumber.pki.verify import build_ocsp_request, check_ocsp_response
from mynumber.reader import JPKIClient, KeyKind, ReaderError
from mynumber.reader.transport import Transport

__all__ = ["Door", "Entry", "JlisStatus"]

_CHALLENGE = 32
_DOOR_ID = 64


class JlisStatus:
    """J-LIS as this employer (a registered verifier) sees it: the auth root and OCSP."""

    def __init__(self, http: httpx.Client, base: str, credential: str) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.credential = credential
        self._roots: list[x509.Certificate] = []

    def _call(self, method: str, path: str, **kwargs: object) -> bytes:
        try:
            response = self.http.request(method, self.base + "/jlis" + path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"jlis did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise errors.Unavailable(f"jlis answered {response.status_code}")
        return response.content

    def auth_roots(self) -> list[x509.Certificate]:
        """J-LIS's user-authentication roots of both card generations, fetched once."""
        if not self._roots:
            self._roots = [
                x509.load_der_x509_certificate(self._call("GET", f"/ca/{name}.der"))
                for name in ("auth", "auth-g2")
            ]
        return self._roots

    def check(self, certificate: x509.Certificate) -> None:
        """Raise :class:`CertificateError` unless the certificate chains to one of J-LIS's
        auth roots and the OCSP responder of that hierarchy says ``good`` now."""
        now = dt.datetime.now(dt.UTC)
        root = verify_chain(certificate, self.auth_roots(), now, purpose=Purpose.AUTH)
        hierarchy = "auth" if generation_of(root) == 1 else "auth-g2"
        nonce = secrets.token_bytes(16)
        answer = self._call(
            "POST",
            f"/ocsp/{hierarchy}",
            content=build_ocsp_request(certificate, root, nonce),
            headers={
                "content-type": "application/ocsp-request",
                "authorization": f"Bearer {self.credential}",
            },
        )
        check_ocsp_response(answer, certificate, root, now, nonce)


@dataclass(frozen=True, slots=True)
class Entry:
    """One tap: whether the door opened, and why not."""

    door: str
    at: str
    opened: bool
    employee: str | None
    reason: str


class Door:
    """The employer's access control: enrolments and the entry log under ``folder``."""

    def __init__(self, folder: Path, status: JlisStatus | None = None) -> None:
        self.folder = folder
        self._status = status
        self._lock = threading.Lock()

    @property
    def status(self) -> JlisStatus:
        if self._status is None:
            raise errors.Unavailable("this door has no connection to J-LIS")
        return self._status

    @property
    def _enrolments_path(self) -> Path:
        return self.folder / "enrolments.json"

    @property
    def log_path(self) -> Path:
        return self.folder / "entries.jsonl"

    def _enrolments(self) -> dict[str, dict[str, str]]:
        if not self._enrolments_path.exists():
            return {}
        data = json.loads(self._enrolments_path.read_text(encoding="utf-8"))
        return dict(data) if isinstance(data, dict) else {}

    def enrol(self, transport: Transport, pin: str, employee: str) -> str:
        """Enrol the card in front of the reader for ``employee``; returns the serial (hex)."""
        if not 1 <= len(employee) <= 64 or not employee.isprintable():
            raise errors.InvalidInput(
                "an employee id is 1-64 printable characters", field="employee"
            )
        client = JPKIClient(transport)
        certificate = x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
        challenge = secrets.token_bytes(_CHALLENGE)
        signature = client.sign(KeyKind.AUTH, challenge, pin=pin)
        verify_signature(certificate, challenge, signature)
        self.status.check(certificate)
        serial = f"{certificate.serial_number:X}"
        with self._lock:
            enrolments = self._enrolments()
            enrolments[serial] = {
                "employee": employee,
                "enrolled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                # a digest of the certificate, so a different one with the same serial fails
                "certificate_sha256": hashlib.sha256(certificate.tbs_certificate_bytes).hexdigest(),
            }
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self._enrolments_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(enrolments, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self._enrolments_path)
        return serial

    def sign_in(self, transport: Transport, pin: str) -> str:
        """PC sign-in: the card signs a fresh challenge with the PIN; the certificate must
        be enrolled and ``good`` at J-LIS. Returns the employee id, else raises
        :class:`mynumber.errors.Unauthorized` (a wrong PIN: the card's :class:`PinIncorrect`)."""
        client = JPKIClient(transport)
        certificate = x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH))
        enrolment = self._enrolments().get(f"{certificate.serial_number:X}")
        digest = hashlib.sha256(certificate.tbs_certificate_bytes).hexdigest()
        if enrolment is None or enrolment.get("certificate_sha256") != digest:
            raise errors.Unauthorized("this card is not enrolled", code="not_enrolled")
        challenge = secrets.token_bytes(_CHALLENGE)
        verify_signature(certificate, challenge, client.sign(KeyKind.AUTH, challenge, pin=pin))
        self.status.check(certificate)
        return enrolment["employee"]

    def leave(self, employee: str) -> int:
        """The employee leaves: drop their enrolments; returns how many."""
        with self._lock:
            enrolments = self._enrolments()
            kept = {s: e for s, e in enrolments.items() if e.get("employee") != employee}
            if len(kept) != len(enrolments):
                self._enrolments_path.write_text(json.dumps(kept, indent=1), encoding="utf-8")
            return len(enrolments) - len(kept)

    def tap(self, transport: Transport, door: str = "main") -> Entry:
        """かざし: no PIN. Opens only for an enrolled card whose certificate is ``good``."""
        if not 1 <= len(door) <= _DOOR_ID or not door.isprintable():
            raise errors.InvalidInput("a door id is 1-64 printable characters", field="door")
        employee: str | None = None
        try:
            der = JPKIClient(transport).read_certificate(KeyKind.AUTH)
            certificate = x509.load_der_x509_certificate(der)
            enrolment = self._enrolments().get(f"{certificate.serial_number:X}")
            digest = hashlib.sha256(certificate.tbs_certificate_bytes).hexdigest()
            if enrolment is None or enrolment.get("certificate_sha256") != digest:
                entry = self._entry(door, None, "card not enrolled")
            else:
                employee = enrolment["employee"]
                self.status.check(certificate)
                entry = self._entry(door, employee, "ok", opened=True)
        except CertificateError as exc:
            entry = self._entry(door, employee, f"certificate refused: {exc.code}")
        except (ReaderError, ValueError) as exc:
            entry = self._entry(door, employee, f"card unreadable: {type(exc).__name__}")
        self._log(entry)
        return entry

    @staticmethod
    def _entry(door: str, employee: str | None, reason: str, *, opened: bool = False) -> Entry:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return Entry(door=door, at=at, opened=opened, employee=employee, reason=reason)

    def _log(self, entry: Entry) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
