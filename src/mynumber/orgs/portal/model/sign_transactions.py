"""The rules of sign transactions (the デジタル認証アプリ-style API beside Mynaportal's
OpenID provider), in plain Python: what may be signed and how long a request waits.

What follows the public guideline: a relying party sends a SHA-256 hash or a DER
DigestInfo (SHA-256/384/512); the card signs the DigestInfo (PKCS #1 v1.5); the result goes
back to the party as a JWE (``RSA-OAEP-256`` + ``A256GCM``) to its registered key.
This project's choices: a transaction waits ten minutes; the JWE's payload names
(``signature``, ``certificate``, ``certificate_chain``, ``digest_info``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from mynumber.errors import InvalidInput

TTL = dt.timedelta(minutes=10)
JWE_ALG, JWE_ENC = "RSA-OAEP-256", "A256GCM"

#: DigestInfo prefixes (RFC 8017 §9.2 note 1)
PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def parse_target(*, hash_b64: str | None, digest_info_b64: str | None) -> tuple[str, bytes]:
    """(algorithm, digest) from a SHA-256 hash or a DigestInfo (base64), exactly one."""
    if (hash_b64 is None) == (digest_info_b64 is None):
        raise InvalidInput("give either hash or digest_info", field="hash")
    field = "hash" if hash_b64 is not None else "digest_info"
    try:
        raw = base64.b64decode(hash_b64 or digest_info_b64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64", field=field) from exc
    if hash_b64 is not None:
        if len(raw) != 32:
            raise InvalidInput("hash is a SHA-256 digest (32 bytes)", field="hash")
        return "sha256", raw
    for name, prefix in PREFIX.items():
        if raw.startswith(prefix) and len(raw) == len(prefix) + prefix[-1]:
            return name, raw[len(prefix) :]
    raise InvalidInput("digest_info is a DER DigestInfo of SHA-256/384/512", field="digest_info")


def digest_info(algorithm: str, digest: bytes) -> bytes:
    return PREFIX[algorithm] + digest
