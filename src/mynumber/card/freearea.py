"""The free area (空き領域): two applications other issuers write into an issued card.

The real free area's layout, its AID and how another issuer is admitted are not public
(``domain-reference.md`` §2.1, ``services-reference.md`` §2 and §4): everything below is
**this project's choice**.

Layout of the free-area DF (``AID_FREE_AREA``):

========  ===========================================  =======================  ==========
EF        holds                                        read                     written by
========  ===========================================  =======================  ==========
``0001``  employee application: the employer's code     free (a door tap, no     employer
          and a 利用者識別用ID (TLV, never personal    PIN); SFI 1
          data)
``0010``  licence application: the licence data         after the licence PIN    police
          (canonical JSON, UTF-8)
``0011``  licence signature: the police certificate     after the licence PIN    police
          and an ECDSA signature over EF ``0010``
``0012``  licence PIN (4 digits, 3 tries; chosen by      never                    police
          the holder at the counter, as the plastic
          licence's 暗証番号)
========  ===========================================  =======================  ==========

Admission: each application has its own issuer-session key,
``HMAC-SHA256(card issuer key, "mynumber free area/" + application)``, which only J-LIS
can derive (it holds the issuer master key) and which it grants to an approved issuer of
that application for one card. With the free-area DF selected, GET CHALLENGE then
EXTERNAL AUTHENTICATE ``00 82 00 <application>`` with ``AES-256-CMAC(session key,
challenge)`` opens a **free-area session** for that application only: UPDATE BINARY and
RESET RETRY COUNTER then reach that application's EFs, in an operational card, and
nothing else (other EFs ``69 82``; selecting another application or a reset ends the
session). A reissued or renewed card is a new chip: the applications are gone and their
issuers write them again. The contents of each EF and the host side (sessions, the
licence's encoding and signature) are in :mod:`mynumber.reader.freearea`.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from enum import IntEnum

from mynumber.card.codes import AID_FREE_AREA
from mynumber.card.errors import ManufactureError
from mynumber.card.files import BinaryFile, DedicatedFile, PinFile, after
from mynumber.card.pins import PinPolicy

__all__ = [
    "EMPLOYEE_ID_EF",
    "LICENCE_DATA_EF",
    "LICENCE_PIN",
    "LICENCE_PIN_EF",
    "LICENCE_SIGNATURE_EF",
    "FreeApp",
    "build_free_area",
    "derive_free_area_key",
    "owner_of",
]

EMPLOYEE_ID_EF = 0x0001
LICENCE_DATA_EF = 0x0010
LICENCE_SIGNATURE_EF = 0x0011
LICENCE_PIN_EF = 0x0012

#: The licence application's PIN: 4 digits, 3 tries (this project's choice).
LICENCE_PIN = PinPolicy("licence PIN", string.digits, 4, 4, 3)

_EMPLOYEE_CAPACITY = 64
_ISSUER_KEY_LENGTH = 32  # mynumber.card.issuer.ISSUER_KEY_LENGTH (that module imports layout)
_LICENCE_CAPACITY = 0x7FFF  # room for the photo
_SIGNATURE_CAPACITY = 4096


class FreeApp(IntEnum):
    """The free-area applications; the value is P2 of EXTERNAL AUTHENTICATE."""

    EMPLOYEE = 0x01
    LICENCE = 0x02


_OWNERS = {
    EMPLOYEE_ID_EF: FreeApp.EMPLOYEE,
    LICENCE_DATA_EF: FreeApp.LICENCE,
    LICENCE_SIGNATURE_EF: FreeApp.LICENCE,
    LICENCE_PIN_EF: FreeApp.LICENCE,
}


def owner_of(fid: int) -> FreeApp | None:
    """Which free-area application an EF belongs to."""
    return _OWNERS.get(fid)


def build_free_area() -> DedicatedFile:
    """A fresh free-area DF: both applications' EFs, empty."""
    efs = (
        BinaryFile(
            EMPLOYEE_ID_EF,
            "employee application: employer code and 利用者識別用ID (no personal data)",
            writable=True,
            capacity=_EMPLOYEE_CAPACITY,
        ),
        BinaryFile(
            LICENCE_DATA_EF,
            "licence application: driver's licence data (police)",
            read=after(LICENCE_PIN_EF),
            writable=True,
            capacity=_LICENCE_CAPACITY,
        ),
        BinaryFile(
            LICENCE_SIGNATURE_EF,
            "licence application: police certificate and signature",
            read=after(LICENCE_PIN_EF),
            writable=True,
            capacity=_SIGNATURE_CAPACITY,
        ),
        PinFile(LICENCE_PIN_EF, "licence PIN", LICENCE_PIN),
    )
    return DedicatedFile("free", AID_FREE_AREA, "free area (空き領域)", {ef.fid: ef for ef in efs})


def derive_free_area_key(issuer_key: bytes, app: FreeApp) -> bytes:
    """The session key J-LIS grants for one application on one card (32 bytes)."""
    if len(issuer_key) != _ISSUER_KEY_LENGTH:
        raise ManufactureError("an issuer key is 32 bytes")
    label = b"mynumber free area/" + FreeApp(app).name.lower().encode("ascii")
    return hmac.new(issuer_key, label, hashlib.sha256).digest()
