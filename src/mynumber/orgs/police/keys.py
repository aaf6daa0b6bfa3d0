"""The police's licence-signing key and certificate, with the root readers trust.

DEMO values made on first use in ``DATA/police`` (``licence-signer.key``, ``licence-signer.pem``
and ``police-root.pem``, the trust anchor ``mynumber licence read`` takes): the police's real
signing scheme is not public (this project's choice: ECDSA P-256 under a root of its own).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

ROOT_FILE = "police-root.pem"
_lock = threading.Lock()


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def licence_signer(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The licence-signing key and certificate in ``folder``, made on first use."""
    key_path, cert_path = folder / "licence-signer.key", folder / "licence-signer.pem"
    with _lock:
        if not key_path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            root_key = ec.generate_private_key(ec.SECP256R1())
            key = ec.generate_private_key(ec.SECP256R1())
            root_name = x509.Name(
                [x509.NameAttribute(NameOID.COMMON_NAME, "DEMO police licence root")]
            )
            name = x509.Name(
                [x509.NameAttribute(NameOID.COMMON_NAME, "DEMO 公安委員会 licence signer")]
            )
            root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True)
            cert = _certificate(name, root_name, key.public_key(), root_key, ca=False)
            (folder / ROOT_FILE).write_bytes(root.public_bytes(Encoding.PEM))
            cert_path.write_bytes(cert.public_bytes(Encoding.PEM))
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            tmp = key_path.with_suffix(".tmp")
            tmp.write_bytes(b"# DEMO police licence-signing key (demo value)\n" + pem)
            tmp.chmod(0o600)
            tmp.replace(key_path)
    pem = b"\n".join(
        line for line in key_path.read_bytes().splitlines() if not line.startswith(b"#")
    )
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError("the police licence-signing key is not an EC key")
    return loaded, x509.load_pem_x509_certificate(cert_path.read_bytes())
