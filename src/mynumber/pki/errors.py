"""Errors of ``mynumber.pki``.

Verification failures subclass :class:`mynumber.errors.Unauthorized` (a proof was refused)
through :class:`CertificateError`; bad inputs subclass :class:`mynumber.errors.InvalidInput`.
Messages and attributes never hold personal data: no name, address or birth date, only
serial numbers, CA names (public) and times. A certificate serial number is a pseudonymous
key at J-LIS (domain-reference §3.4): it is an attribute for the caller, never in a message.

::

    mynumber.errors.Error
     ├── InvalidInput
     │    └── MalformedCertificate
     └── Unauthorized
          └── CertificateError
               ├── UnknownIssuer
               ├── IssuerNotCA
               ├── SignatureInvalid
               ├── CertificateExpired
               ├── CertificateNotYetValid
               ├── WrongPurpose
               ├── CertificateRevoked
               ├── RevocationUnknown
               └── OCSPResponseInvalid
"""

from __future__ import annotations

import datetime as dt

from cryptography.x509 import ReasonFlags

from mynumber.errors import InvalidInput, Unauthorized


class MalformedCertificate(InvalidInput):
    """A certificate, CRL or OCSP message could not be parsed or lacks a required part."""

    code = "malformed_certificate"


class CertificateError(Unauthorized):
    """A certificate (or its revocation evidence) was refused."""

    code = "certificate_invalid"

    def __init__(
        self, message: str, *, serial_number: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.serial_number = serial_number


class UnknownIssuer(CertificateError):
    """No trust anchor issued the certificate; ``issuer`` is the issuer DN (RFC 4514)."""

    code = "unknown_issuer"

    def __init__(self, message: str, *, issuer: str, serial_number: int | None = None) -> None:
        super().__init__(message, serial_number=serial_number)
        self.issuer = issuer


class IssuerNotCA(CertificateError):
    """The issuing certificate is not allowed to act as a CA (basicConstraints, keyUsage)."""

    code = "issuer_not_ca"


class SignatureInvalid(CertificateError):
    """A signature (on a certificate, a CRL, an OCSP response or data) does not verify."""

    code = "signature_invalid"


class CertificateExpired(CertificateError):
    """``at`` is after ``not_after``."""

    code = "certificate_expired"

    def __init__(
        self,
        message: str,
        *,
        not_after: dt.datetime,
        at: dt.datetime,
        serial_number: int | None = None,
    ) -> None:
        super().__init__(message, serial_number=serial_number)
        self.not_after = not_after
        self.at = at


class CertificateNotYetValid(CertificateError):
    """``at`` is before ``not_before``."""

    code = "certificate_not_yet_valid"

    def __init__(
        self,
        message: str,
        *,
        not_before: dt.datetime,
        at: dt.datetime,
        serial_number: int | None = None,
    ) -> None:
        super().__init__(message, serial_number=serial_number)
        self.not_before = not_before
        self.at = at


class WrongPurpose(CertificateError):
    """The certificate's key usage or policy does not allow the purpose asked for."""

    code = "wrong_purpose"

    def __init__(self, message: str, *, purpose: str, serial_number: int | None = None) -> None:
        super().__init__(message, serial_number=serial_number)
        self.purpose = purpose


class CertificateRevoked(CertificateError):
    """The certificate was revoked at ``revoked_at`` for ``reason`` (None: not given)."""

    code = "certificate_revoked"

    def __init__(
        self,
        message: str,
        *,
        revoked_at: dt.datetime,
        reason: ReasonFlags | None,
        serial_number: int | None = None,
    ) -> None:
        super().__init__(message, serial_number=serial_number)
        self.revoked_at = revoked_at
        self.reason = reason


class RevocationUnknown(CertificateError):
    """The revocation status could not be established (OCSP ``unknown``, a refusal, staleness).

    ``detail`` is machine-readable: ``unknown``, ``stale``, ``try_later``, ``unauthorized``,
    ``internal_error``, ``malformed_request``, ``sig_required``.
    """

    code = "revocation_unknown"

    def __init__(self, message: str, *, detail: str, serial_number: int | None = None) -> None:
        super().__init__(message, serial_number=serial_number)
        self.detail = detail


class OCSPResponseInvalid(CertificateError):
    """An OCSP response is malformed, not for this certificate, or its nonce does not match."""

    code = "ocsp_response_invalid"
