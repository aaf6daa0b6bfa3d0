"""The public API is pinned, and the package stays pure."""

from __future__ import annotations

import subprocess
import sys

import mynumber.pki


def test_exported_members_are_sorted_and_importable() -> None:
    exported = mynumber.pki.__all__
    # constants, then classes, then functions, each alphabetical (ruff RUF022 order)
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    for name in exported:
        assert hasattr(mynumber.pki, name), name


def test_exported_members_are_pinned() -> None:
    assert set(mynumber.pki.__all__) == {
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
    }


def test_package_imports_no_web_database_or_cli_code() -> None:
    code = (
        "import sys, mynumber.pki\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'starlette', 'sqlalchemy', 'httpx', 'typer', 'uvicorn', 'pydantic'} "
        "or m.startswith(('mynumber.orgs', 'mynumber.platform', 'mynumber.cli'))]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
