"""The driver's licence's own rules, shared by the police (who keep and sign licences) and
the card's free area (where the licence is written and read): the 12-digit licence number
and the signed, canonical encoding the licence application holds.

Pure: no web, database or card code. The number's layout is the real one (公安委員会 code 2,
year of first licence 2, serial 6, check digit 1, reissue count 1); the check-digit rule,
the encoding and the signature format are **this project's choice** (not public;
``services-reference.md`` §2).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = [
    "FORMAT",
    "check_digit",
    "encode",
    "is_valid_number",
    "make_number",
    "signature_ef",
]

#: The licence application's format name (inside the signed data).
FORMAT = "mynumber-licence/1"
_WEIGHTS = (2, 3, 4, 5, 6, 7, 2, 3, 4, 5)


def check_digit(first_ten: str) -> int:
    """The 11th digit: 11 − (Σ digit × weight mod 11), weights 2–7 repeating from the
    right, 10 and 11 giving 0 (this project's choice). :class:`ValueError` unless 10 digits."""
    if len(first_ten) != 10 or not first_ten.isascii() or not first_ten.isdigit():
        raise ValueError("a licence number starts with 10 digits")
    total = sum(int(d) * w for d, w in zip(reversed(first_ten), _WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return 0 if remainder >= 10 else remainder


def make_number(commission: int, year: int, serial: int, reissues: int = 0) -> str:
    """12 digits: 公安委員会 code (2), year of first licence (2, the Western year's last two
    digits), serial (6), check digit (1), reissue count (1)."""
    if not (0 <= commission <= 99 and 0 <= serial <= 999_999 and 0 <= reissues <= 9):
        raise ValueError("commission 00-99, serial up to 6 digits, reissues 0-9")
    head = f"{commission:02d}{year % 100:02d}{serial:06d}"
    return f"{head}{check_digit(head)}{reissues}"


def is_valid_number(number: str) -> bool:
    """12 ASCII digits with the right check digit."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:10]) == int(number[10])


def encode(fields: Mapping[str, Any]) -> bytes:
    """The licence data as signed and written: canonical JSON (sorted keys, no spaces,
    UTF-8) of ``fields`` with :data:`FORMAT`; ``photo`` is base64 of the photo's bytes."""
    doc = {"format": FORMAT, **fields}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature_ef(
    data: bytes, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate
) -> bytes:
    """The signature EF: JSON ``{"certificate": b64 DER, "signature": b64 DER
    ECDSA-SHA256 over data}``."""
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    doc = {
        "certificate": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")
