"""The smartphone certificates' profiles (スマホ用電子証明書, services-reference §3).

The real profile of the 移動端末設備用電子証明書 is not public; this module is THIS PROJECT'S
model of it:

- issued by the same J-LIS CAs as the card's certificates (one hierarchy per purpose, so
  OCSP, CRLs and every verifier serve both);
- the card's profile (keyUsage, SAN with the four basic items for signing, CRL DP, OCSP AIA)
  with the certificate policy :data:`~mynumber.pki.oids.POLICY_AUTH_MOBILE` or
  :data:`~mynumber.pki.oids.POLICY_SIGN_MOBILE` — sub-arcs of the card's policies, so a
  verifier that accepts the card's certificate accepts the phone's, and one that cares can
  tell them apart (:func:`is_mobile`);
- validity capped by the card's certificate of the same purpose (``cap``): the phone's
  certificate never outlives the card's.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509

from mynumber.errors import InvalidInput
from mynumber.pki import oids
from mynumber.pki._time import end_of_jst_day, jst_date
from mynumber.pki.basic_items import BasicItems
from mynumber.pki.names import Purpose, new_subject_id
from mynumber.pki.profiles import (
    AuthCertificateRequest,
    PublicKey,
    SignCertificateRequest,
    _end_entity_builder,
    _key_usage,
    _user_extensions,
    require_signing_age,
    validity_end,
)

MOBILE_POLICY = {Purpose.AUTH: oids.POLICY_AUTH_MOBILE, Purpose.SIGN: oids.POLICY_SIGN_MOBILE}


def is_mobile(cert: x509.Certificate) -> bool:
    """Whether ``cert`` carries one of the smartphone policies."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    wanted = set(MOBILE_POLICY.values())
    return any(p.policy_identifier in wanted for p in policies)


def mobile_builder(
    purpose: Purpose,
    public_key: PublicKey,
    *,
    birth_date: dt.date,
    items: BasicItems | None,
    cap: dt.datetime,
    issuer: x509.Certificate,
    now: dt.datetime,
    serial_number: int,
    ocsp_url: str,
    crl_url: str,
) -> x509.CertificateBuilder:
    """An unsigned phone certificate for ``purpose``; ``items`` are needed for signing.

    Valid to the card rule's end (the 5th birthday after issue) or ``cap`` (the card's
    certificate's notAfter), whichever comes first; refuses a ``cap`` already past.
    """
    if cap <= now:
        raise InvalidInput("the card's certificate has expired", code="card_certificate_expired")
    subject_id = new_subject_id()
    issued_on = jst_date(now)
    if purpose is Purpose.AUTH:
        # validates the key, the date and the URLs exactly as for a card
        AuthCertificateRequest(public_key, birth_date, ocsp_url, crl_url, subject_id)
        usage = _key_usage(digital_signature=True, non_repudiation=False)
    else:
        if items is None:
            raise InvalidInput("a signing certificate needs the four basic items", field="items")
        require_signing_age(items.birth_date, issued_on)
        SignCertificateRequest(public_key, items, ocsp_url, crl_url, subject_id)
        usage = _key_usage(digital_signature=True, non_repudiation=True)
    rule_end = end_of_jst_day(validity_end(birth_date, issued_on))
    builder = _end_entity_builder(
        subject_id=subject_id,
        public_key=public_key,
        issuer=issuer,
        now=now,
        not_after=min(rule_end, cap),
        serial_number=serial_number,
        key_usage=usage,
    )
    if purpose is Purpose.SIGN and items is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(items.to_other_names()), critical=False
        )
    return _user_extensions(
        builder, policy=MOBILE_POLICY[purpose], ocsp_url=ocsp_url, crl_url=crl_url
    )


ENROLMENT_KINDS = ("android", "iphone")


def enrolment_payload(kind: str, auth_public_key: bytes, sign_public_key: bytes) -> bytes:
    """The exact bytes the card's signing key signs to ask J-LIS for phone certificates:
    the phone's kind and the SHA-256 of both new public keys (DER SubjectPublicKeyInfo).
    This project's choice (the real issuance protocol is not public)."""
    return (
        "mynumber phone enrolment v1\n"
        f"{kind}\n"
        f"{hashlib.sha256(auth_public_key).hexdigest()}\n"
        f"{hashlib.sha256(sign_public_key).hexdigest()}\n"
    ).encode()
