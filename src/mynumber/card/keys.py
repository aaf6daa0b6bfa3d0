"""Where the chip's RSA keys come from: an injectable source (a port).

The default generates a fresh RSA-2048 key (~70 ms); tests inject pre-generated demo
keys so that they stay fast. The source is the chip's key generator: whatever it returns
goes into the chip's vault and never comes back out.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["RSA_KEY_BITS", "RSA_PUBLIC_EXPONENT", "GeneratingKeySource", "KeySource"]

#: JPKI user keys are RSA-2048 (OpenSC card-jpki.c, pkcs15-jpki.c; §3.2).
RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537


class KeySource(Protocol):
    """Gives the chip a new RSA-2048 private key each time it is asked."""

    def new_rsa_key(self) -> rsa.RSAPrivateKey: ...


class GeneratingKeySource:
    """Generates a new RSA-2048 key with ``cryptography`` (the default)."""

    def new_rsa_key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_BITS)

    def __repr__(self) -> str:
        return "GeneratingKeySource()"
