"""JPKI (公的個人認証サービス): certificate profiles, CA operations, CRL, OCSP and verification.

Pure: the standard library, ``cryptography`` and :mod:`mynumber.errors` only. Facts and sources
are in domain-reference §3; OIDs in :mod:`mynumber.pki.oids`; errors in
:mod:`mynumber.pki.errors`. The unsigned certificate builders are in
:mod:`mynumber.pki.profiles`.
"""

from __future__ import annotations

from mynumber.pki.basic_items import (
    BasicItems,
    Era,
    Gender,
    decode_birth_date,
    encode_birth_date,
    read_basic_items,
)
from mynumber.pki.ca import (
    CertificateAuthority,
    create_root,
    dump_authority,
    generate_gen2_key,
    generate_key,
    load_authority,
    read_authority,
    save_authority,
)
from mynumber.pki.crl import Revocation, build_crl
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
from mynumber.pki.names import Purpose, ca_name, end_entity_name, new_subject_id
from mynumber.pki.ocsp import (
    CacheStats,
    OCSPResponder,
    StatusLookup,
    decode_get_request,
    encode_get_request,
)
from mynumber.pki.profiles import (
    AuthCertificateRequest,
    SignCertificateRequest,
    age_on,
    require_signing_age,
    validity_end,
)
from mynumber.pki.signer import LocalSigner, Signer
from mynumber.pki.status import GOOD, UNKNOWN, CertStatus, Good, Revoked, Unknown
from mynumber.pki.verify import (
    OCSPCheck,
    build_ocsp_request,
    check_crl,
    check_ocsp_response,
    generation_of,
    verify_chain,
    verify_digest_signature,
    verify_signature,
    verify_signed,
)

__all__ = [
    "GOOD",
    "UNKNOWN",
    "AuthCertificateRequest",
    "BasicItems",
    "CacheStats",
    "CertStatus",
    "CertificateAuthority",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "Era",
    "Gender",
    "Good",
    "IssuerNotCA",
    "LocalSigner",
    "MalformedCertificate",
    "OCSPCheck",
    "OCSPResponder",
    "OCSPResponseInvalid",
    "Purpose",
    "Revocation",
    "RevocationUnknown",
    "Revoked",
    "SignCertificateRequest",
    "SignatureInvalid",
    "Signer",
    "StatusLookup",
    "Unknown",
    "UnknownIssuer",
    "WrongPurpose",
    "age_on",
    "build_crl",
    "build_ocsp_request",
    "ca_name",
    "check_crl",
    "check_ocsp_response",
    "create_root",
    "decode_birth_date",
    "decode_get_request",
    "dump_authority",
    "encode_birth_date",
    "encode_get_request",
    "end_entity_name",
    "generate_gen2_key",
    "generate_key",
    "generation_of",
    "load_authority",
    "new_subject_id",
    "read_authority",
    "read_basic_items",
    "require_signing_age",
    "save_authority",
    "validity_end",
    "verify_chain",
    "verify_digest_signature",
    "verify_signature",
    "verify_signed",
]
