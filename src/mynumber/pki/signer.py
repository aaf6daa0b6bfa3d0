"""The signing port: a CA or OCSP key may live outside this process (an HSM, another service).

A :class:`Signer` signs with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 8017 §8.2), the scheme of
today's JPKI (§3.2); a local signer over a P-384 key signs with ECDSA and SHA-384, the
scheme of this project's model of the generation-2 hierarchy (:func:`hash_for`).
cryptography's builders want a private-key object, so :func:`as_private_key` adapts a remote
(RSA) signer to the ``RSAPrivateKey`` interface, forwarding only ``sign`` and
``public_key``; a :class:`LocalSigner` hands over its real key unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed

from mynumber.errors import InvalidInput

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
#: The generation-2 hierarchy's curve (次期個人番号カード: ECDSA P-384 / SHA-384).
EC_CURVE_NAME = ec.SECP384R1.name


def hash_for(key: PublicKey | PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    """The hash a JPKI key signs with: SHA-256 for RSA, SHA-384 for P-384."""
    return (
        hashes.SHA384()
        if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey)
        else hashes.SHA256()
    )


@runtime_checkable
class Signer(Protocol):
    """Something that holds a CA's private key (RSA-2048, or P-384 locally) and signs."""

    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 signature with SHA-256 over ``data`` (not a digest)."""
        ...


@dataclass(frozen=True, slots=True, repr=False)
class LocalSigner:
    """A signer over an in-process RSA or P-384 private key."""

    private_key: PrivateKey

    def __post_init__(self) -> None:
        key = self.private_key
        if not isinstance(key, rsa.RSAPrivateKey) and not (
            isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == EC_CURVE_NAME
        ):
            raise InvalidInput(
                "private_key must be an RSA or P-384 private key", field="private_key"
            )

    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA384()))
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def __repr__(self) -> str:
        key = self.private_key
        kind = f"RSA-{key.key_size}" if isinstance(key, rsa.RSAPrivateKey) else "P-384"
        return f"LocalSigner(<{kind} private key>)"


class _SignerKey(rsa.RSAPrivateKey):
    """An ``RSAPrivateKey`` face for a remote :class:`Signer`: only PKCS#1 v1.5 + SHA-256."""

    def __init__(self, signer: Signer) -> None:
        public = signer.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise InvalidInput("a remote signer must hold an RSA key", code="bad_algorithm")
        self._signer = signer
        self._public = public

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


def as_private_key(signer: Signer) -> PrivateKey:
    """What to hand to cryptography's ``…Builder.sign``: the real key if local, else an adapter."""
    if isinstance(signer, LocalSigner):
        return signer.private_key
    return _SignerKey(signer)
