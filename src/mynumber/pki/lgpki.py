"""LGPKI (地方公共団体組織認証基盤): the root J-LIS operates for local governments, and the
職責証明書 it issues to a post-holder such as a mayor (市区町村長).

The real LGPKI publishes its profiles only in part; the names, policy OID and lifetimes here
are this project's choice: a self-signed RSA-2048 root ``C=JP, O=LGPKI, OU=Application CA2
Root`` and, under it, an end-entity certificate naming the post (``title``), its holder and
the municipality, with digitalSignature + nonRepudiation for signing official documents.
Pure: ``cryptography`` only.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

#: this project's private arc for its LGPKI 職責証明書 policy (not the real OID)
POLICY_OFFICIAL = x509.ObjectIdentifier("1.3.6.1.4.1.55555.2.1")
ROOT_YEARS = 20
OFFICIAL_YEARS = 3

ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LGPKI"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Application CA2 Root"),
    ]
)


def create_root(key: rsa.RSAPrivateKey, now: dt.datetime) -> x509.Certificate:
    """The self-signed LGPKI root for ``key``."""
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(ROOT_NAME)
        .issuer_name(ROOT_NAME)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def official_name(*, prefecture: str, municipality: str, title: str, holder: str) -> x509.Name:
    """The subject of a 職責証明書: the post and its holder, in the municipality."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, prefecture),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, municipality),
            x509.NameAttribute(NameOID.TITLE, title),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{title} {holder}"),
        ]
    )


def issue_official(
    root: x509.Certificate,
    root_key: rsa.RSAPrivateKey,
    public_key: rsa.RSAPublicKey,
    subject: x509.Name,
    now: dt.datetime,
) -> x509.Certificate:
    """A 職責証明書 for ``public_key`` under ``root`` (valid :data:`OFFICIAL_YEARS`)."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(
            min(now + dt.timedelta(days=365 * OFFICIAL_YEARS), root.not_valid_after_utc)
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(POLICY_OFFICIAL, None)]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
