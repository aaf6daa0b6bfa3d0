"""Certificate profiles: the two CAs, the two user certificates, the OCSP responder, validity."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from pkikit import ADDRESS, BIRTH_DATE, CRL_URL, NAME, NOW, OCSP_URL, RemoteSigner

from mynumber.errors import InvalidInput
from mynumber.pki import (
    BasicItems,
    CertificateAuthority,
    Gender,
    LocalSigner,
    Purpose,
    create_root,
    dump_authority,
    encode_birth_date,
    load_authority,
    oids,
    read_authority,
    read_basic_items,
    require_signing_age,
    save_authority,
    validity_end,
    verify_chain,
)
from mynumber.pki.profiles import age_on

JST = dt.timezone(dt.timedelta(hours=9))


T = TypeVar("T", bound=x509.ExtensionType)


def ext(cert: x509.Certificate, kind: type[T]) -> x509.Extension[T]:
    return cert.extensions.get_extension_for_class(kind)


# --- CA certificates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "unit", "unit_ja"),
    [
        (Purpose.SIGN, "JPKI for digital signature", "公的個人認証サービス署名用"),
        (Purpose.AUTH, "JPKI for user authentication", "公的個人認証サービス利用者証明用"),
    ],
)
def test_ca_certificate_follows_the_jlis_profile(
    purpose: Purpose,
    unit: str,
    unit_ja: str,
    sign_ca: CertificateAuthority,
    auth_ca: CertificateAuthority,
) -> None:
    cert = (sign_ca if purpose is Purpose.SIGN else auth_ca).certificate
    expected = f"OU=Japan Agency for Local Authority Information Systems,OU={unit},O=JPKI,C=JP"
    assert cert.subject.rfc4514_string() == expected
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(key)
    (point,) = ext(cert, x509.CRLDistributionPoints).value
    assert point.full_name == [x509.DirectoryName(cert.subject)]
    (alt,) = ext(cert, x509.SubjectAlternativeName).value
    assert alt.value.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == unit_ja


def test_ca_validity_ends_at_jst_midnight_before_the_tenth_anniversary(
    keys: list[rsa.RSAPrivateKey],
) -> None:
    start = dt.datetime(2023, 7, 16, 0, 50, 27, tzinfo=dt.UTC)  # the 2023 J-LIS CA
    ca = create_root(Purpose.SIGN, start, signer=LocalSigner(keys[0]))
    assert ca.certificate.not_valid_before_utc == start
    assert ca.certificate.not_valid_after_utc == dt.datetime(2033, 7, 15, 14, 59, 59, tzinfo=dt.UTC)


def test_ca_crl_url_is_added_beside_the_dirname(keys: list[rsa.RSAPrivateKey]) -> None:
    ca = create_root(Purpose.AUTH, NOW, signer=LocalSigner(keys[1]), crl_url="http://127.0.0.1/arl")
    (point,) = ext(ca.certificate, x509.CRLDistributionPoints).value
    assert x509.UniformResourceIdentifier("http://127.0.0.1/arl") in point.full_name


def test_given_serial_number_is_used_and_random_ones_differ(
    auth_ca: CertificateAuthority, auth_key: rsa.RSAPrivateKey
) -> None:
    given = auth_ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
        serial_number=12345,
    )
    assert given.serial_number == 12345
    a, b = (
        auth_ca.issue_auth(
            auth_key.public_key(),
            birth_date=BIRTH_DATE,
            now=NOW,
            ocsp_url=OCSP_URL[Purpose.AUTH],
            crl_url=CRL_URL[Purpose.AUTH],
        )
        for _ in range(2)
    )
    assert a.serial_number != b.serial_number and a.serial_number.bit_length() > 64
    assert a.subject != b.subject  # a fresh opaque CN each time


# --- user-authentication certificate -----------------------------------------------------------


def test_auth_certificate_contains_no_personal_data(auth_cert: x509.Certificate) -> None:
    der = auth_cert.public_bytes(serialization.Encoding.DER)
    for secret in (
        NAME,
        ADDRESS,
        "試験",
        "花子",
        "千代田",
        encode_birth_date(BIRTH_DATE),
        "19900102",
    ):
        assert secret.encode("utf-8") not in der
    for secret in (NAME, ADDRESS):
        assert secret.encode("utf-16-be") not in der
    oids_present = {e.oid for e in auth_cert.extensions}
    assert x509.SubjectAlternativeName.oid not in oids_present
    assert [a.oid for a in auth_cert.subject] == [NameOID.COUNTRY_NAME, NameOID.COMMON_NAME]


def test_auth_certificate_profile(
    auth_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    auth_cert.verify_directly_issued_by(auth_ca.certificate)
    usage = ext(auth_cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and not usage.value.content_commitment
    (policy,) = ext(auth_cert, x509.CertificatePolicies).value
    assert policy.policy_identifier == oids.POLICY_AUTH
    (access,) = ext(auth_cert, x509.AuthorityInformationAccess).value
    assert access.access_method == AuthorityInformationAccessOID.OCSP
    assert access.access_location.value == OCSP_URL[Purpose.AUTH]
    (point,) = ext(auth_cert, x509.CRLDistributionPoints).value
    assert point.full_name == [x509.UniformResourceIdentifier(CRL_URL[Purpose.AUTH])]
    aki = ext(auth_cert, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(auth_ca.certificate, x509.SubjectKeyIdentifier).value.digest
    assert not ext(auth_cert, x509.BasicConstraints).value.ca


def test_auth_certificate_is_issued_to_a_child(
    auth_ca: CertificateAuthority, auth_key: rsa.RSAPrivateKey
) -> None:
    cert = auth_ca.issue_auth(
        auth_key.public_key(),
        birth_date=dt.date(2020, 6, 1),
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )
    assert cert.not_valid_after_utc.astimezone(JST).date() == dt.date(2030, 6, 1)


# --- signing certificate -----------------------------------------------------------------------


def test_sign_certificate_round_trips_the_four_basic_items(
    sign_cert: x509.Certificate, items: BasicItems
) -> None:
    read = read_basic_items(sign_cert)
    assert read == items
    assert (read.name, read.address, read.birth_date, read.gender) == (
        NAME,
        ADDRESS,
        BIRTH_DATE,
        Gender.FEMALE,
    )


def test_sign_certificate_profile(
    sign_cert: x509.Certificate, sign_ca: CertificateAuthority
) -> None:
    sign_cert.verify_directly_issued_by(sign_ca.certificate)
    usage = ext(sign_cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    (policy,) = ext(sign_cert, x509.CertificatePolicies).value
    assert policy.policy_identifier == oids.POLICY_SIGN
    names = ext(sign_cert, x509.SubjectAlternativeName).value
    assert [n.type_id for n in names] == [
        oids.NAME,
        oids.GENDER,
        oids.DATE_OF_BIRTH,
        oids.ADDRESS,
    ]


def test_sign_certificate_carries_substitute_characters_when_given(
    sign_ca: CertificateAuthority, sign_key: rsa.RSAPrivateKey
) -> None:
    items = BasicItems(
        NAME, Gender.MALE, BIRTH_DATE, ADDRESS, name_substitute="2", address_substitute="5"
    )
    cert = sign_ca.issue_sign(
        sign_key.public_key(),
        items=items,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.SIGN],
        crl_url=CRL_URL[Purpose.SIGN],
    )
    assert read_basic_items(cert) == items


def test_read_basic_items_of_an_auth_certificate_is_malformed(auth_cert: x509.Certificate) -> None:
    from mynumber.pki import MalformedCertificate

    with pytest.raises(MalformedCertificate):
        read_basic_items(auth_cert)


def test_sign_certificate_is_refused_under_15(
    sign_ca: CertificateAuthority, sign_key: rsa.RSAPrivateKey
) -> None:
    issued_on = NOW.astimezone(JST).date()  # 2026-04-01
    young = BasicItems(
        NAME,
        Gender.MALE,
        issued_on.replace(year=issued_on.year - 15) + dt.timedelta(days=1),
        ADDRESS,
    )
    with pytest.raises(InvalidInput, match="under 15") as caught:
        sign_ca.issue_sign(
            sign_key.public_key(),
            items=young,
            now=NOW,
            ocsp_url=OCSP_URL[Purpose.SIGN],
            crl_url=CRL_URL[Purpose.SIGN],
        )
    assert caught.value.code == "under_signing_age" and caught.value.field == "birth_date"
    assert str(young.birth_date.year) not in str(caught.value)


def test_sign_certificate_is_issued_on_the_15th_birthday(
    sign_ca: CertificateAuthority, sign_key: rsa.RSAPrivateKey
) -> None:
    issued_on = NOW.astimezone(JST).date()
    fifteen = BasicItems(NAME, Gender.MALE, issued_on.replace(year=issued_on.year - 15), ADDRESS)
    cert = sign_ca.issue_sign(
        sign_key.public_key(),
        items=fifteen,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.SIGN],
        crl_url=CRL_URL[Purpose.SIGN],
    )
    assert cert.not_valid_after_utc.astimezone(JST).date() == issued_on.replace(
        year=issued_on.year + 5
    )


@pytest.mark.parametrize(
    ("birth", "issued_on", "refused"),
    [
        (dt.date(2011, 2, 28), dt.date(2026, 2, 27), True),
        (dt.date(2011, 2, 28), dt.date(2026, 2, 28), False),
        (dt.date(2012, 2, 29), dt.date(2027, 2, 28), True),  # 29 Feb: 15 only from 1 March
        (dt.date(2012, 2, 29), dt.date(2027, 3, 1), False),
        (dt.date(2012, 2, 29), dt.date(2028, 2, 29), False),
    ],
)
def test_signing_age_is_reckoned_by_japanese_law(
    birth: dt.date, issued_on: dt.date, refused: bool
) -> None:
    if refused:
        with pytest.raises(InvalidInput):
            require_signing_age(birth, issued_on)
    else:
        require_signing_age(birth, issued_on)


def test_age_on_counts_completed_years() -> None:
    assert age_on(dt.date(2000, 6, 15), dt.date(2015, 6, 14)) == 14
    assert age_on(dt.date(2000, 6, 15), dt.date(2015, 6, 15)) == 15


def test_wrong_hierarchy_is_refused(
    auth_ca: CertificateAuthority,
    sign_ca: CertificateAuthority,
    sign_key: rsa.RSAPrivateKey,
    items: BasicItems,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        auth_ca.issue_sign(
            sign_key.public_key(),
            items=items,
            now=NOW,
            ocsp_url=OCSP_URL[Purpose.SIGN],
            crl_url=CRL_URL[Purpose.SIGN],
        )
    assert caught.value.code == "wrong_hierarchy"
    with pytest.raises(InvalidInput):
        sign_ca.issue_auth(
            sign_key.public_key(),
            birth_date=BIRTH_DATE,
            now=NOW,
            ocsp_url=OCSP_URL[Purpose.AUTH],
            crl_url=CRL_URL[Purpose.AUTH],
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ocsp_url", "ldap://127.0.0.1/ocsp"),
        ("ocsp_url", "/ocsp"),
        ("crl_url", "http://127.0.0.1/crl 2"),
        ("subject_id", "not-opaque"),
        ("now", dt.datetime(2026, 4, 1, 10, 0)),
    ],
)
def test_issue_refuses_bad_inputs(
    field: str, value: object, auth_ca: CertificateAuthority, auth_key: rsa.RSAPrivateKey
) -> None:
    kwargs: dict[str, object] = {
        "birth_date": BIRTH_DATE,
        "now": NOW,
        "ocsp_url": OCSP_URL[Purpose.AUTH],
        "crl_url": CRL_URL[Purpose.AUTH],
    }
    kwargs[field] = value
    with pytest.raises(InvalidInput):
        auth_ca.issue_auth(auth_key.public_key(), **kwargs)  # type: ignore[arg-type]


def test_issue_refuses_a_key_that_is_not_rsa_2048(auth_ca: CertificateAuthority) -> None:
    with pytest.raises(InvalidInput) as caught:
        auth_ca.issue_auth(
            ec.generate_private_key(ec.SECP256R1()).public_key(),  # type: ignore[arg-type]
            birth_date=BIRTH_DATE,
            now=NOW,
            ocsp_url=OCSP_URL[Purpose.AUTH],
            crl_url=CRL_URL[Purpose.AUTH],
        )
    assert caught.value.field == "public_key"


# --- OCSP responder certificate ----------------------------------------------------------------


def test_ocsp_responder_certificate_is_a_delegated_responder(
    auth_responder_cert: x509.Certificate, auth_ca: CertificateAuthority
) -> None:
    auth_responder_cert.verify_directly_issued_by(auth_ca.certificate)
    assert ExtendedKeyUsageOID.OCSP_SIGNING in ext(auth_responder_cert, x509.ExtendedKeyUsage).value
    ext(auth_responder_cert, x509.OCSPNoCheck)
    assert (
        auth_responder_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == "OCSP Responder"
    )


# --- validity to the 5th birthday --------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "issued_on", "end"),
    [
        (
            dt.date(1990, 6, 15),
            dt.date(2026, 4, 1),
            dt.date(2030, 6, 15),
        ),  # birthday later this year
        (dt.date(1990, 1, 2), dt.date(2026, 4, 1), dt.date(2031, 1, 2)),  # birthday already passed
        (
            dt.date(1990, 4, 1),
            dt.date(2026, 4, 1),
            dt.date(2031, 4, 1),
        ),  # birthday on the issue day
        (dt.date(1990, 4, 2), dt.date(2026, 4, 1), dt.date(2030, 4, 2)),  # birthday the next day
        (
            dt.date(2000, 2, 29),
            dt.date(2026, 4, 1),
            dt.date(2031, 2, 28),
        ),  # 29 Feb, common year end
        (dt.date(2000, 2, 29), dt.date(2023, 4, 1), dt.date(2028, 2, 29)),  # 29 Feb, leap year end
        (
            dt.date(2000, 2, 29),
            dt.date(2023, 2, 28),
            dt.date(2028, 2, 29),
        ),  # 28 Feb counts as the day
        (dt.date(2000, 2, 29), dt.date(2024, 2, 29), dt.date(2029, 2, 28)),  # issued on 29 Feb
        (dt.date(2026, 4, 1), dt.date(2026, 4, 1), dt.date(2031, 4, 1)),  # born on the issue day
    ],
)
def test_validity_ends_on_the_fifth_birthday_after_issue(
    birth: dt.date, issued_on: dt.date, end: dt.date
) -> None:
    assert validity_end(birth, issued_on) == end


def test_validity_end_refuses_birth_after_issue() -> None:
    with pytest.raises(InvalidInput):
        validity_end(dt.date(2026, 4, 2), dt.date(2026, 4, 1))


def test_user_certificate_expires_at_the_end_of_the_fifth_birthday_in_japan(
    sign_cert: x509.Certificate, auth_cert: x509.Certificate
) -> None:
    # issued 2026-04-01, born 1990-01-02 → 2031-01-02 23:59:59 JST
    expected = dt.datetime(2031, 1, 2, 23, 59, 59, tzinfo=JST)
    assert sign_cert.not_valid_after_utc == expected
    assert auth_cert.not_valid_after_utc == expected
    assert auth_cert.not_valid_before_utc == NOW


# --- the signer port and storage ---------------------------------------------------------------


def test_a_remote_signer_can_run_the_ca(
    keys: list[rsa.RSAPrivateKey], auth_key: rsa.RSAPrivateKey
) -> None:
    signer = RemoteSigner(keys[7])
    ca = create_root(Purpose.AUTH, NOW - dt.timedelta(days=1), signer=signer)
    cert = ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )
    assert signer.calls == 2
    assert verify_chain(cert, [ca.certificate], NOW, purpose=Purpose.AUTH) == ca.certificate
    with pytest.raises(InvalidInput):
        dump_authority(ca)


def test_ca_refuses_a_signer_for_another_key(
    auth_ca: CertificateAuthority, keys: list[rsa.RSAPrivateKey]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        CertificateAuthority(auth_ca.certificate, LocalSigner(keys[7]))
    assert caught.value.code == "key_mismatch"


def test_local_signer_repr_hides_the_key(keys: list[rsa.RSAPrivateKey]) -> None:
    assert repr(LocalSigner(keys[0])) == "LocalSigner(<RSA-2048 private key>)"


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
@pytest.mark.parametrize("password", [None, b"demo-password"])
def test_ca_key_pair_round_trips(
    auth_ca: CertificateAuthority, encoding: serialization.Encoding, password: bytes | None
) -> None:
    cert, key = dump_authority(auth_ca, encoding=encoding, password=password)
    loaded = load_authority(cert, key, password=password)
    assert loaded.certificate == auth_ca.certificate
    assert loaded.purpose is Purpose.AUTH


def test_ca_key_pair_files_round_trip_with_a_private_key_file(
    sign_ca: CertificateAuthority, tmp_path: Path
) -> None:
    cert_path, key_path = tmp_path / "sign-ca.pem", tmp_path / "sign-ca.key.pem"
    save_authority(sign_ca, cert_path, key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert read_authority(cert_path, key_path).certificate == sign_ca.certificate


def test_loading_with_a_wrong_password_is_invalid_input(auth_ca: CertificateAuthority) -> None:
    cert, key = dump_authority(auth_ca, password=b"right")
    with pytest.raises(InvalidInput):
        load_authority(cert, key, password=b"wrong")
