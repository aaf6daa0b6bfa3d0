"""A JPKI certificate authority: its certificate, a signer, and the issuing operations."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mynumber.errors import InvalidInput
from mynumber.pki.basic_items import BasicItems
from mynumber.pki.errors import MalformedCertificate
from mynumber.pki.names import Purpose, ca_of, purpose_of_ca
from mynumber.pki.profiles import (
    CA_YEARS,
    GEN2_CA_YEARS,
    KEY_SIZE,
    AuthCertificateRequest,
    SignCertificateRequest,
    auth_builder,
    ca_builder,
    ocsp_responder_builder,
    sign_builder,
)
from mynumber.pki.signer import (
    LocalSigner,
    PublicKey,
    Signer,
    as_private_key,
    hash_for,
)

OCSP_RESPONDER_LIFETIME = dt.timedelta(days=90)
"""Default life of a delegated responder certificate (it carries ocsp-nocheck: keep it short)."""

_MAX_SERIAL = 1 << 159  # RFC 5280 §4.1.2.2: at most 20 octets, positive


def _serial(serial_number: int | None) -> int:
    if serial_number is None:
        return x509.random_serial_number()
    if not isinstance(serial_number, int) or not 0 < serial_number < _MAX_SERIAL:
        raise InvalidInput(
            "serial_number must be a positive integer below 2**159", field="serial_number"
        )
    return serial_number


def _same_key(a: PublicKey, b: object) -> bool:
    if isinstance(a, rsa.RSAPublicKey):
        return isinstance(b, rsa.RSAPublicKey) and a.public_numbers() == b.public_numbers()
    return isinstance(b, ec.EllipticCurvePublicKey) and a.public_numbers() == b.public_numbers()


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """One JPKI CA (signing or user authentication) and the signer holding its key."""

    certificate: x509.Certificate
    signer: Signer

    def __post_init__(self) -> None:
        purpose_of_ca(self.certificate.subject)
        if not _same_key(self.signer.public_key(), self.certificate.public_key()):
            raise InvalidInput(
                "the signer's key does not match the CA certificate",
                field="signer",
                code="key_mismatch",
            )

    @property
    def purpose(self) -> Purpose:
        return purpose_of_ca(self.certificate.subject)

    @property
    def generation(self) -> int:
        """1: today's RSA-2048 hierarchy; 2: this project's P-384 model of the next one."""
        return ca_of(self.certificate.subject)[1]

    def sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        """Sign any certificate builder with the CA key (sha256WithRSAEncryption, or
        ecdsa-with-SHA384 in generation 2)."""
        key = as_private_key(self.signer)
        return builder.sign(key, hash_for(key))

    def _require(self, purpose: Purpose) -> None:
        if self.purpose is not purpose:
            raise InvalidInput(
                f"the {self.purpose.value} CA cannot issue {purpose.value} certificates",
                code="wrong_hierarchy",
            )

    def issue_auth(
        self,
        public_key: PublicKey,
        *,
        birth_date: dt.date,
        now: dt.datetime,
        ocsp_url: str,
        crl_url: str,
        subject_id: str | None = None,
        serial_number: int | None = None,
        card_expiry: dt.date | None = None,
    ) -> x509.Certificate:
        """A user-authentication certificate for ``public_key``, valid to the 5th birthday
        (generation 2: the 10th plus a month) or ``card_expiry`` if that comes first."""
        self._require(Purpose.AUTH)
        request = (
            AuthCertificateRequest(public_key, birth_date, ocsp_url, crl_url)
            if subject_id is None
            else AuthCertificateRequest(public_key, birth_date, ocsp_url, crl_url, subject_id)
        )
        return self.sign(
            auth_builder(
                request,
                issuer=self.certificate,
                now=now,
                serial_number=_serial(serial_number),
                card_expiry=card_expiry,
            )
        )

    def issue_sign(
        self,
        public_key: PublicKey,
        *,
        items: BasicItems,
        now: dt.datetime,
        ocsp_url: str,
        crl_url: str,
        subject_id: str | None = None,
        serial_number: int | None = None,
        card_expiry: dt.date | None = None,
    ) -> x509.Certificate:
        """A signing certificate carrying ``items``; refuses a person under 15. It ends with
        its own term or ``card_expiry``, whichever comes first."""
        self._require(Purpose.SIGN)
        request = (
            SignCertificateRequest(public_key, items, ocsp_url, crl_url)
            if subject_id is None
            else SignCertificateRequest(public_key, items, ocsp_url, crl_url, subject_id)
        )
        return self.sign(
            sign_builder(
                request,
                issuer=self.certificate,
                now=now,
                serial_number=_serial(serial_number),
                card_expiry=card_expiry,
            )
        )

    def issue_ocsp_responder(
        self,
        public_key: PublicKey,
        *,
        now: dt.datetime,
        lifetime: dt.timedelta = OCSP_RESPONDER_LIFETIME,
        serial_number: int | None = None,
    ) -> x509.Certificate:
        """A delegated OCSP responder certificate for this CA."""
        return self.sign(
            ocsp_responder_builder(
                public_key,
                issuer=self.certificate,
                purpose=self.purpose,
                now=now,
                lifetime=lifetime,
                serial_number=_serial(serial_number),
            )
        )


def generate_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key (e = 65537); ~60 ms."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def generate_gen2_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-384 key for the generation-2 hierarchy."""
    return ec.generate_private_key(ec.SECP384R1())


def create_root(
    purpose: Purpose,
    now: dt.datetime,
    *,
    signer: Signer | None = None,
    years: int | None = None,
    crl_url: str | None = None,
    serial_number: int | None = None,
    generation: int = 1,
) -> CertificateAuthority:
    """A self-signed JPKI CA for ``purpose``; generates a key unless given a signer.

    ``generation`` 2 makes this project's model of the next card's CA: P-384, SHA-384,
    20 years by default (its certificates run 10). A given signer's key decides the
    generation (RSA-2048 → 1, P-384 → 2).
    """
    if generation not in (1, 2):
        raise InvalidInput("a JPKI hierarchy generation is 1 or 2", field="generation")
    if signer is None:
        signer = LocalSigner(generate_gen2_key() if generation == 2 else generate_key())
    public = signer.public_key()
    if years is None:
        years = GEN2_CA_YEARS if isinstance(public, ec.EllipticCurvePublicKey) else CA_YEARS
    builder = ca_builder(
        purpose,
        public,
        now=now,
        serial_number=_serial(serial_number),
        years=years,
        crl_url=crl_url,
    )
    key = as_private_key(signer)
    return CertificateAuthority(builder.sign(key, hash_for(key)), signer)


# ---------------------------------------------------------------------------------------------
# Storage of a CA key pair (demo values in J-LIS's data folder)


def dump_authority(
    authority: CertificateAuthority,
    *,
    encoding: serialization.Encoding = serialization.Encoding.PEM,
    password: bytes | None = None,
) -> tuple[bytes, bytes]:
    """(certificate, PKCS#8 private key) in PEM or DER; the key encrypted if ``password``."""
    if not isinstance(authority.signer, LocalSigner):
        raise InvalidInput("only a local CA key can be exported", code="remote_key")
    if encoding not in (serialization.Encoding.PEM, serialization.Encoding.DER):
        raise InvalidInput("encoding must be PEM or DER", field="encoding")
    protection: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    key = authority.signer.private_key.private_bytes(
        encoding, serialization.PrivateFormat.PKCS8, protection
    )
    return authority.certificate.public_bytes(encoding), key


def load_authority(
    certificate: bytes, private_key: bytes, *, password: bytes | None = None
) -> CertificateAuthority:
    """Inverse of :func:`dump_authority`; PEM or DER is recognised from the bytes."""
    try:
        if certificate.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(certificate)
        else:
            cert = x509.load_der_x509_certificate(certificate)
    except ValueError as exc:
        raise MalformedCertificate("CA certificate cannot be parsed") from exc
    try:
        if private_key.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(private_key, password)
        else:
            key = serialization.load_der_private_key(private_key, password)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "CA private key cannot be loaded (wrong password?)", field="private_key"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidInput("CA private key is neither RSA nor EC", field="private_key")
    return CertificateAuthority(cert, LocalSigner(key))


def save_authority(
    authority: CertificateAuthority,
    certificate_path: Path,
    key_path: Path,
    *,
    encoding: serialization.Encoding = serialization.Encoding.PEM,
    password: bytes | None = None,
) -> None:
    """Write the CA certificate and key; the key file is created readable by its owner only."""
    cert_bytes, key_bytes = dump_authority(authority, encoding=encoding, password=password)
    Path(certificate_path).write_bytes(cert_bytes)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)


def read_authority(
    certificate_path: Path, key_path: Path, *, password: bytes | None = None
) -> CertificateAuthority:
    """Inverse of :func:`save_authority`."""
    return load_authority(
        Path(certificate_path).read_bytes(), Path(key_path).read_bytes(), password=password
    )
