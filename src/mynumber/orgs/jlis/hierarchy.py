"""The four certificate hierarchies J-LIS runs: today's two (RSA-2048) and the two of the
generation-2 card (ECDSA P-384, this project's model of 次期個人番号カード's hierarchy).

Their names are what J-LIS's URLs and records say: ``auth``, ``sign`` (generation 1, as
before) and ``auth-g2``, ``sign-g2`` (this project's choice: the real names are not public).
"""

from __future__ import annotations

import enum

from cryptography import x509

from mynumber.pki import Purpose
from mynumber.pki.names import ca_of


class Hierarchy(enum.Enum):
    """One JPKI hierarchy: a purpose in one card generation."""

    AUTH = "auth"
    SIGN = "sign"
    AUTH_G2 = "auth-g2"
    SIGN_G2 = "sign-g2"

    @property
    def purpose(self) -> Purpose:
        return Purpose.AUTH if self in (Hierarchy.AUTH, Hierarchy.AUTH_G2) else Purpose.SIGN

    @property
    def generation(self) -> int:
        return 2 if self in (Hierarchy.AUTH_G2, Hierarchy.SIGN_G2) else 1

    @classmethod
    def of(cls, purpose: Purpose, generation: int = 1) -> Hierarchy:
        """The hierarchy of ``purpose`` in card generation ``generation`` (1 or 2)."""
        return cls(purpose.value if generation == 1 else f"{purpose.value}-g2")

    @classmethod
    def of_root(cls, root: x509.Certificate) -> Hierarchy:
        """The hierarchy whose root ``root`` is (its subject DN names it)."""
        purpose, generation = ca_of(root.subject)
        return cls.of(purpose, generation)
