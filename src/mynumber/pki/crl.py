"""Certificate revocation lists (RFC 5280 §5), DER as J-LIS publishes them (§3.3, 官報 notice)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynumber.errors import InvalidInput
from mynumber.pki._time import as_utc
from mynumber.pki.ca import CertificateAuthority
from mynumber.pki.signer import as_private_key, hash_for
from mynumber.pki.status import Revoked


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revoked certificate: serial number, time, and reason (``None``: not stated)."""

    serial_number: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.serial_number, int) or self.serial_number <= 0:
            raise InvalidInput("serial_number must be a positive integer", field="serial_number")
        # Revoked validates time and reason the same way for CRL and OCSP.
        status = Revoked(self.revoked_at, self.reason)
        object.__setattr__(self, "revoked_at", status.revoked_at)

    @property
    def status(self) -> Revoked:
        return Revoked(self.revoked_at, self.reason)


def build_crl(
    authority: CertificateAuthority,
    revocations: Iterable[Revocation],
    *,
    crl_number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> bytes:
    """The DER of a CRL signed by ``authority``, with CRLNumber and AKI (RFC 5280 §5.2.1, §5.2.3).

    ``crl_number`` must grow with each CRL the CA issues (the caller keeps the counter). A
    ``reason`` of ``unspecified`` is left out, as RFC 5280 §5.3.1 asks.
    """
    start = as_utc(this_update, field="this_update")
    end = as_utc(next_update, field="next_update")
    if end <= start:
        raise InvalidInput("next_update must be after this_update", field="next_update")
    if not isinstance(crl_number, int) or not 0 <= crl_number < 1 << 159:
        raise InvalidInput(
            "crl_number must be a non-negative integer below 2**159", field="crl_number"
        )
    issuer = authority.certificate
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.signer.public_key())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(start)
        .next_update(end)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(aki, critical=False)
    )
    seen: set[int] = set()
    for revocation in revocations:
        if revocation.serial_number in seen:
            raise InvalidInput("a serial number is listed twice", field="revocations")
        seen.add(revocation.serial_number)
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial_number)
            .revocation_date(revocation.revoked_at)
        )
        if revocation.reason not in (None, x509.ReasonFlags.unspecified):
            entry = entry.add_extension(x509.CRLReason(revocation.reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    key = as_private_key(authority.signer)
    crl = builder.sign(key, hash_for(key))
    return crl.public_bytes(Encoding.DER)
