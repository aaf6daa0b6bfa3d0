"""Host side of the chip's free area (:mod:`mynumber.card.freearea` has the layout):
an approved issuer's free-area session, the employee application's 利用者識別用ID, and the
driver's licence application (its number, encoding and the police signature).

Every format here is **this project's choice**: the real free-area applications and the
licence's on-chip encoding are not public (``services-reference.md`` §2, §4).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import string
from dataclasses import dataclass
from enum import IntEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import algorithms

from mynumber import licence as licence_rules
from mynumber.reader import codes
from mynumber.reader.client import _Channel, status_error
from mynumber.reader.errors import (
    CardDataError,
    CardStatusError,
    FileNotFound,
    InvalidPin,
    IssuerAuthenticationFailed,
    ReaderError,
)
from mynumber.reader.transport import Transport

__all__ = [
    "AID_FREE_AREA",
    "EMPLOYEE_ID_EF",
    "LICENCE_DATA_EF",
    "LICENCE_PIN_EF",
    "LICENCE_SIGNATURE_EF",
    "FreeApp",
    "FreeAreaSession",
    "Licence",
    "LicenceError",
    "decode_employee_id",
    "encode_employee_id",
    "licence_check_digit",
    "make_licence_number",
    "read_employee_id",
    "read_licence",
    "sign_licence",
    "validate_licence_number",
    "verify_licence",
]

AID_FREE_AREA = codes.AID_FREE_AREA
EMPLOYEE_ID_EF = 0x0001
LICENCE_DATA_EF = 0x0010
LICENCE_SIGNATURE_EF = 0x0011
LICENCE_PIN_EF = 0x0012

_CHALLENGE_LENGTH = 16
_WRITE_CHUNK = 240
_READ_CHUNK = 256
_MAX_FILE = 0x8000
_SW_OFFSET_PAST_END = 0x6B00
_SW_PIN_NOT_SET = 0x6984


class FreeApp(IntEnum):
    """The free-area applications; the value is P2 of EXTERNAL AUTHENTICATE."""

    EMPLOYEE = 0x01
    LICENCE = 0x02


class LicenceError(ReaderError):
    """The licence application is missing, malformed or fails verification."""

    code = "licence_invalid"


class FreeAreaSession:
    """One approved issuer's session on one application of the free area."""

    def __init__(self, channel: _Channel, app: FreeApp) -> None:
        self._ch = channel
        self.app = app

    @classmethod
    def open(cls, transport: Transport, app: FreeApp, session_key: bytes) -> FreeAreaSession:
        """SELECT the free area, GET CHALLENGE, EXTERNAL AUTHENTICATE ``00 82 00 <app>``
        with AES-256-CMAC(the session key J-LIS granted, challenge)."""
        if len(session_key) != 32:
            raise ValueError("a free-area session key is 32 bytes")
        ch = _Channel(transport)
        ch.command("SELECT AP", 0x00, 0xA4, 0x04, 0x0C, AID_FREE_AREA)
        challenge = ch.command("GET CHALLENGE", 0x00, 0x84, 0x00, 0x00, le=_CHALLENGE_LENGTH)
        mac = cmac.CMAC(algorithms.AES(session_key))
        mac.update(challenge)
        _, sw = ch.exchange(bytes((0x00, 0x82, 0x00, int(app), 16)) + mac.finalize())
        if sw != codes.SW_OK:
            raise IssuerAuthenticationFailed(
                "free-area session refused", status_word=sw, operation="EXTERNAL AUTHENTICATE"
            )
        return cls(ch, app)

    def write(self, fid: int, data: bytes) -> None:
        """Replace EF ``fid`` of this application with ``data`` (UPDATE BINARY in chunks)."""
        if not data:
            raise ValueError("nothing to write")
        self._ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
        for offset in range(0, len(data), _WRITE_CHUNK):
            chunk = data[offset : offset + _WRITE_CHUNK]
            self._ch.command("UPDATE BINARY", 0x00, 0xD6, offset >> 8, offset & 0xFF, chunk)

    def set_pin(self, fid: int, value: str) -> None:
        """RESET RETRY COUNTER on this application's PIN (the holder's choice)."""
        self._ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
        self._ch.command("RESET RETRY COUNTER", 0x00, 0x2C, 0x02, 0x80, _pin(value))

    def write_employee_id(self, employer: str, user_id: str) -> None:
        self.write(EMPLOYEE_ID_EF, encode_employee_id(employer, user_id))

    def write_licence(self, data: bytes, signature_ef: bytes, pin: str) -> None:
        """The police: licence data, their signature, and the holder's licence PIN."""
        self.write(LICENCE_DATA_EF, data)
        self.write(LICENCE_SIGNATURE_EF, signature_ef)
        self.set_pin(LICENCE_PIN_EF, pin)

    def __repr__(self) -> str:
        return f"FreeAreaSession({self.app.name.lower()}, <open>)"


def _pin(value: str) -> bytes:
    if len(value) != 4 or not value.isascii() or not value.isdigit():
        raise InvalidPin("the licence PIN is 4 digits")
    return value.encode("ascii")


def _read_whole(ch: _Channel, fid: int) -> bytes:
    """READ BINARY EF ``fid`` of the selected application to its end (``6B 00``)."""
    ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
    data = b""
    while len(data) < _MAX_FILE:
        offset = len(data)
        answer, sw = ch.exchange(bytes((0x00, 0xB0, offset >> 8, offset & 0xFF, 0x00)))
        if sw == _SW_OFFSET_PAST_END:
            break
        if sw != codes.SW_OK:
            raise status_error(sw, "READ BINARY")
        if not answer:
            break
        data += answer
        if len(answer) < _READ_CHUNK:
            break
    return data


def read_employee_id(transport: Transport) -> tuple[str, str]:
    """A door tap: ``(employer, 利用者識別用ID)`` from the free area, no PIN."""
    ch = _Channel(transport)
    ch.command("SELECT AP", 0x00, 0xA4, 0x04, 0x0C, AID_FREE_AREA)
    try:
        data = _read_whole(ch, EMPLOYEE_ID_EF)
    except ReaderError as exc:
        raise CardDataError("no employee application on this card") from exc
    return decode_employee_id(data)


def read_licence(transport: Transport, pin: str) -> tuple[bytes, bytes]:
    """VERIFY the licence PIN (a wrong one costs a try: :class:`PinIncorrect`), then read
    the licence data and the police signature. Verify them with :func:`verify_licence`."""
    encoded = _pin(pin)
    ch = _Channel(transport)
    ch.command("SELECT AP", 0x00, 0xA4, 0x04, 0x0C, AID_FREE_AREA)
    ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, LICENCE_PIN_EF.to_bytes(2, "big"))
    try:
        ch.command("VERIFY", 0x00, 0x20, 0x00, 0x80, encoded)
    except CardStatusError as exc:
        if exc.status_word == _SW_PIN_NOT_SET:  # the police never wrote a licence here
            raise LicenceError("this card has no licence application") from exc
        raise
    try:
        data = _read_whole(ch, LICENCE_DATA_EF)
        signature = _read_whole(ch, LICENCE_SIGNATURE_EF)
    except FileNotFound as exc:
        raise LicenceError("this card has no licence application") from exc
    if not data or not signature:
        raise LicenceError("this card has no licence application")
    return data, signature


# --- employee application ------------------------------------------------------------

_EMPLOYEE_TAG = 0xE1
_ID_ALPHABET = set(string.ascii_uppercase + string.digits + "-")


def encode_employee_id(employer: str, user_id: str) -> bytes:
    """EF 0001: ``E1 len`` + employer code ``:`` 利用者識別用ID (ASCII A–Z 0–9 -)."""
    for part in (employer, user_id):
        if not 1 <= len(part) <= 24 or not set(part) <= _ID_ALPHABET:
            raise CardDataError("an employer code and a user id are 1-24 of A-Z 0-9 -")
    value = f"{employer}:{user_id}".encode("ascii")
    return bytes((_EMPLOYEE_TAG, len(value))) + value


def decode_employee_id(data: bytes) -> tuple[str, str]:
    """``(employer, user id)`` from EF 0001; :class:`CardError` when it holds none."""
    if len(data) < 2 or data[0] != _EMPLOYEE_TAG or data[1] != len(data) - 2:
        raise CardDataError("no employee application on this card")
    employer, _, user_id = data[2:].decode("ascii", "replace").partition(":")
    if not employer or not user_id:
        raise CardDataError("no employee application on this card")
    return employer, user_id


# --- driver's licence -----------------------------------------------------------------


def licence_check_digit(first_ten: str) -> int:
    """The 11th digit of a licence number (:func:`mynumber.licence.check_digit`)."""
    try:
        return licence_rules.check_digit(first_ten)
    except ValueError as exc:
        raise LicenceError(str(exc)) from exc


def make_licence_number(commission: int, year: int, serial: int, reissues: int = 0) -> str:
    """12 digits (:func:`mynumber.licence.make_number`)."""
    try:
        return licence_rules.make_number(commission, year, serial, reissues)
    except ValueError as exc:
        raise LicenceError(str(exc)) from exc


def validate_licence_number(number: str) -> str:
    """``number`` if it is 12 digits with a right check digit, else :class:`LicenceError`."""
    if len(number) != 12 or not number.isdigit() or not number.isascii():
        raise LicenceError("a licence number is 12 digits")
    if not licence_rules.is_valid_number(number):
        raise LicenceError("the licence number's check digit is wrong")
    return number


@dataclass(frozen=True, slots=True)
class Licence:
    """What the police write into the licence application (synthetic data only)."""

    number: str
    name: str
    birth_date: dt.date
    address: str
    issued_on: dt.date
    valid_until: dt.date  # the licence's own validity, not the card's
    types: tuple[str, ...]  # 普通, 中型, 大型二輪, ...
    conditions: tuple[str, ...]  # 眼鏡等, AT限定, ...
    commission: str  # 東京都公安委員会
    photo: bytes = b""

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces), UTF-8: what the police sign."""
        validate_licence_number(self.number)
        return licence_rules.encode(
            {
                "number": self.number,
                "name": self.name,
                "birth_date": self.birth_date.isoformat(),
                "address": self.address,
                "issued_on": self.issued_on.isoformat(),
                "valid_until": self.valid_until.isoformat(),
                "types": list(self.types),
                "conditions": list(self.conditions),
                "commission": self.commission,
                "photo": base64.b64encode(self.photo).decode("ascii"),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Licence:
        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != licence_rules.FORMAT:
                raise ValueError("not a licence")
            licence = cls(
                number=validate_licence_number(str(doc["number"])),
                name=str(doc["name"]),
                birth_date=dt.date.fromisoformat(doc["birth_date"]),
                address=str(doc["address"]),
                issued_on=dt.date.fromisoformat(doc["issued_on"]),
                valid_until=dt.date.fromisoformat(doc["valid_until"]),
                types=tuple(str(t) for t in doc["types"]),
                conditions=tuple(str(c) for c in doc["conditions"]),
                commission=str(doc["commission"]),
                photo=base64.b64decode(doc["photo"], validate=True),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LicenceError("the licence application is malformed") from exc
        return licence

    def valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day <= self.valid_until


def sign_licence(
    data: bytes, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate
) -> bytes:
    """EF 0011 (:func:`mynumber.licence.signature_ef`)."""
    return licence_rules.signature_ef(data, key, certificate)


def verify_licence(data: bytes, signature_ef: bytes, police_root: x509.Certificate) -> Licence:
    """The licence in EF 0010, once EF 0011's signature verifies under a certificate that
    ``police_root`` issued (or is); :class:`LicenceError` otherwise."""
    if not data or not signature_ef:
        raise LicenceError("no licence application on this card")
    try:
        doc = json.loads(signature_ef.decode("ascii"))
        cert = x509.load_der_x509_certificate(base64.b64decode(doc["certificate"], validate=True))
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise LicenceError("the licence signature is malformed") from exc
    try:
        if cert != police_root:
            cert.verify_directly_issued_by(police_root)
        public = cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise LicenceError("the licence is not signed with an ECDSA key")
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise LicenceError("the licence application fails verification (tampered?)") from exc
    return Licence.from_bytes(data)
