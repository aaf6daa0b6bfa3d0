"""The platform's time-stamp authority (RFC 3161), for long-term validation of contracts.

This project's choice: the TSA is a service of the platform operator (real platforms buy
time-stamps from an accredited TSA under the 認定タイムスタンプ scheme). Its root and its
TSA certificate (EKU ``timeStamping``, critical, RFC 3161 §2.3) are made on first start in
the operator's data folder: **demo values**. pyHanko's :class:`DummyTimeStamper` builds
the ``TimeStampResp`` (TSTInfo signed with SHA-256, the nonce echoed, the TSA certificate
embedded); any RFC 3161 client (``openssl ts``, pyHanko's HTTP client) can ask.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from mynumber.errors import InvalidInput

ROOT_NAME = "Trust Platform Demo Time-Stamp Root"
TSA_NAME = "Trust Platform Demo TSA"
_YEARS = 10


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trust Platform (demo)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _make(now: dt.datetime) -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    root_key, tsa_key = _key(), _key()
    until = now + dt.timedelta(days=365 * _YEARS)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(ROOT_NAME))
        .issuer_name(_name(ROOT_NAME))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(TSA_NAME))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until - dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


@dataclass(frozen=True, slots=True, repr=False)
class TimeStampAuthority:
    """The TSA's certificates and key; :meth:`respond` answers a DER ``TimeStampReq``."""

    root: x509.Certificate
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @classmethod
    def load_or_create(cls, folder: Path) -> TimeStampAuthority:
        """The TSA kept in ``folder`` (``tsa-root.pem``, ``tsa.pem``, ``tsa.key``), made
        with demo values on first use."""
        files = [folder / n for n in ("tsa-root.pem", "tsa.pem", "tsa.key")]
        if not all(f.exists() for f in files):
            folder.mkdir(parents=True, exist_ok=True)
            root, tsa, key = _make(dt.datetime.now(dt.UTC).replace(microsecond=0))
            pem = serialization.Encoding.PEM
            blobs = [
                root.public_bytes(pem),
                tsa.public_bytes(pem),
                key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            ]
            for path, blob in zip(files, blobs, strict=True):
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(blob)
                tmp.chmod(0o600)
                tmp.replace(path)
        root = x509.load_pem_x509_certificate(files[0].read_bytes())
        tsa = x509.load_pem_x509_certificate(files[1].read_bytes())
        loaded = serialization.load_pem_private_key(files[2].read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise InvalidInput("the TSA key must be RSA", field="tsa.key")
        return cls(root, tsa, loaded)

    def stamper(self) -> DummyTimeStamper:
        """pyHanko's in-process TSA over this key (the platform stamps its own documents)."""
        der = serialization.Encoding.DER
        return DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.certificate.public_bytes(der)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.key.private_bytes(
                    der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
        )

    def respond(self, request_der: bytes) -> bytes:
        """The DER ``TimeStampResp`` to a DER ``TimeStampReq`` (SHA-256/384/512 imprints)."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            _ = request["nonce"].native
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput("not a DER TimeStampReq (RFC 3161)", field="body") from exc
        sizes = {"sha256": 32, "sha384": 48, "sha512": 64}
        if (
            algorithm not in sizes
            or not isinstance(digest, bytes)
            or len(digest) != sizes[algorithm]
        ):
            raise InvalidInput(
                "the message imprint must be a SHA-256, SHA-384 or SHA-512 digest", field="body"
            )
        return bytes(self.stamper().request_tsa_response(request).dump())

    def __repr__(self) -> str:
        return f"TimeStampAuthority({self.certificate.subject.rfc4514_string()})"
