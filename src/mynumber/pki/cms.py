"""Verification of a detached CMS SignedData made with a JPKI signing certificate.

Pure: checks what a signature proves and nothing about who asked for it. The caller checks
revocation (OCSP as a registered 署名検証者, with :func:`mynumber.pki.build_ocsp_request`
and :func:`mynumber.pki.check_ocsp_response` on the returned ``certificate`` and
``issuer``), and that the four basic items name the person it expects.

Checks, in order: the bytes are one DER ContentInfo of SignedData with no encapsulated
content (detached), one signer, its certificate inside; pyHanko's validator
(``async_validate_detached_cms``): message digest over ``data``, the signature over the
signed attributes, the key usage nonRepudiation; then :func:`mynumber.pki.verify_chain`
(J-LIS's signing CA, validity at ``at``, the JPKI signing policy).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynumber.pki._time import as_utc
from mynumber.pki.basic_items import BasicItems, read_basic_items
from mynumber.pki.errors import CertificateError, MalformedCertificate
from mynumber.pki.names import Purpose
from mynumber.pki.verify import verify_chain

__all__ = ["MAX_CMS_BYTES", "CmsInvalid", "CmsSignature", "verify_detached"]

DER = Encoding.DER
#: a SignedData with one 2048-bit signature and one certificate is ~3 KB
MAX_CMS_BYTES = 32 * 1024


T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines from synchronous code, even under a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class CmsInvalid(CertificateError):
    """The CMS is malformed, not detached, or does not sign these bytes."""

    code = "cms_invalid"


@dataclass(frozen=True, slots=True)
class CmsSignature:
    """A verified detached signature: who signed (certificate and the 4 items) and when
    they say they did; ``issuer`` is the J-LIS CA to ask OCSP about ``certificate``."""

    certificate: x509.Certificate
    issuer: x509.Certificate
    items: BasicItems
    signing_time: dt.datetime | None

    @property
    def serial(self) -> str:
        return f"{self.certificate.serial_number:x}"


def _signed_data(cms_der: bytes) -> cms.SignedData:
    if not isinstance(cms_der, bytes) or not cms_der or len(cms_der) > MAX_CMS_BYTES:
        raise CmsInvalid(f"a signature is 1 to {MAX_CMS_BYTES} bytes of DER CMS")
    try:
        info = cms.ContentInfo.load(cms_der, strict=True)
        if info["content_type"].native != "signed_data":
            raise CmsInvalid("the CMS is not SignedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        detached = encap["content"].native is None
        signers = list(signed["signer_infos"])
        _ = signed["certificates"].native  # parse every certificate now
    except (ValueError, TypeError, KeyError) as exc:
        raise CmsInvalid("the signature is not DER CMS SignedData") from exc
    if not detached:
        raise CmsInvalid("the signature must be detached (no encapsulated content)")
    if len(signers) != 1:
        raise CmsInvalid("the signature must have exactly one signer")
    return signed


def _signer_certificate(signed: cms.SignedData) -> x509.Certificate:
    from pyhanko.sign.general import extract_certificate_info

    try:
        cert: asn1_x509.Certificate = extract_certificate_info(signed).signer_cert
        return x509.load_der_x509_certificate(cert.dump())
    except Exception as exc:  # pyHanko raises its own errors for a missing certificate
        raise CmsInvalid("the signer's certificate is not in the signature") from exc


def verify_detached(
    cms_der: bytes,
    data: bytes,
    trust_anchors: Iterable[x509.Certificate],
    at: dt.datetime,
) -> CmsSignature:
    """Check that ``cms_der`` is a JPKI signing-key signature over exactly ``data``.

    Returns the signer's certificate, its issuing anchor, the four basic items and the
    claimed signing time; raises :class:`CmsInvalid` (malformed, not detached, digest or
    signature mismatch) or another :class:`mynumber.pki.CertificateError` (chain, validity,
    purpose). Revocation is the caller's (see the module docstring).
    """
    # pyHanko is imported when a signature is checked, not with every organisation that
    # may check one: it takes longer to import than most of an organisation's own code
    from pyhanko.sign.general import extract_signer_info
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    moment = as_utc(at, field="at")
    signed = _signed_data(cms_der)
    certificate = _signer_certificate(signed)
    anchors = list(trust_anchors)
    status = _run(
        async_validate_detached_cms(
            data,
            signed,
            signer_validation_context=ValidationContext(
                trust_roots=[asn1_x509.Certificate.load(a.public_bytes(DER)) for a in anchors],
                moment=moment,
                allow_fetching=False,
            ),
            key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}),
        )
    )
    if not status.intact:
        raise CmsInvalid("the signed bytes were changed after signing (digest mismatch)")
    if not status.valid:
        raise CmsInvalid("the signature does not verify with the signer's certificate")
    # the project's JPKI rules (policy, purpose, critical extensions) over pyHanko's trust
    issuer = verify_chain(certificate, anchors, moment, purpose=Purpose.SIGN)
    if not status.bottom_line:  # pyHanko's own path validation agrees
        raise CmsInvalid("the signer's certificate is not trusted for signing")
    try:
        items = read_basic_items(certificate)
    except MalformedCertificate as exc:
        raise CmsInvalid(f"the signing certificate's basic items: {exc.message}") from exc
    signer_info = extract_signer_info(signed)
    signing_time = None
    for attribute in signer_info["signed_attrs"]:
        if attribute["type"].native == "signing_time":
            signing_time = attribute["values"][0].native
    return CmsSignature(certificate, issuer, items, signing_time)
