"""The signing port: a CA or OCSP key may live outside this process (an HSM, another service).

A :class:`Signer` signs with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 8017 §8.2), the only scheme
JPKI uses (§3.2). cryptography's builders want a private-key object, so
:func:`as_private_key` adapts any signer to the ``RSAPrivateKey`` interface, forwarding only
``sign`` and ``public_key``; a :class:`LocalSigner` hands over its real key unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed

from mynumber.errors import InvalidInput


@runtime_checkable
class Signer(Protocol):
    """Something that holds an RSA private key and signs with it."""

    def public_key(self) -> rsa.RSAPublicKey: ...

    def sign(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 signature with SHA-256 over ``data`` (not a digest)."""
        ...


@dataclass(frozen=True, slots=True, repr=False)
class LocalSigner:
    """A signer over an in-process RSA private key."""

    private_key: rsa.RSAPrivateKey

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise InvalidInput("private_key must be an RSA private key", field="private_key")

    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def __repr__(self) -> str:
        return f"LocalSigner(<RSA-{self.private_key.key_size} private key>)"


class _SignerKey(rsa.RSAPrivateKey):
    """An ``RSAPrivateKey`` face for a remote :class:`Signer`: only PKCS#1 v1.5 + SHA-256."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer
        self._public = signer.public_key()

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: Prehashed | hashes.HashAlgorithm | NoDigestInfo,
    ) -> bytes:
        if padding.name != "EMSA-PKCS1-v1_5" or not isinstance(algorithm, hashes.SHA256):
            raise InvalidInput("a Signer only does PKCS#1 v1.5 with SHA-256", code="bad_algorithm")
        return self._signer.sign(data)

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def _refuse(self) -> NoReturn:
        raise InvalidInput("the private key of a remote signer is not available", code="remote_key")

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        self._refuse()

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        self._refuse()

    def private_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        self._refuse()

    def __copy__(self) -> _SignerKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _SignerKey:
        return self


def as_private_key(signer: Signer) -> rsa.RSAPrivateKey:
    """What to hand to cryptography's ``…Builder.sign``: the real key if local, else an adapter."""
    if isinstance(signer, LocalSigner):
        return signer.private_key
    return _SignerKey(signer)
