"""J-LIS's JPKI key material: the two CAs, their OCSP responders, the text-AP key, the
card issuer master key. Demo values, made on first use in ``DATA/jlis/`` and kept.

Layout (every file made readable by its owner only where it holds a key)::

    DATA/jlis/ca/auth-ca.pem   auth-ca.key     利用者証明用 root CA
    DATA/jlis/ca/sign-ca.pem   sign-ca.key     署名用 root CA
    DATA/jlis/ca/auth-ocsp.pem sign-ocsp.pem   delegated OCSP responder: certificate + key
    DATA/jlis/ca/text-ap.key                   signs the text AP (券面事項入力補助AP) seal
    DATA/jlis/ca-g2/auth-ca.pem … sign-ocsp.pem    the generation-2 hierarchies (P-384,
                                                   ``auth-g2`` and ``sign-g2``), same layout
    DATA/jlis/card-issuer.key                  master of every card's issuer key (32 bytes)

Each of ``ca`` and ``ca-g2`` is built whole in a temporary folder and renamed into place, so two
processes starting at once end up with one set (the loser loads the winner's). A responder
certificate lives 90 days and carries ocsp-nocheck; within a week of its end it is renewed
on load (certificate and key replaced together in one file).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from mynumber.pki import (
    CertificateAuthority,
    Purpose,
    create_root,
    generate_gen2_key,
    generate_key,
    read_authority,
    save_authority,
)
from mynumber.platform.secrets import secret_bytes

RESPONDER_RENEW_BEFORE = dt.timedelta(days=7)
_DEMO_NOTE = b"# DEMO KEY of the mynumber sandbox J-LIS - never use it elsewhere\n"


ResponderKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _key_pem(key: ResponderKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _load_key(data: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("J-LIS keys are RSA")
    return key


def _load_responder_key(data: bytes) -> ResponderKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError("J-LIS responder keys are RSA (generation 1) or P-384 (generation 2)")
    return key


@dataclass(frozen=True, slots=True)
class Responder:
    """A delegated OCSP responder of one hierarchy: its certificate and key."""

    certificate: x509.Certificate
    key: ResponderKey


@dataclass(frozen=True, slots=True)
class Authority:
    """Everything J-LIS signs with, loaded."""

    cas: dict[Purpose, CertificateAuthority]
    responders: dict[Purpose, Responder]
    text_key: rsa.RSAPrivateKey
    issuer_master_key: bytes
    #: the generation-2 hierarchies (``auth-g2``, ``sign-g2``)
    cas_g2: dict[Purpose, CertificateAuthority]
    responders_g2: dict[Purpose, Responder]

    def ca(self, purpose: Purpose, generation: int = 1) -> CertificateAuthority:
        return (self.cas_g2 if generation == 2 else self.cas)[purpose]

    def responder(self, purpose: Purpose, generation: int = 1) -> Responder:
        return (self.responders_g2 if generation == 2 else self.responders)[purpose]

    def sign_text(self, data: bytes) -> bytes:
        """J-LIS's seal over the text AP (RSA PKCS#1 v1.5, SHA-256)."""
        return self.text_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def __repr__(self) -> str:
        return "Authority(<J-LIS keys>)"


def _responder_file(folder: Path, purpose: Purpose) -> Path:
    return folder / f"{purpose.value}-ocsp.pem"


def _new_responder(ca: CertificateAuthority, now: dt.datetime) -> bytes:
    key: ResponderKey = generate_gen2_key() if ca.generation == 2 else generate_key()
    cert = ca.issue_ocsp_responder(key.public_key(), now=now)
    return _DEMO_NOTE + cert.public_bytes(serialization.Encoding.PEM) + _key_pem(key)


def _create(folder: Path, now: dt.datetime, generation: int = 1) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.mkdir(mode=0o700)
    try:
        start = now - dt.timedelta(minutes=1)  # tolerate a verifier's clock a little behind
        for purpose in Purpose:
            ca = create_root(purpose, start, generation=generation)
            save_authority(ca, tmp / f"{purpose.value}-ca.pem", tmp / f"{purpose.value}-ca.key")
            _write_private(_responder_file(tmp, purpose), _new_responder(ca, start))
        if generation == 1:
            _write_private(tmp / "text-ap.key", _DEMO_NOTE + _key_pem(generate_key()))
        try:
            tmp.rename(folder)  # atomic; fails if another process got there first
        except OSError:
            if not folder.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _load_hierarchies(
    folder: Path, now: dt.datetime
) -> tuple[dict[Purpose, CertificateAuthority], dict[Purpose, Responder]]:
    cas = {
        purpose: read_authority(
            folder / f"{purpose.value}-ca.pem", folder / f"{purpose.value}-ca.key"
        )
        for purpose in Purpose
    }
    responders = {}
    for purpose, ca in cas.items():
        path = _responder_file(folder, purpose)
        data = path.read_bytes()
        cert = x509.load_pem_x509_certificate(data)
        if cert.not_valid_after_utc - now < RESPONDER_RENEW_BEFORE:
            data = _new_responder(ca, now - dt.timedelta(minutes=1))
            _write_private(path, data)
            cert = x509.load_pem_x509_certificate(data)
        responders[purpose] = Responder(cert, _load_responder_key(data))
    return cas, responders


def _load(folder: Path, folder_g2: Path, master: bytes, now: dt.datetime) -> Authority:
    cas, responders = _load_hierarchies(folder, now)
    cas_g2, responders_g2 = _load_hierarchies(folder_g2, now)
    text_key = _load_key((folder / "text-ap.key").read_bytes())
    return Authority(cas, responders, text_key, master, cas_g2, responders_g2)


class AuthorityStore:
    """Loads J-LIS's key material once, creating it on first use (thread-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "jlis" / "ca"
        self.folder_g2 = data_dir / "jlis" / "ca-g2"
        self.master_path = data_dir / "jlis" / "card-issuer.key"
        self._lock = threading.Lock()
        self._loaded: Authority | None = None

    def get(self) -> Authority:
        with self._lock:
            if self._loaded is None:
                now = dt.datetime.now(dt.UTC)
                if not self.folder.is_dir():
                    _create(self.folder, now)
                if not self.folder_g2.is_dir():  # a data folder from before generation 2
                    _create(self.folder_g2, now, generation=2)
                master = secret_bytes(self.master_path)
                self._loaded = _load(self.folder, self.folder_g2, master, now)
            return self._loaded

    def ca_certificate(self, purpose: Purpose, generation: int = 1) -> x509.Certificate:
        return self.get().ca(purpose, generation).certificate

    def roots(self, purpose: Purpose) -> list[x509.Certificate]:
        """The roots of ``purpose`` in both card generations: what J-LIS's own checks of a
        card's (or a phone's) signature trust."""
        return [self.ca_certificate(purpose, 1), self.ca_certificate(purpose, 2)]
