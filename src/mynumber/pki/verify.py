"""Verification of JPKI certificates, signatures and revocation evidence.

Every function returns what it verified or raises a :class:`mynumber.pki.errors.CertificateError`
subclass, never a bool (a forgotten ``if`` cannot accept a bad certificate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from mynumber.errors import InvalidInput
from mynumber.pki import oids
from mynumber.pki._time import as_utc
from mynumber.pki.errors import (
    CertificateError,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    IssuerNotCA,
    MalformedCertificate,
    OCSPResponseInvalid,
    RevocationUnknown,
    SignatureInvalid,
    UnknownIssuer,
    WrongPurpose,
)
from mynumber.pki.names import Purpose, ca_of
from mynumber.pki.ocsp import CERT_ID_HASH, issuer_hashes

CLOCK_SKEW = dt.timedelta(minutes=5)
"""Tolerance for a thisUpdate slightly in the future (clocks of two organisations)."""

_POLICY = {Purpose.SIGN: oids.POLICY_SIGN, Purpose.AUTH: oids.POLICY_AUTH}
# Critical extensions this module understands (RFC 5280 §4.2: refuse any other).
_HANDLED_CRITICAL = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    }
)


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError as exc:  # duplicate extensions and the like
        raise MalformedCertificate("certificate extensions cannot be parsed") from exc


def _check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    if at < cert.not_valid_before_utc:
        raise CertificateNotYetValid(
            "certificate is not valid yet",
            not_before=cert.not_valid_before_utc,
            at=at,
            serial_number=cert.serial_number,
        )
    if at > cert.not_valid_after_utc:
        raise CertificateExpired(
            "certificate has expired",
            not_after=cert.not_valid_after_utc,
            at=at,
            serial_number=cert.serial_number,
        )


def _check_critical(cert: x509.Certificate) -> None:
    for extension in cert.extensions:
        if extension.critical and extension.oid not in _HANDLED_CRITICAL:
            raise CertificateError(
                f"unhandled critical extension {extension.oid.dotted_string}",
                serial_number=cert.serial_number,
                code="unhandled_critical_extension",
            )


def _check_ca(anchor: x509.Certificate) -> None:
    constraints = _ext(anchor, x509.BasicConstraints)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        raise IssuerNotCA(
            "issuer is not a CA (basicConstraints)", serial_number=anchor.serial_number
        )
    usage = _ext(anchor, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        raise IssuerNotCA(
            "issuer may not sign certificates (keyUsage)", serial_number=anchor.serial_number
        )


def _key_id(cert: x509.Certificate) -> bytes | None:
    ski = _ext(cert, x509.SubjectKeyIdentifier)
    return ski.digest if isinstance(ski, x509.SubjectKeyIdentifier) else None


def _find_issuer(
    leaf: x509.Certificate, trust_anchors: Iterable[x509.Certificate]
) -> x509.Certificate:
    aki = _ext(leaf, x509.AuthorityKeyIdentifier)
    wanted = aki.key_identifier if isinstance(aki, x509.AuthorityKeyIdentifier) else None
    named = [a for a in trust_anchors if a.subject == leaf.issuer]
    if wanted is not None:
        named = [a for a in named if _key_id(a) in (None, wanted)]
    if not named:
        raise UnknownIssuer(
            "certificate was not issued by a trusted CA",
            issuer=leaf.issuer.rfc4514_string(),
            serial_number=leaf.serial_number,
        )
    for anchor in named:
        try:
            leaf.verify_directly_issued_by(anchor)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            continue
        return anchor
    raise SignatureInvalid(
        "certificate signature does not verify with its CA's key", serial_number=leaf.serial_number
    )


def issuer_of(
    leaf: x509.Certificate, trust_anchors: Iterable[x509.Certificate]
) -> x509.Certificate:
    """The anchor among ``trust_anchors`` (both generations' roots) that signed ``leaf``;
    raises :class:`UnknownIssuer` or :class:`SignatureInvalid`. No other check."""
    return _find_issuer(leaf, list(trust_anchors))


def _check_purpose(leaf: x509.Certificate, purpose: Purpose) -> None:
    def refuse(why: str) -> WrongPurpose:
        return WrongPurpose(why, purpose=purpose.value, serial_number=leaf.serial_number)

    constraints = _ext(leaf, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        raise refuse("a CA certificate is not a user certificate")
    usage = _ext(leaf, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage):
        raise refuse("certificate has no keyUsage")
    if purpose is Purpose.SIGN and not usage.content_commitment:
        raise refuse("keyUsage lacks nonRepudiation, required for signing")
    if purpose is Purpose.AUTH and not usage.digital_signature:
        raise refuse("keyUsage lacks digitalSignature, required for authentication")
    policies = _ext(leaf, x509.CertificatePolicies)
    wanted = _POLICY[purpose].dotted_string
    if not isinstance(policies, x509.CertificatePolicies) or not any(
        p.policy_identifier.dotted_string == wanted
        or p.policy_identifier.dotted_string.startswith(wanted + ".")
        for p in policies
    ):
        raise refuse(f"certificate lacks the JPKI {purpose.value} policy {wanted}")


def generation_of(anchor: x509.Certificate) -> int | None:
    """The card generation of a J-LIS root (1: RSA-2048, 2: P-384), ``None`` for another CA."""
    try:
        return ca_of(anchor.subject)[1]
    except InvalidInput:
        return None


def _check_key_of_hierarchy(leaf: x509.Certificate, anchor: x509.Certificate) -> None:
    """A J-LIS hierarchy certifies one kind of key: RSA-2048 (generation 1) or P-384
    (generation 2); a certificate with the other kind is refused even if its CA signed it."""
    generation = generation_of(anchor)
    if generation is None:
        return
    key = leaf.public_key()
    if generation == 1:
        fits = isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    else:
        fits = isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"
    if not fits:
        raise SignatureInvalid(
            f"the certificate's key is not the kind its generation-{generation} hierarchy "
            "certifies (generation 1: RSA-2048, generation 2: ECDSA P-384)",
            serial_number=leaf.serial_number,
        )


def verify_chain(
    leaf: x509.Certificate,
    trust_anchors: Iterable[x509.Certificate],
    at: dt.datetime,
    *,
    purpose: Purpose,
) -> x509.Certificate:
    """Check ``leaf`` was issued by a trust anchor and may serve ``purpose`` at ``at``.

    JPKI chains are one step (self-signed CA → user certificate, §3.2). Checks: issuer
    name and key identifier, the CA's signature, both validity periods, the CA's
    basicConstraints and keyUsage, critical extensions, the leaf's keyUsage and policy for
    ``purpose``. Returns the issuing anchor (pass it to :func:`check_ocsp_response`).
    Revocation is a separate step: :func:`check_ocsp_response` or :func:`check_crl`.
    """
    moment = as_utc(at, field="at")
    anchor = _find_issuer(leaf, list(trust_anchors))
    _check_ca(anchor)
    _check_validity(anchor, moment)
    _check_critical(leaf)
    _check_validity(leaf, moment)
    _check_purpose(leaf, purpose)
    _check_key_of_hierarchy(leaf, anchor)
    return anchor


def verify_signed(
    certificate: x509.Certificate,
    data: bytes,
    signature: bytes,
    trust_anchors: Iterable[x509.Certificate],
    at: dt.datetime,
    *,
    purpose: Purpose,
) -> x509.Certificate:
    """The one check of a card's (or a phone's) signature over ``data``: the chain to one of
    ``trust_anchors`` (pass both generations' roots of ``purpose``) with the key the issuing
    hierarchy certifies, then the signature by the key's scheme — RSA PKCS#1 v1.5 with SHA-256
    (generation 1) or ECDSA P-384 with SHA-384 (generation 2). Returns the issuing anchor
    (ask OCSP of its hierarchy); raises a :class:`CertificateError` otherwise."""
    anchor = verify_chain(certificate, trust_anchors, at, purpose=purpose)
    verify_signature(certificate, data, signature)
    return anchor


_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def verify_digest_signature(
    certificate: x509.Certificate, digest: bytes, algorithm: str, signature: bytes
) -> None:
    """Check ``signature`` over a ready ``digest`` (``sha256``/``sha384``/``sha512``) by
    ``certificate``'s key: PKCS#1 v1.5 over its DigestInfo (RSA) or ECDSA (P-384)."""
    chosen = _DIGESTS.get(algorithm)
    if chosen is None or len(digest) != chosen.digest_size:
        raise SignatureInvalid(
            "the digest is not SHA-256/384/512", serial_number=certificate.serial_number
        )
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), Prehashed(chosen))
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1":
            key.verify(signature, digest, ec.ECDSA(Prehashed(chosen)))
        else:
            raise SignatureInvalid(
                "certificate key is neither RSA nor P-384",
                serial_number=certificate.serial_number,
            )
    except InvalidSignature as exc:
        raise SignatureInvalid(
            "signature does not verify", serial_number=certificate.serial_number
        ) from exc


def verify_signature(certificate: x509.Certificate, data: bytes, signature: bytes) -> None:
    """Check ``signature`` over ``data`` by ``certificate``'s key: RSASSA-PKCS1-v1_5 with
    SHA-256 for a generation-1 (RSA) certificate, ECDSA with SHA-384 (DER signature) for a
    generation-2 (P-384) one."""
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1":
            key.verify(signature, data, ec.ECDSA(hashes.SHA384()))
        else:
            raise SignatureInvalid(
                "certificate key is neither RSA nor P-384",
                serial_number=certificate.serial_number,
            )
    except InvalidSignature as exc:
        raise SignatureInvalid(
            "signature does not verify", serial_number=certificate.serial_number
        ) from exc


# ---------------------------------------------------------------------------------------------
# OCSP (RFC 6960)


def build_ocsp_request(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    nonce: bytes | None = None,
    *,
    algorithm: hashes.HashAlgorithm | None = None,
) -> bytes:
    """The DER OCSPRequest for ``certificate``; CertID with SHA-1 unless told (RFC 5019 §2.1.1)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer,
        algorithm or CERT_ID_HASH,
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


@dataclass(frozen=True, slots=True)
class OCSPCheck:
    """A verified ``good`` OCSP answer (revoked and unknown raise instead)."""

    serial_number: int
    this_update: dt.datetime
    next_update: dt.datetime | None
    produced_at: dt.datetime


def _responder(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, at: dt.datetime
) -> x509.Certificate:
    """The certificate that signed ``response``: the CA or a delegate it issued (§4.2.2.2)."""
    candidates = [issuer, *response.certificates]
    if response.responder_key_hash is not None:
        wanted = response.responder_key_hash
        signer = next(
            (c for c in candidates if issuer_hashes(c, CERT_ID_HASH)[1] == wanted),
            None,
        )
    else:
        signer = next((c for c in candidates if c.subject == response.responder_name), None)
    if signer is None:
        raise OCSPResponseInvalid("OCSP responder certificate not found", code="unknown_responder")
    if signer is issuer:
        return signer
    try:
        signer.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise OCSPResponseInvalid(
            "OCSP responder was not authorised by the CA", code="unauthorised_responder"
        ) from exc
    eku = _ext(signer, x509.ExtendedKeyUsage)
    if not isinstance(eku, x509.ExtendedKeyUsage) or ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
        raise OCSPResponseInvalid(
            "OCSP responder lacks EKU OCSPSigning", code="unauthorised_responder"
        )
    if not signer.not_valid_before_utc <= at <= signer.not_valid_after_utc:
        raise OCSPResponseInvalid(
            "OCSP responder certificate is outside its validity", code="responder_expired"
        )
    return signer


def check_ocsp_response(
    response_der: bytes,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    at: dt.datetime,
    nonce: bytes | None = None,
) -> OCSPCheck:
    """Verify an OCSP response about ``certificate`` and return it if the status is ``good``.

    Raises :class:`CertificateRevoked`, :class:`RevocationUnknown` (status unknown, an error
    response, or a response outside thisUpdate/nextUpdate at ``at``),
    :class:`SignatureInvalid`, or :class:`OCSPResponseInvalid` (malformed, another
    certificate, an unauthorised responder, a missing or different ``nonce``).
    """
    moment = as_utc(at, field="at")
    serial = certificate.serial_number
    try:
        response = ocsp.load_der_ocsp_response(response_der)
    except ValueError as exc:
        raise OCSPResponseInvalid(
            "OCSP response cannot be parsed", code="malformed_ocsp", serial_number=serial
        ) from exc
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise RevocationUnknown(
            f"OCSP responder answered {response.response_status.name}",
            detail=response.response_status.name.lower(),
            serial_number=serial,
        )
    if certificate.issuer != issuer.subject:
        raise UnknownIssuer(
            "certificate was not issued by this issuer",
            issuer=certificate.issuer.rfc4514_string(),
            serial_number=serial,
        )
    signer = _responder(response, issuer, moment)
    signer_key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    if algorithm is None or not isinstance(
        signer_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    ):
        raise OCSPResponseInvalid(
            "OCSP response is not signed with RSA or ECDSA", serial_number=serial
        )
    try:
        if isinstance(signer_key, rsa.RSAPublicKey):
            signer_key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        else:
            signer_key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
    except InvalidSignature as exc:
        raise SignatureInvalid(
            "OCSP response signature does not verify", serial_number=serial
        ) from exc
    single = next(
        (
            r
            for r in response.responses
            if r.serial_number == serial
            and (r.issuer_name_hash, r.issuer_key_hash) == issuer_hashes(issuer, r.hash_algorithm)
        ),
        None,
    )
    if single is None:
        raise OCSPResponseInvalid(
            "OCSP response is not about this certificate",
            code="wrong_certificate",
            serial_number=serial,
        )
    if nonce is not None:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            echoed = None
        if echoed != nonce:
            raise OCSPResponseInvalid(
                "OCSP response nonce does not match the request",
                code="nonce_mismatch",
                serial_number=serial,
            )
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > moment + CLOCK_SKEW or moment > (next_update or this_update + CLOCK_SKEW):
        raise RevocationUnknown(
            "OCSP response is not current", detail="stale", serial_number=serial
        )
    if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        revoked_at = single.revocation_time_utc
        assert revoked_at is not None  # cryptography sets it for REVOKED
        raise CertificateRevoked(
            "certificate is revoked",
            revoked_at=revoked_at,
            reason=single.revocation_reason,
            serial_number=serial,
        )
    if single.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
        raise RevocationUnknown(
            "OCSP responder does not know the certificate", detail="unknown", serial_number=serial
        )
    return OCSPCheck(serial, this_update, next_update, response.produced_at_utc)


# ---------------------------------------------------------------------------------------------
# CRL (RFC 5280 §6.3)


def check_crl(
    crl_data: bytes, certificate: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
) -> x509.CertificateRevocationList:
    """Check ``certificate`` against a CRL (DER or PEM) of ``issuer``; return the verified CRL.

    Raises :class:`CertificateRevoked`, :class:`SignatureInvalid`, :class:`RevocationUnknown`
    (detail ``stale``: ``at`` is past nextUpdate), or :class:`MalformedCertificate` when the
    CRL does not parse or names another issuer.
    """
    moment = as_utc(at, field="at")
    serial = certificate.serial_number
    try:
        if crl_data.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(crl_data)
        else:
            crl = x509.load_der_x509_crl(crl_data)
    except ValueError as exc:
        raise MalformedCertificate("CRL cannot be parsed") from exc
    if crl.issuer != issuer.subject or certificate.issuer != issuer.subject:
        raise MalformedCertificate("CRL and certificate have different issuers")
    key = issuer.public_key()
    if not isinstance(
        key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    ) or not crl.is_signature_valid(key):
        raise SignatureInvalid("CRL signature does not verify", serial_number=serial)
    next_update = crl.next_update_utc
    if crl.last_update_utc > moment + CLOCK_SKEW or next_update is None or moment > next_update:
        raise RevocationUnknown("CRL is not current", detail="stale", serial_number=serial)
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    if entry is not None:
        try:
            reason: x509.ReasonFlags | None = entry.extensions.get_extension_for_class(
                x509.CRLReason
            ).value.reason
        except x509.ExtensionNotFound:
            reason = None
        raise CertificateRevoked(
            "certificate is revoked",
            revoked_at=entry.revocation_date_utc,
            reason=reason,
            serial_number=serial,
        )
    return crl
