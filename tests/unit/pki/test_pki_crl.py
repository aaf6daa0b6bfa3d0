"""CRLs: content as RFC 5280 asks, and checking a certificate against one."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from pkikit import NOW

from mynumber.errors import InvalidInput
from mynumber.pki import (
    CertificateAuthority,
    CertificateRevoked,
    MalformedCertificate,
    Revocation,
    RevocationUnknown,
    SignatureInvalid,
    build_crl,
    check_crl,
)

LATER = NOW + dt.timedelta(days=1)


def test_crl_content(auth_ca: CertificateAuthority) -> None:
    revoked_at = NOW - dt.timedelta(hours=2)
    der = build_crl(
        auth_ca,
        [
            Revocation(101, revoked_at, x509.ReasonFlags.key_compromise),
            Revocation(102, revoked_at, x509.ReasonFlags.unspecified),
            Revocation(103, revoked_at),
            Revocation(104, revoked_at, x509.ReasonFlags.certificate_hold),
        ],
        crl_number=7,
        this_update=NOW,
        next_update=LATER,
    )
    crl = x509.load_der_x509_crl(der)
    assert crl.issuer == auth_ca.certificate.subject
    assert crl.is_signature_valid(auth_ca.certificate.public_key())  # type: ignore[arg-type]
    assert crl.last_update_utc == NOW and crl.next_update_utc == LATER
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = auth_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest

    def reason(serial: int) -> x509.ReasonFlags | None:
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        assert entry is not None and entry.revocation_date_utc == revoked_at
        try:
            return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            return None

    assert reason(101) is x509.ReasonFlags.key_compromise
    assert reason(102) is None  # unspecified is left out (RFC 5280 §5.3.1)
    assert reason(103) is None
    assert reason(104) is x509.ReasonFlags.certificate_hold
    assert crl.get_revoked_certificate_by_serial_number(105) is None


def test_empty_crl_is_valid(sign_ca: CertificateAuthority) -> None:
    crl = x509.load_der_x509_crl(
        build_crl(sign_ca, [], crl_number=0, this_update=NOW, next_update=LATER)
    )
    assert len(crl) == 0


@pytest.mark.parametrize(
    ("kwargs", "revocations"),
    [
        ({"next_update": NOW}, []),
        ({"crl_number": -1}, []),
        ({}, [Revocation(5, NOW), Revocation(5, NOW)]),
    ],
)
def test_crl_refuses_bad_input(
    auth_ca: CertificateAuthority, kwargs: dict[str, object], revocations: list[Revocation]
) -> None:
    options: dict[str, object] = {
        "crl_number": 1,
        "this_update": NOW,
        "next_update": LATER,
    } | kwargs
    with pytest.raises(InvalidInput):
        build_crl(auth_ca, revocations, **options)  # type: ignore[arg-type]


def test_revocation_validates_itself() -> None:
    with pytest.raises(InvalidInput):
        Revocation(0, NOW)
    with pytest.raises(InvalidInput):
        Revocation(1, dt.datetime(2026, 1, 1))
    with pytest.raises(InvalidInput):
        Revocation(1, NOW, x509.ReasonFlags.remove_from_crl)


def test_check_crl_passes_a_certificate_not_listed(
    auth_ca: CertificateAuthority, auth_cert: x509.Certificate
) -> None:
    der = build_crl(auth_ca, [Revocation(1, NOW)], crl_number=1, this_update=NOW, next_update=LATER)
    assert check_crl(der, auth_cert, auth_ca.certificate, NOW).next_update_utc == LATER


def test_check_crl_raises_for_a_revoked_certificate(
    auth_ca: CertificateAuthority, auth_cert: x509.Certificate
) -> None:
    revocation = Revocation(auth_cert.serial_number, NOW, x509.ReasonFlags.affiliation_changed)
    der = build_crl(auth_ca, [revocation], crl_number=2, this_update=NOW, next_update=LATER)
    with pytest.raises(CertificateRevoked) as caught:
        check_crl(der, auth_cert, auth_ca.certificate, NOW + dt.timedelta(hours=1))
    assert caught.value.reason is x509.ReasonFlags.affiliation_changed
    assert caught.value.revoked_at == NOW
    assert caught.value.serial_number == auth_cert.serial_number


def test_check_crl_refuses_a_stale_crl(
    auth_ca: CertificateAuthority, auth_cert: x509.Certificate
) -> None:
    der = build_crl(auth_ca, [], crl_number=3, this_update=NOW, next_update=LATER)
    with pytest.raises(RevocationUnknown) as caught:
        check_crl(der, auth_cert, auth_ca.certificate, LATER + dt.timedelta(seconds=1))
    assert caught.value.detail == "stale"


def test_check_crl_refuses_a_crl_signed_by_another_key(
    auth_ca: CertificateAuthority, rogue_auth_ca: CertificateAuthority, auth_cert: x509.Certificate
) -> None:
    forged = build_crl(rogue_auth_ca, [], crl_number=4, this_update=NOW, next_update=LATER)
    with pytest.raises(SignatureInvalid):
        check_crl(forged, auth_cert, auth_ca.certificate, NOW)


def test_check_crl_refuses_garbage_and_another_issuer(
    auth_ca: CertificateAuthority, sign_ca: CertificateAuthority, auth_cert: x509.Certificate
) -> None:
    with pytest.raises(MalformedCertificate):
        check_crl(b"\x30\x00", auth_cert, auth_ca.certificate, NOW)
    other = build_crl(sign_ca, [], crl_number=1, this_update=NOW, next_update=LATER)
    with pytest.raises(MalformedCertificate):
        check_crl(other, auth_cert, auth_ca.certificate, NOW)
