"""Agency codes (機関別符号, 番号法 Art. 21-2: 情報提供用個人識別符号).

The scheme, published here with a secret key (the production algorithm is not public):

* J-LIS turns a My Number into a 取得番号 (acquisition number): a keyed hash of the resident
  code's fingerprint under J-LIS's own key — neither the number nor the resident code, and
  stable when the number is re-issued (the resident code does not change).
* The hub never keeps the 取得番号: it keeps ``person_fp = HMAC(hub key, "person" ‖ 取得番号)``
  and gives each person a random internal reference.
* The code of agency ``A`` for that person is ``base32(HMAC(hub key, "code" ‖ A ‖ 取得番号))``
  cut to 128 bits: deterministic (enrolling twice gives the same code), different per
  agency, and without the hub's key two agencies' codes cannot be joined.
* The hub keeps the mapping (agency, code) → internal reference, which is how it converts
  one agency's code to another's when it relays.
"""

from __future__ import annotations

import hmac

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lower-case
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)


class CodeScheme:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the hub key must be 32 bytes")
        self._key = key

    def _mac(self, *parts: str) -> bytes:
        return hmac.digest(self._key, "\x00".join(parts).encode(), "sha256")

    def person_fp(self, acquisition: str) -> str:
        """What the hub keeps instead of a 取得番号 (hex, 32 characters)."""
        return self._mac("mynumber/hub/person", acquisition)[:16].hex()

    def code(self, agency: str, acquisition: str) -> str:
        """Agency ``agency``'s code for the person (26 lower-case base32 characters)."""
        digest = self._mac("mynumber/hub/code", agency, acquisition)[:16]
        # = base64.b32encode(digest).decode().rstrip("=").lower(), ten bits per lookup: the
        # 128 bits padded to 130 are 26 base32 characters (RFC 4648 §6), 13 pairs of them
        bits = int.from_bytes(digest, "big") << 2
        return "".join([_PAIRS[(bits >> shift) & 0x3FF] for shift in _SHIFTS])
