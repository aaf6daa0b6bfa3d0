"""Where the chip's keys come from: an injectable source (a port).

The default generates a fresh RSA-2048 key (~70 ms); tests inject pre-generated demo
keys so that they stay fast. The source is the chip's key generator: whatever it returns
goes into the chip's vault and never comes back out.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = [
    "EC_CURVE",
    "RSA_KEY_BITS",
    "RSA_PUBLIC_EXPONENT",
    "GeneratingKeySource",
    "KeySource",
    "new_ec_key",
]

#: JPKI user keys are RSA-2048 (OpenSC card-jpki.c, pkcs15-jpki.c; §3.2).
RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537
#: Generation-2 card keys: ECDSA on P-384 (次期個人番号カード TF final draft 2024-03-18;
#: services-reference §6). This project's model of the published plan.
EC_CURVE = ec.SECP384R1()


class KeySource(Protocol):
    """Gives the chip a new RSA-2048 private key each time it is asked."""

    def new_rsa_key(self) -> rsa.RSAPrivateKey: ...


class GeneratingKeySource:
    """Generates a new RSA-2048 key with ``cryptography`` (the default)."""

    def new_rsa_key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_BITS)

    def new_ec_key(self) -> ec.EllipticCurvePrivateKey:
        return new_ec_key()

    def __repr__(self) -> str:
        return "GeneratingKeySource()"


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-384 key (fast: a generation-2 chip makes its own when the source has none)."""
    return ec.generate_private_key(EC_CURVE)
