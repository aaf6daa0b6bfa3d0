"""Detached CMS SignedData made with the card's SIGNING key (署名用電子証明書).

pyHanko builds the SignedData (signed attributes: content type, message digest, signing
time, the signing certificate's hash); :class:`CardSigner` hands the DER of the signed
attributes to the card, which signs their SHA-256 DigestInfo (RSA PKCS#1 v1.5, generation 1)
or their SHA-384 hash (ECDSA P-384, generation 2): the scheme follows the signing
certificate's key. The phone's own credential (スマホ用電子証明書) signs the same way. The
private key never leaves the card (engineering-notes "Signatures with a key that stays on
the card").
The result verifies with ``openssl cms -verify -binary -inform DER -content DATA -CAfile CA``
and with :func:`mynumber.pki.cms.verify_detached`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from asn1crypto import algos, keys, x509
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mynumber.reader.client import JPKIClient, KeyKind, PinRef

__all__ = ["CardSigner", "SigningToken", "sign_detached", "signer_for"]

#: an RSA-2048 signature is 256 bytes, a DER ECDSA P-384 one at most 104 (the size pyHanko
#: reserves on a dry run)
_SIGNATURE_BYTES = {"rsa": 256, "ec": 104}


class SigningToken(Protocol):
    """What holds a signing key: the card (:class:`mynumber.reader.JPKIClient`) or the
    phone's own credential, which signs only with its password given each time."""

    def verify_pin(self, pin: PinRef, value: str) -> None: ...

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes: ...

    def read_certificate(self, kind: KeyKind) -> bytes: ...


T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines from synchronous code, even under a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class CardSigner(Signer):
    """A pyHanko signer whose raw signature comes from the card's (or phone's) signing key.

    On a card the signing password must already be verified on ``client`` (see
    :func:`sign_detached`); the phone's credential takes it with each signature
    (``password``). ``chain``: DER certificates to embed beside the signing certificate
    (J-LIS's CA). The mechanism follows the certificate's key: sha256_rsa or sha384_ecdsa.
    """

    def __init__(
        self,
        client: SigningToken,
        certificate_der: bytes,
        *,
        chain: tuple[bytes, ...] = (),
        password: str | None = None,
    ) -> None:
        self.client = client
        self.password = password
        certificate = x509.Certificate.load(certificate_der)
        key: keys.PublicKeyInfo = certificate.public_key
        self.key_kind = "ec" if key.algorithm == "ec" else "rsa"
        self.digest = "sha384" if self.key_kind == "ec" else "sha256"
        super().__init__(
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [x509.Certificate.load(der) for der in chain]
            ),
            signature_mechanism=algos.SignedDigestAlgorithm(
                # RSASSA-PKCS1-v1_5 with SHA-256, or ECDSA with SHA-384 (generation 2)
                {"algorithm": "sha384_ecdsa" if self.key_kind == "ec" else "sha256_rsa"}
            ),
            embed_roots=bool(chain),
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != self.digest:
            raise ValueError(f"this key signs {self.digest} only")
        if dry_run:
            return bytes(_SIGNATURE_BYTES[self.key_kind])
        if isinstance(self.client, JPKIClient):
            digest = hashlib.new(self.digest, data).digest()
            return self.client.sign_digest(KeyKind.SIGN, digest, algorithm=self.digest)
        return self.client.sign(KeyKind.SIGN, data, pin=self.password)


def signer_for(client: SigningToken, *, password: str, chain: tuple[bytes, ...] = ()) -> CardSigner:
    """The pyHanko signer of ``client``'s signing key, after checking ``password`` on it:
    raises :class:`mynumber.reader.PinIncorrect` (``tries_left``),
    :class:`~mynumber.reader.PinBlocked` or :class:`~mynumber.reader.InvalidPin` (not 6-16
    of A-Z, 0-9) before anything is signed."""
    client.verify_pin(PinRef.JPKI_SIGN, password)
    return CardSigner(
        client,
        client.read_certificate(KeyKind.SIGN),
        chain=chain,
        password=None if isinstance(client, JPKIClient) else password,
    )


def sign_detached(client: SigningToken, data: bytes, *, password: str) -> bytes:
    """DER ContentInfo(SignedData) over ``data`` (detached), the signing certificate inside,
    made by the card (either generation) or the phone's credential; the password is
    verified first (see :func:`signer_for`)."""
    signer = signer_for(client, password=password)
    # pyHanko is asynchronous; callers here are synchronous (a worker thread has no loop)
    info = _run(signer.async_sign_general_data(data, signer.digest, detached=True))
    return bytes(info.dump())
