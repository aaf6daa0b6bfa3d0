"""The OCSP responder: statuses, nonces, the signed-answer cache, refusals, the GET form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from hypothesis import given
from hypothesis import strategies as st
from pkikit import NOW, RemoteSigner, StatusTable

from mynumber.errors import InvalidInput, Unavailable
from mynumber.pki import (
    GOOD,
    CertificateAuthority,
    CertificateRevoked,
    CertStatus,
    LocalSigner,
    OCSPResponder,
    OCSPResponseInvalid,
    RevocationUnknown,
    build_ocsp_request,
    check_ocsp_response,
    decode_get_request,
    encode_get_request,
)
from mynumber.pki.ocsp import issuer_hashes

Make = Callable[..., OCSPResponder]


def status_of(der: bytes) -> ocsp.OCSPResponseStatus:
    return ocsp.load_der_ocsp_response(der).response_status


def test_good_certificate(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    der = make_responder().respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    check = check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)
    assert check.serial_number == auth_cert.serial_number
    assert check.this_update == NOW and check.next_update == NOW + dt.timedelta(hours=1)


def test_revoked_certificate(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.revoke(
        auth_cert.serial_number, NOW - dt.timedelta(days=1), x509.ReasonFlags.key_compromise
    )
    der = make_responder().respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    single = ocsp.load_der_ocsp_response(der)
    assert single.certificate_status is ocsp.OCSPCertStatus.REVOKED
    with pytest.raises(CertificateRevoked) as caught:
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)
    assert caught.value.revoked_at == NOW - dt.timedelta(days=1)
    assert caught.value.reason is x509.ReasonFlags.key_compromise


def test_unknown_certificate(
    make_responder: Make, auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    der = make_responder().respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    assert ocsp.load_der_ocsp_response(der).certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    with pytest.raises(RevocationUnknown) as caught:
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)
    assert caught.value.detail == "unknown"


def test_response_is_signed_by_the_delegated_responder_and_carries_its_certificate(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
    auth_responder_cert: x509.Certificate,
) -> None:
    table.good(auth_cert.serial_number)
    response = ocsp.load_der_ocsp_response(
        make_responder().respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    )
    assert response.certificates == [auth_responder_cert]
    assert (
        response.responder_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(auth_responder_cert.public_key()).digest
    )
    assert isinstance(response.signature_hash_algorithm, hashes.SHA256)


def test_status_lookup_gets_the_sha1_issuer_key_hash_and_serial(
    auth_ca: CertificateAuthority,
    auth_cert: x509.Certificate,
    auth_responder_cert: x509.Certificate,
    auth_responder_key: rsa.RSAPrivateKey,
) -> None:
    seen: list[tuple[bytes, int]] = []

    def lookup(issuer_key_hash: bytes, serial: int) -> CertStatus:
        seen.append((issuer_key_hash, serial))
        return GOOD

    responder = OCSPResponder(
        issuer=auth_ca.certificate,
        certificate=auth_responder_cert,
        signer=LocalSigner(auth_responder_key),
        status_of=lookup,
    )
    request = build_ocsp_request(auth_cert, auth_ca.certificate, algorithm=hashes.SHA256())
    responder.respond(request, now=NOW)
    ski = auth_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert seen == [(ski.value.digest, auth_cert.serial_number)]
    assert responder.issuer_key_hash == ski.value.digest


def test_sha256_cert_id_is_answered_with_the_same_cert_id(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    request = build_ocsp_request(auth_cert, auth_ca.certificate, algorithm=hashes.SHA256())
    der = make_responder().respond(request, now=NOW)
    assert isinstance(ocsp.load_der_ocsp_response(der).hash_algorithm, hashes.SHA256)
    check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)


def test_nonce_is_echoed(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    nonce = bytes(range(16))
    der = make_responder().respond(
        build_ocsp_request(auth_cert, auth_ca.certificate, nonce), now=NOW
    )
    echoed = (
        ocsp.load_der_ocsp_response(der)
        .extensions.get_extension_for_class(x509.OCSPNonce)
        .value.nonce
    )
    assert echoed == nonce
    check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW, nonce=nonce)
    with pytest.raises(OCSPResponseInvalid) as caught:
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW, nonce=b"another nonce")
    assert caught.value.code == "nonce_mismatch"


def test_a_response_without_the_expected_nonce_is_refused(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    der = make_responder().respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    with pytest.raises(OCSPResponseInvalid):
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW, nonce=b"0123456789abcdef")


# --- the cache ---------------------------------------------------------------------------------


def test_cached_answer_is_reused_without_nonce(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder(reuse_for=dt.timedelta(minutes=5))
    request = build_ocsp_request(auth_cert, auth_ca.certificate)
    first = responder.respond(request, now=NOW)
    second = responder.respond(request, now=NOW + dt.timedelta(minutes=4))
    assert second == first
    assert (responder.stats.hits, responder.stats.misses) == (1, 1)
    assert table.calls == 2  # the status is looked up every time; only the signature is saved
    # The reused answer is still valid at the time of the second request.
    check_ocsp_response(second, auth_cert, auth_ca.certificate, NOW + dt.timedelta(minutes=4))


def test_cached_answer_is_refreshed_after_the_reuse_window(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder(reuse_for=dt.timedelta(minutes=5))
    request = build_ocsp_request(auth_cert, auth_ca.certificate)
    first = responder.respond(request, now=NOW)
    later = NOW + dt.timedelta(minutes=5)
    fresh = responder.respond(request, now=later)
    assert fresh != first
    assert check_ocsp_response(fresh, auth_cert, auth_ca.certificate, later).this_update == later


def test_revocation_is_never_hidden_by_a_cached_good(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder()
    request = build_ocsp_request(auth_cert, auth_ca.certificate)
    check_ocsp_response(responder.respond(request, now=NOW), auth_cert, auth_ca.certificate, NOW)
    table.revoke(auth_cert.serial_number, NOW + dt.timedelta(seconds=1))
    after = NOW + dt.timedelta(seconds=2)
    with pytest.raises(CertificateRevoked):
        check_ocsp_response(
            responder.respond(request, now=after), auth_cert, auth_ca.certificate, after
        )


def test_nonce_requests_are_signed_afresh_and_not_cached(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder()
    for nonce in (b"nonce-a", b"nonce-b", b"nonce-a"):
        der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate, nonce), now=NOW)
        check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW, nonce=nonce)
    assert responder.stats.size == 0 and responder.stats.hits == 0


def test_cache_is_bounded(
    make_responder: Make, table: StatusTable, auth_ca: CertificateAuthority
) -> None:
    responder = make_responder(cache_size=2)
    name_hash, key_hash = issuer_hashes(auth_ca.certificate, hashes.SHA1())
    for serial in (11, 12, 13):
        table.good(serial)
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(name_hash, key_hash, serial, hashes.SHA1())
            .build()
        )
        responder.respond(request.public_bytes(Encoding.DER), now=NOW)
    assert responder.stats.size == 2 and responder.stats.misses == 3


def test_cache_can_be_switched_off(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder(cache_size=0)
    request = build_ocsp_request(auth_cert, auth_ca.certificate)
    responder.respond(request, now=NOW)
    responder.respond(request, now=NOW)
    assert responder.stats.hits == 0 and responder.stats.misses == 2


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "der", [b"", b"\x30\x03\x02\x01\x01", b"not der at all", b"\x30\x82\xff\xff"]
)
def test_malformed_request(make_responder: Make, der: bytes) -> None:
    assert (
        status_of(make_responder().respond(der, now=NOW))
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_a_nonce_longer_than_32_bytes_is_malformed(
    make_responder: Make, auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    request = build_ocsp_request(auth_cert, auth_ca.certificate, b"x" * 33)
    assert (
        status_of(make_responder().respond(request, now=NOW))
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_a_certificate_of_another_ca_is_unauthorized(
    make_responder: Make, sign_cert: x509.Certificate, sign_ca: CertificateAuthority
) -> None:
    request = build_ocsp_request(sign_cert, sign_ca.certificate)
    der = make_responder().respond(request, now=NOW)
    assert status_of(der) is ocsp.OCSPResponseStatus.UNAUTHORIZED
    with pytest.raises(RevocationUnknown) as caught:
        check_ocsp_response(der, sign_cert, sign_ca.certificate, NOW)
    assert caught.value.detail == "unauthorized"


def test_an_unavailable_status_store_means_try_later(
    auth_ca: CertificateAuthority,
    auth_cert: x509.Certificate,
    auth_responder_cert: x509.Certificate,
    auth_responder_key: rsa.RSAPrivateKey,
) -> None:
    def down(issuer_key_hash: bytes, serial: int) -> CertStatus:
        raise Unavailable("revocation database is down")

    responder = OCSPResponder(
        issuer=auth_ca.certificate,
        certificate=auth_responder_cert,
        signer=LocalSigner(auth_responder_key),
        status_of=down,
    )
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    assert status_of(der) is ocsp.OCSPResponseStatus.TRY_LATER


def test_responder_refuses_a_certificate_that_is_not_a_delegated_responder(
    auth_ca: CertificateAuthority,
    auth_cert: x509.Certificate,
    auth_key: rsa.RSAPrivateKey,
    table: StatusTable,
) -> None:
    with pytest.raises(InvalidInput):
        OCSPResponder(
            issuer=auth_ca.certificate,
            certificate=auth_cert,
            signer=LocalSigner(auth_key),
            status_of=table,
        )


def test_responder_refuses_a_signer_for_another_key(
    auth_ca: CertificateAuthority,
    auth_responder_cert: x509.Certificate,
    auth_key: rsa.RSAPrivateKey,
    table: StatusTable,
) -> None:
    with pytest.raises(InvalidInput):
        OCSPResponder(
            issuer=auth_ca.certificate,
            certificate=auth_responder_cert,
            signer=LocalSigner(auth_key),
            status_of=table,
        )


def test_the_ca_itself_can_answer_with_a_remote_signer(
    auth_ca: CertificateAuthority,
    keys: list[rsa.RSAPrivateKey],
    auth_cert: x509.Certificate,
    table: StatusTable,
) -> None:
    table.good(auth_cert.serial_number)
    responder = OCSPResponder(
        issuer=auth_ca.certificate,
        certificate=auth_ca.certificate,
        signer=RemoteSigner(keys[1]),
        status_of=table,
    )
    der = responder.respond(build_ocsp_request(auth_cert, auth_ca.certificate), now=NOW)
    check_ocsp_response(der, auth_cert, auth_ca.certificate, NOW)


# --- the GET form (RFC 6960 Appendix A.1) -------------------------------------------------------


def test_get_path_round_trips_a_real_request(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    der = build_ocsp_request(auth_cert, auth_ca.certificate, b"n" * 16)
    path = encode_get_request(der)
    assert "/" not in path and "+" not in path
    assert decode_get_request(path) == der


@given(st.binary(min_size=1, max_size=300))
def test_get_path_round_trips(der: bytes) -> None:
    assert decode_get_request(encode_get_request(der)) == der


def test_get_path_accepts_raw_base64_and_missing_padding() -> None:
    import base64

    der = b"\x30\x03\x02\x01\xfb\xff"
    raw = base64.b64encode(der).decode()
    assert decode_get_request(raw) == der
    assert decode_get_request(raw.rstrip("=")) == der


@pytest.mark.parametrize("path", ["", "%%%", "not base64!", "A", "MA=A"])
def test_get_path_that_is_not_base64_is_refused(path: str) -> None:
    with pytest.raises(InvalidInput):
        decode_get_request(path)


def test_get_request_is_answered(
    make_responder: Make,
    table: StatusTable,
    auth_cert: x509.Certificate,
    auth_ca: CertificateAuthority,
) -> None:
    table.good(auth_cert.serial_number)
    responder = make_responder()
    path = encode_get_request(build_ocsp_request(auth_cert, auth_ca.certificate))
    check_ocsp_response(
        responder.respond_to_get(path, now=NOW), auth_cert, auth_ca.certificate, NOW
    )
    assert (
        status_of(responder.respond_to_get("!!", now=NOW))
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
