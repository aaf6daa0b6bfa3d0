"""PAdES at the platform: completing a card-signed contract for long-term validation, and
validating one (pyHanko, no web or database here).

- :func:`complete`: every signature is validated first (intact, chain to J-LIS's signing
  CA, not revoked by J-LIS's OCSP answer); then the chain and those OCSP answers go into the
  document security store (DSS, PAdES B-LT) and the platform's TSA adds a document
  time-stamp over everything (B-LTA-like), so the file validates later without a network.
- :func:`validate`: with **only** what the file holds (trust roots aside: J-LIS's signing
  CA and the TSA root), each signature's integrity, trust, embedded revocation answer,
  signature time and whether the document changed after it (pyHanko's difference
  analysis: anything beyond signing, form filling and LTV updates is reported).

Revocation rule: a certificate that declares where its status is (the JPKI user
certificates: OCSP in AIA, CRL DP) must have an answer in the file; the TSA certificates
declare none (this project's demo TSA), the OCSP responder carries ``id-pkix-ocsp-nocheck``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from mynumber.errors import InvalidInput
from mynumber.pki import BasicItems, read_basic_items

T = TypeVar("T")

#: the largest contract accepted (bytes)
MAX_PDF = 8 * 1024 * 1024

_POLICY = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
    )
)


class ContractInvalid(InvalidInput):
    """The PDF is not a contract this platform can complete: a bad or unsigned file."""

    code = "contract_invalid"


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _crypto(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _reader(pdf: bytes) -> PdfFileReader:
    if not pdf.startswith(b"%PDF-") or len(pdf) > MAX_PDF:
        raise ContractInvalid(f"a contract is a PDF file of at most {MAX_PDF} bytes", field="pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        _ = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ContractInvalid("the PDF cannot be read", field="pdf") from exc
    return reader


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """One signature of a contract as validated from the file alone."""

    field: str
    intact: bool
    trusted: bool
    revocation_embedded: bool
    signed_at: dt.datetime | None
    timestamped: bool
    modified_after: bool
    certificate: x509.Certificate
    items: BasicItems | None

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.revocation_embedded and not self.modified_after


@dataclass(frozen=True, slots=True)
class ContractReport:
    signatures: list[SignatureReport]
    document_timestamp: dt.datetime | None
    document_timestamp_ok: bool

    @property
    def ok(self) -> bool:
        return (
            bool(self.signatures)
            and all(s.ok for s in self.signatures)
            and self.document_timestamp_ok
        )


def signer_certificates(pdf: bytes) -> list[tuple[str, x509.Certificate]]:
    """(field name, signing certificate) of each signature (not time-stamps) in ``pdf``."""
    reader = _reader(pdf)
    found = [(s.field_name, _crypto(s.signer_cert)) for s in reader.embedded_regular_signatures]
    if not found:
        raise ContractInvalid("the PDF carries no signature", field="pdf")
    return found


def _context(
    roots: list[x509.Certificate], *, ocsps: list[bytes], certs: list[x509.Certificate]
) -> ValidationContext:
    return ValidationContext(
        trust_roots=[_asn1(r) for r in roots],
        other_certs=[_asn1(c) for c in certs],
        ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in ocsps],
        allow_fetching=False,
        revinfo_policy=_POLICY,
    )


def complete(
    pdf: bytes,
    *,
    roots: list[x509.Certificate],
    ocsp_of: Callable[[x509.Certificate], bytes],
    timestamper: TimeStamper,
) -> bytes:
    """``pdf`` with the DSS (chain and OCSP answers) and a document time-stamp.

    Raises :class:`ContractInvalid` when a signature is broken or untrusted, and lets
    ``ocsp_of``'s errors (a revoked certificate) through: nothing is added then.
    """
    reader = _reader(pdf)
    signatures = reader.embedded_regular_signatures
    if not signatures:
        raise ContractInvalid("the PDF carries no signature", field="pdf")
    answers = [ocsp_of(_crypto(s.signer_cert)) for s in signatures]
    context = _context(roots, ocsps=answers, certs=[])
    for sig in signatures:
        status = _run(async_validate_pdf_signature(sig, context))
        if not (status.intact and status.valid):
            raise ContractInvalid(
                f"signature {sig.field_name} does not match the document", code="signature_broken"
            )
        if not status.trusted:
            raise ContractInvalid(
                f"signature {sig.field_name} does not chain to J-LIS's signing CA "
                "or its certificate is not good",
                code="signature_untrusted",
            )
    try:  # a signature completed before (an earlier signer) keeps its VRI entry untouched
        done = set(DocumentSecurityStore.read_dss(reader).vri_entries)
    except NoDSSFoundError:
        done = set()
    out = io.BytesIO(pdf)
    for sig, answer in zip(signatures, answers, strict=True):
        if DocumentSecurityStore.sig_content_identifier(sig.pkcs7_content) in done:
            continue
        chain = [sig.signer_cert, *sig.other_embedded_certs]
        DocumentSecurityStore.add_dss(
            out,
            sig.pkcs7_content,
            certs=chain,
            ocsps=[asn1_ocsp.OCSPResponse.load(answer)],
        )
    out.seek(0)
    writer = IncrementalPdfFileWriter(out, strict=False)
    stamped = PdfTimeStamper(timestamper=timestamper).timestamp_pdf(
        writer, "sha256", validation_context=context, timestamper=timestamper
    )
    return bytes(stamped.getvalue())


def validate(pdf: bytes, *, roots: list[x509.Certificate]) -> ContractReport:
    """What the file proves by itself (see the module's docstring); never raises on a bad
    signature, reports it."""
    reader = _reader(pdf)
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        context = dss.as_validation_context(
            {
                "trust_roots": [_asn1(r) for r in roots],
                "allow_fetching": False,
                "revinfo_policy": _POLICY,
            }
        )
        has_dss = True
    except NoDSSFoundError:
        context = _context(roots, ocsps=[], certs=[])
        has_dss = False
    reports = []
    for sig in reader.embedded_regular_signatures:
        try:
            status = _run(async_validate_pdf_signature(sig, context))
        except (SigningError, PdfError, ValueError) as exc:
            raise ContractInvalid(
                f"signature {sig.field_name} cannot be read", field="pdf"
            ) from exc
        level = status.modification_level
        modified = (
            status.coverage is None
            or level is None
            or level > ModificationLevel.FORM_FILLING
            or status.docmdp_ok is False
        )
        cert = _crypto(status.signing_cert)
        try:
            items: BasicItems | None = read_basic_items(cert)
        except InvalidInput:
            items = None
        ts = status.timestamp_validity
        reports.append(
            SignatureReport(
                field=str(sig.field_name),
                intact=bool(status.intact and status.valid),
                trusted=bool(status.trusted),
                revocation_embedded=has_dss and bool(status.trusted),
                signed_at=ts.timestamp if ts is not None else status.signer_reported_dt,
                timestamped=ts is not None and bool(ts.valid and ts.intact and ts.trusted),
                modified_after=modified,
                certificate=cert,
                items=items,
            )
        )
    doc_time, doc_ok = None, False
    stamps = reader.embedded_timestamp_signatures
    if stamps:
        last = stamps[-1]
        stamp = _run(async_validate_pdf_timestamp(last, validation_context=context))
        doc_time = stamp.timestamp
        doc_ok = bool(stamp.valid and stamp.intact and stamp.trusted)
        doc_ok = doc_ok and last.coverage is not None and stamp.coverage is not None
    return ContractReport(reports, doc_time, doc_ok)
