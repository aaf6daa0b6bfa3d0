"""J-LIS as the operator of LGPKI (地方公共団体組織認証基盤): its root key and the
職責証明書 it issues to each municipality's mayor. Demo values, made on first use in
``DATA/jlis/lgpki/`` and kept (the key readable by its owner only)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mynumber.errors import InvalidInput
from mynumber.pki import generate_key, lgpki

_DEMO_NOTE = b"# DEMO KEY of the mynumber sandbox LGPKI root - never use it elsewhere\n"


@dataclass(frozen=True, slots=True)
class LgpkiRoot:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    def __repr__(self) -> str:
        return "LgpkiRoot(<J-LIS LGPKI key>)"


class LgpkiAuthority:
    """The LGPKI root, loaded once (created on first use; thread- and process-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "jlis" / "lgpki"
        self._lock = threading.Lock()
        self._root: LgpkiRoot | None = None

    def root(self) -> LgpkiRoot:
        with self._lock:
            if self._root is None:
                self._root = self._load_or_create()
            return self._root

    def _load_or_create(self) -> LgpkiRoot:
        cert_path, key_path = self.folder / "ca.pem", self.folder / "ca.key"
        if not cert_path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            key = generate_key()
            now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            cert = lgpki.create_root(key, now)
            tag = f"{os.getpid()}.{secrets.token_hex(4)}"
            key_tmp = self.folder / f".ca.key.{tag}"
            cert_tmp = self.folder / f".ca.pem.{tag}"
            fd = os.open(key_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(
                    _DEMO_NOTE
                    + key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            cert_tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            try:  # the key first: a certificate file is only ever beside its key
                os.link(key_tmp, key_path)
                os.link(cert_tmp, cert_path)
            except FileExistsError:
                pass
            finally:
                key_tmp.unlink()
                cert_tmp.unlink()
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise TypeError("the LGPKI root key is RSA")
        return LgpkiRoot(cert, loaded)

    def ca_pem(self) -> bytes:
        return self.root().certificate.public_bytes(serialization.Encoding.PEM)

    def issue_official(
        self, *, public_key_pem: str, prefecture: str, municipality: str, title: str, holder: str
    ) -> x509.Certificate:
        """A 職責証明書 for the post ``title`` held by ``holder`` at ``municipality``."""
        try:
            public = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidInput("the public key is not PEM", field="public_key_pem") from exc
        if not isinstance(public, rsa.RSAPublicKey) or public.key_size != 2048:
            raise InvalidInput("the public key must be RSA-2048", field="public_key_pem")
        root = self.root()
        subject = lgpki.official_name(
            prefecture=prefecture, municipality=municipality, title=title, holder=holder
        )
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        return lgpki.issue_official(root.certificate, root.key, public, subject, now)
