"""A PDF signed with the card's SIGNING key: PAdES (``/ETSI.CAdES.detached``) by pyHanko.

pyHanko lays out the incremental update and the signed attributes; :class:`CardSigner`
has the card sign their SHA-256 DigestInfo (generation 1) or SHA-384 hash (generation 2,
ECDSA P-384), or the phone's own credential sign them, so the private key never leaves it
(engineering-notes "Signatures with a key that stays on the card"). The signing
certificate and J-LIS's signing CA certificate (both read from the card) go into the CMS;
with a ``timestamper`` the signature gets a signature time-stamp (PAdES B-T). Revocation
information and the document time-stamp (B-LTA) are added afterwards by whoever may ask
J-LIS for it: a registered verifier (the platform operator).
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper

from mynumber.reader.client import JPKIClient, KeyKind
from mynumber.reader.cms import SigningToken, _run, signer_for

__all__ = ["sign_pdf"]

#: ``/Contents`` reserved for the CMS: the signature, two certificates and a time-stamp token
_RESERVED = 16384


def sign_pdf(
    client: SigningToken,
    pdf: bytes,
    *,
    password: str,
    field_name: str = "Signature1",
    timestamper: TimeStamper | None = None,
    reason: str | None = None,
) -> bytes:
    """``pdf`` with one more PAdES signature by the card's (or the phone credential's)
    holder, in a new signature field; SHA-256 for an RSA key, SHA-384 for a P-384 one.

    Verifies the signing password first: raises :class:`mynumber.reader.PinIncorrect`
    (``tries_left``), :class:`~mynumber.reader.PinBlocked` or
    :class:`~mynumber.reader.InvalidPin` before anything is signed. A card also puts J-LIS's
    CA certificate (read from the card) in the CMS; the phone holds none.
    """
    chain = (client.read_ca_certificate(KeyKind.SIGN),) if isinstance(client, JPKIClient) else ()
    signer = signer_for(client, password=password, chain=chain)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=signer.digest,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name),
    )
    out = _run(pdf_signer.async_sign_pdf(writer, bytes_reserved=_RESERVED))
    return bytes(out.getvalue())
