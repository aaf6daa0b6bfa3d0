"""Verification raises, one error per failure: wrong CA, expired, revoked, tampered, wrong use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from pkikit import ADDRESS, BIRTH_DATE, CRL_URL, NAME, NOW, OCSP_URL, StatusTable

from mynumber import errors as root
from mynumber.pki import (
    CertificateAuthority,
    CertificateError,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    IssuerNotCA,
    LocalSigner,
    OCSPResponder,
    OCSPResponseInvalid,
    Purpose,
    RevocationUnknown,
    SignatureInvalid,
    UnknownIssuer,
    WrongPurpose,
    build_ocsp_request,
    check_ocsp_response,
    create_root,
    verify_chain,
    verify_signature,
)


def tamper_signature(cert: x509.Certificate) -> x509.Certificate:
    der = bytearray(cert.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the last byte belongs to the signature BIT STRING
    return x509.load_der_x509_certificate(bytes(der))


def test_both_chains_verify(
    auth_cert: x509.Certificate,
    sign_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
    sign_ca: CertificateAuthority,
) -> None:
    anchors = [sign_ca.certificate, auth_ca.certificate]
    assert verify_chain(auth_cert, anchors, NOW, purpose=Purpose.AUTH) == auth_ca.certificate
    assert verify_chain(sign_cert, anchors, NOW, purpose=Purpose.SIGN) == sign_ca.certificate


def test_wrong_ca_is_an_unknown_issuer(
    auth_cert: x509.Certificate, rogue_auth_ca: CertificateAuthority, sign_ca: CertificateAuthority
) -> None:
    with pytest.raises(UnknownIssuer) as caught:
        verify_chain(
            auth_cert, [rogue_auth_ca.certificate, sign_ca.certificate], NOW, purpose=Purpose.AUTH
        )
    assert "user authentication" in caught.value.issuer
    assert caught.value.serial_number == auth_cert.serial_number


def test_certificate_from_an_impostor_ca_is_an_unknown_issuer(
    rogue_auth_ca: CertificateAuthority, auth_ca: CertificateAuthority, auth_key: rsa.RSAPrivateKey
) -> None:
    forged = rogue_auth_ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )
    with pytest.raises(UnknownIssuer):
        verify_chain(forged, [auth_ca.certificate], NOW, purpose=Purpose.AUTH)


def test_tampered_signature_is_refused(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    with pytest.raises(SignatureInvalid):
        verify_chain(tamper_signature(auth_cert), [auth_ca.certificate], NOW, purpose=Purpose.AUTH)


def test_expired_certificate_is_refused(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    after = auth_cert.not_valid_after_utc + dt.timedelta(seconds=1)
    with pytest.raises(CertificateExpired) as caught:
        verify_chain(auth_cert, [auth_ca.certificate], after, purpose=Purpose.AUTH)
    assert caught.value.not_after == auth_cert.not_valid_after_utc and caught.value.at == after
    # the last second of the 5th birthday is still valid
    verify_chain(
        auth_cert, [auth_ca.certificate], auth_cert.not_valid_after_utc, purpose=Purpose.AUTH
    )


def test_certificate_before_its_validity_is_refused(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    with pytest.raises(CertificateNotYetValid):
        verify_chain(
            auth_cert, [auth_ca.certificate], NOW - dt.timedelta(seconds=1), purpose=Purpose.AUTH
        )


def test_expired_ca_is_refused(keys: list[rsa.RSAPrivateKey], auth_key: rsa.RSAPrivateKey) -> None:
    ca = create_root(
        Purpose.AUTH, NOW - dt.timedelta(days=800), signer=LocalSigner(keys[7]), years=2
    )
    cert = ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW - dt.timedelta(days=100),
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )
    assert cert.not_valid_after_utc == ca.certificate.not_valid_after_utc  # clamped to the CA
    with pytest.raises(CertificateExpired) as caught:
        verify_chain(cert, [ca.certificate], NOW, purpose=Purpose.AUTH)
    assert caught.value.serial_number == ca.certificate.serial_number


def test_auth_certificate_cannot_serve_for_signing(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    with pytest.raises(WrongPurpose) as caught:
        verify_chain(auth_cert, [auth_ca.certificate], NOW, purpose=Purpose.SIGN)
    assert caught.value.purpose == "sign"


def test_sign_certificate_cannot_serve_for_login(
    sign_cert: x509.Certificate, sign_ca: CertificateAuthority
) -> None:
    with pytest.raises(WrongPurpose):
        verify_chain(sign_cert, [sign_ca.certificate], NOW, purpose=Purpose.AUTH)


def test_ocsp_responder_certificate_is_not_a_user_certificate(
    auth_responder_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    with pytest.raises(WrongPurpose):
        verify_chain(auth_responder_cert, [auth_ca.certificate], NOW, purpose=Purpose.AUTH)


def test_a_user_certificate_cannot_act_as_a_ca(
    auth_cert: x509.Certificate, auth_key: rsa.RSAPrivateKey, sign_key: rsa.RSAPrivateKey
) -> None:
    # Someone holding a user key signs a "certificate" under the user certificate's name.
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "X")]))
        .issuer_name(auth_cert.subject)
        .public_key(sign_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(auth_key, hashes.SHA256())
    )
    with pytest.raises(IssuerNotCA):
        verify_chain(forged, [auth_cert], NOW, purpose=Purpose.AUTH)


def test_verify_signature(auth_cert: x509.Certificate, auth_key: rsa.RSAPrivateKey) -> None:
    challenge = b"login challenge 0123"
    signature = auth_key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())
    verify_signature(auth_cert, challenge, signature)
    with pytest.raises(SignatureInvalid):
        verify_signature(auth_cert, challenge + b"!", signature)
    with pytest.raises(SignatureInvalid):
        verify_signature(auth_cert, challenge, signature[:-1] + bytes([signature[-1] ^ 1]))


# --- OCSP responses ----------------------------------------------------------------------------


@pytest.fixture
def responder(
    auth_ca: CertificateAuthority,
    auth_responder_cert: x509.Certificate,
    auth_responder_key: rsa.RSAPrivateKey,
    table: StatusTable,
    auth_cert: x509.Certificate,
) -> OCSPResponder:
    table.good(auth_cert.serial_number)
    return OCSPResponder(
        issuer=auth_ca.certificate,
        certificate=auth_responder_cert,
        signer=LocalSigner(auth_responder_key),
        status_of=table,
    )


def test_revoked_certificate_is_refused(
    responder: OCSPResponder,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.revoke(auth_cert.serial_number, NOW, x509.ReasonFlags.cessation_of_operation)
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    with pytest.raises(CertificateRevoked) as caught:
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)
    assert isinstance(caught.value, root.Unauthorized)
    assert caught.value.code == "certificate_revoked"


def test_stale_ocsp_response_is_refused(
    responder: OCSPResponder, auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    with pytest.raises(RevocationUnknown) as caught:
        check_ocsp_response(
            der, auth_cert, auth_ca.certificate, NOW + dt.timedelta(hours=1, seconds=1)
        )
    assert caught.value.detail == "stale"
    with pytest.raises(RevocationUnknown):
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW - dt.timedelta(minutes=6))


def test_ocsp_response_about_another_certificate_is_refused(
    responder: OCSPResponder,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
    auth_key: rsa.RSAPrivateKey,
) -> None:
    other = auth_ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    with pytest.raises(OCSPResponseInvalid) as caught:
        check_ocsp_response(der, other, auth_ca.certificate, NOW)
    assert caught.value.code == "wrong_certificate"


def test_tampered_ocsp_response_is_refused(
    responder: OCSPResponder, auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    response = ocsp.load_der_ocsp_response(der)
    signature = response.signature
    index = der.index(signature)
    tampered = der[:index] + bytes([signature[0] ^ 1]) + der[index + 1 :]
    with pytest.raises(SignatureInvalid):
        check_ocsp_response(tampered, auth_cert, auth_ca.certificate, NOW)


def test_ocsp_response_from_a_responder_of_another_ca_is_refused(
    rogue_auth_ca: CertificateAuthority,
    auth_ca: CertificateAuthority,
    auth_cert: x509.Certificate,
    keys: list[rsa.RSAPrivateKey],
) -> None:
    # The rogue CA has the same DN, so its responder claims to speak for the real CA.
    rogue_cert = rogue_auth_ca.issue_ocsp_responder(
        keys[8].public_key(), now=NOW - dt.timedelta(days=1)
    )
    # An attacker answers with the real CA's CertID and its own delegated responder.
    der = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=auth_cert,
            issuer=auth_ca.certificate,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=NOW,
            next_update=NOW + dt.timedelta(hours=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, rogue_cert)
        .certificates([rogue_cert])
        .sign(keys[8], hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    with pytest.raises(OCSPResponseInvalid) as caught:
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)
    assert caught.value.code == "unauthorised_responder"


def test_malformed_ocsp_response_is_refused(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    with pytest.raises(OCSPResponseInvalid):
        check_ocsp_response(b"\x30\x00", auth_cert, auth_ca.certificate, NOW)


# --- the errors themselves ---------------------------------------------------------------------


def test_verification_errors_are_unauthorized_and_carry_no_personal_data(
    sign_cert: x509.Certificate, sign_ca: CertificateAuthority, auth_ca: CertificateAuthority
) -> None:
    failures: list[CertificateError] = []
    calls: list[Callable[[], object]] = [
        lambda: verify_chain(sign_cert, [auth_ca.certificate], NOW, purpose=Purpose.SIGN),
        lambda: verify_chain(sign_cert, [sign_ca.certificate], NOW, purpose=Purpose.AUTH),
        lambda: verify_chain(
            sign_cert, [sign_ca.certificate], NOW + dt.timedelta(days=4000), purpose=Purpose.SIGN
        ),
        lambda: verify_chain(
            tamper_signature(sign_cert), [sign_ca.certificate], NOW, purpose=Purpose.SIGN
        ),
    ]
    for call in calls:
        with pytest.raises(CertificateError) as caught:
            call()
        failures.append(caught.value)
    for error in failures:
        assert isinstance(error, root.Unauthorized) and isinstance(error, root.Error)
        text = f"{error} {error.args}"  # attributes (a serial) may hold any digits
        for secret in (NAME, ADDRESS, "試験", "1990", "419900102"):
            assert secret not in text
