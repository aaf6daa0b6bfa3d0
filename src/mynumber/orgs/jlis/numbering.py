"""How J-LIS turns a resident record code into a My Number (番号法 Art. 8).

The real conversion is secret; this sandbox's is published here, with a secret key:

* The 11 digits of the resident record code go through a **keyed permutation of the
  11-digit space** — a ten-round alternating Feistel network over a 5-digit and a
  6-digit half (the construction of NIST SP 800-38G FF1, with AES-128 as the round
  function and the round number and a *generation* as tweak). A permutation gives every
  code a different number without a table, the order is not sequential, and without the
  key a number cannot be turned back into its code.
* The check digit of :mod:`mynumber.number` is appended.
* Generation 0 is the first number of a code. A re-issue (after a leak) moves to the
  next generation; if a candidate was ever issued before (under another generation),
  J-LIS moves on again, so a retired number is never issued a second time. Uniqueness is
  enforced by J-LIS's table of keyed hashes (see ``store``).

Everything works on NumPy arrays so a million codes convert in well under a second.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mynumber.number import WEIGHTS

ROUNDS = 10
_LEFT_DIGITS, _RIGHT_DIGITS = 5, 6
_MODULI = (10**_LEFT_DIGITS, 10**_RIGHT_DIGITS)


class Numbering:
    """The keyed conversion; ``key`` is 32 bytes of J-LIS secret."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the numbering key must be 32 bytes")
        self._aes_key = hmac.digest(key, b"mynumber/jlis/numbering/aes", "sha256")[:16]
        self._hash_key = hmac.digest(key, b"mynumber/jlis/numbering/hash", "sha256")

    def _round(
        self, rnd: int, generations: npt.NDArray[np.uint32], half: npt.NDArray[np.uint64]
    ) -> npt.NDArray[np.uint64]:
        blocks = np.zeros((half.size, 16), dtype=np.uint8)
        blocks[:, 0] = rnd
        blocks[:, 1:5] = generations.astype("<u4").view(np.uint8).reshape(-1, 4)
        blocks[:, 8:16] = half.astype("<u8").view(np.uint8).reshape(-1, 8)
        encryptor = Cipher(algorithms.AES(self._aes_key), modes.ECB()).encryptor()  # noqa: S305
        out = np.frombuffer(encryptor.update(blocks.tobytes()) + encryptor.finalize(), np.uint8)
        return out.reshape(-1, 16)[:, :8].copy().view("<u8").reshape(-1).astype(np.uint64)

    def bases(
        self, codes: npt.NDArray[np.uint64], generations: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.uint64]:
        """The 11 base digits (as integers) for each resident code and generation."""
        left = codes // np.uint64(_MODULI[1])
        right = codes % np.uint64(_MODULI[1])
        for rnd in range(ROUNDS):
            if rnd % 2 == 0:
                left = (
                    left + self._round(rnd, generations, right) % np.uint64(_MODULI[0])
                ) % np.uint64(_MODULI[0])
            else:
                right = (
                    right + self._round(rnd, generations, left) % np.uint64(_MODULI[1])
                ) % np.uint64(_MODULI[1])
        return left * np.uint64(_MODULI[1]) + right

    def codes_of(
        self, bases: npt.NDArray[np.uint64], generations: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.uint64]:
        """The inverse of :meth:`bases`: the resident codes (as integers) that give these
        11 base digits at these generations. Only the key holder can compute it."""
        m0, m1 = np.uint64(_MODULI[0]), np.uint64(_MODULI[1])
        left, right = bases // m1, bases % m1
        for rnd in reversed(range(ROUNDS)):
            if rnd % 2 == 0:
                left = (left + m0 - self._round(rnd, generations, right) % m0) % m0
            else:
                right = (right + m1 - self._round(rnd, generations, left) % m1) % m1
        return left * m1 + right

    def numbers(self, codes: list[str], generations: list[int] | None = None) -> list[str]:
        """The My Numbers of resident codes (11 digits each) at the given generations."""
        if not codes:
            return []
        values = np.array([int(c) for c in codes], dtype=np.uint64)
        gens = np.array(generations or [0] * len(codes), dtype=np.uint32)
        return with_check_digits(self.bases(values, gens))

    def fingerprint(self, kind: str, value: str) -> str:
        """A keyed hash J-LIS keeps instead of a number or a code (hex, 32 characters)."""
        return hmac.digest(self._hash_key, f"{kind}:{value}".encode(), "sha256")[:16].hex()

    def fingerprints(self, kind: str, values: Iterable[str]) -> list[str]:
        """:meth:`fingerprint` of each value (the same hashes, without a call per value)."""
        key, digest, prefix = self._hash_key, hmac.digest, f"{kind}:"
        return [digest(key, (prefix + v).encode(), "sha256")[:16].hex() for v in values]


def with_check_digits(bases: npt.NDArray[np.uint64]) -> list[str]:
    """Append the My Number check digit to each 11-digit base."""
    digits = np.zeros((bases.size, 11), dtype=np.int64)
    rest = bases.astype(np.int64)
    for column in range(10, -1, -1):
        digits[:, column] = rest % 10
        rest //= 10
    remainder = digits @ np.array(WEIGHTS, dtype=np.int64) % 11
    check = np.where(remainder <= 1, 0, 11 - remainder)
    joined = bases.astype(np.int64) * 10 + check
    return [f"{v:012d}" for v in joined.tolist()]
