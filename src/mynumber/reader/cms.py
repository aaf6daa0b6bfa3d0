"""Detached CMS SignedData made with the card's SIGNING key (署名用電子証明書).

pyHanko builds the SignedData (signed attributes: content type, message digest, signing
time, the signing certificate's hash); :class:`CardSigner` hands the DER of the signed
attributes to the card, which signs its SHA-256 DigestInfo (RSA PKCS#1 v1.5). The private
key never leaves the card (engineering-notes "Signatures with a key that stays on the card").
The result verifies with ``openssl cms -verify -binary -inform DER -content DATA -CAfile CA``
and with :func:`mynumber.pki.cms.verify_detached`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asn1crypto import algos, x509
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mynumber.reader.client import JPKIClient, KeyKind, PinRef

__all__ = ["CardSigner", "sign_detached"]

#: an RSA-2048 signature is 256 bytes (the size pyHanko reserves on a dry run)
_SIGNATURE_BYTES = 256


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
    """A pyHanko signer whose raw signature comes from the card's signing key.

    The signing password must already be verified on ``client`` (see :func:`sign_detached`).
    ``chain``: DER certificates to embed beside the signing certificate (J-LIS's CA).
    """

    def __init__(
        self, client: JPKIClient, certificate_der: bytes, *, chain: tuple[bytes, ...] = ()
    ) -> None:
        self.client = client
        super().__init__(
            signing_cert=x509.Certificate.load(certificate_der),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [x509.Certificate.load(der) for der in chain]
            ),
            signature_mechanism=algos.SignedDigestAlgorithm(
                {"algorithm": "sha256_rsa"}  # RSASSA-PKCS1-v1_5 with SHA-256
            ),
            embed_roots=bool(chain),
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError("the card signs SHA-256 DigestInfos only here")
        if dry_run:
            return bytes(_SIGNATURE_BYTES)
        return self.client.sign_digest(KeyKind.SIGN, hashlib.sha256(data).digest())


def sign_detached(client: JPKIClient, data: bytes, *, password: str) -> bytes:
    """DER ContentInfo(SignedData) over ``data`` (detached), the signing certificate inside.

    Verifies the signing password first: raises :class:`mynumber.reader.PinIncorrect`
    (``tries_left``), :class:`~mynumber.reader.PinBlocked` or
    :class:`~mynumber.reader.InvalidPin` (not 6-16 of A-Z, 0-9) before anything is signed.
    """
    client.verify_pin(PinRef.JPKI_SIGN, password)
    signer = CardSigner(client, client.read_certificate(KeyKind.SIGN))
    # pyHanko is asynchronous; callers here are synchronous (a worker thread has no loop)
    info = _run(signer.async_sign_general_data(data, "sha256", detached=True))
    return bytes(info.dump())
