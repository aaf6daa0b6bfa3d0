"""The issuer's (J-LIS's) secret per card, and the admin cryptogram that proves it.

Each chip holds an issuer key ``K = HMAC-SHA256(master key, manufacture number)``: J-LIS
keeps only the master key and derives ``K`` again for the card in front of it. An admin
session is ``GET CHALLENGE`` then ``EXTERNAL AUTHENTICATE`` with
``AES-256-CMAC(K, challenge)`` (NIST SP 800-38B). The derivation is this project's
choice: the real card's administrative keys are not public.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from mynumber.card.errors import ManufactureError
from mynumber.card.layout import validate_manufacture_number

__all__ = ["ISSUER_KEY_LENGTH", "admin_cryptogram", "derive_issuer_key"]

ISSUER_KEY_LENGTH = 32
_MIN_MASTER_LENGTH = 16


def derive_issuer_key(master_key: bytes, manufacture_number: str) -> bytes:
    """The 32-byte issuer key of one card: HMAC-SHA256(master key, manufacture number)."""
    if len(master_key) < _MIN_MASTER_LENGTH:
        raise ManufactureError("the issuer master key must be at least 16 bytes")
    validate_manufacture_number(manufacture_number)
    return hmac.new(master_key, manufacture_number.encode("ascii"), hashlib.sha256).digest()


def admin_cryptogram(issuer_key: bytes, challenge: bytes) -> bytes:
    """AES-256-CMAC of the card's challenge under the issuer key (16 bytes)."""
    if len(issuer_key) != ISSUER_KEY_LENGTH:
        raise ManufactureError("an issuer key is 32 bytes")
    mac = cmac.CMAC(algorithms.AES(issuer_key))
    mac.update(challenge)
    return mac.finalize()
