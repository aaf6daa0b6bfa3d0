"""The mayor's signing key and 職責証明書 (LGPKI), with which コンビニ交付 certificates are
signed. The key is made here, on first need, and never leaves the municipality's data
folder (``DATA/municipality-<code>/mayor.key``, a demo value); J-LIS certifies its public
key under the LGPKI root."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mynumber.orgs.municipality.clients import LgpkiClient
from mynumber.orgs.municipality.kiosk_model import MAYORS, mayor_title
from mynumber.orgs.municipality.model import Municipality
from mynumber.orgs.municipality.services.kiosk_pdf import MayorSigner

_DEMO_NOTE = b"# DEMO KEY of the mynumber sandbox: a mayor's LGPKI key - never use it elsewhere\n"


class MayorKeys:
    def __init__(self, folder: Path, municipality: Municipality, lgpki: LgpkiClient) -> None:
        self.folder = folder
        self.municipality = municipality
        self.lgpki = lgpki
        self._lock = threading.Lock()
        self._signer: MayorSigner | None = None

    @property
    def name(self) -> str:
        return MAYORS.get(self.municipality.code, "市長 太郎")

    @property
    def title(self) -> str:
        return mayor_title(self.municipality.name)

    def signer(self) -> MayorSigner:
        with self._lock:
            if self._signer is None:
                self._signer = self._load_or_certify()
            return self._signer

    def _load_or_certify(self) -> MayorSigner:
        key_path = self.folder / "mayor.key"
        cert_path = self.folder / "mayor.pem"
        root_path = self.folder / "lgpki-ca.pem"
        self.folder.mkdir(parents=True, exist_ok=True)
        if not key_path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = key_path.with_name(f".mayor.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_DEMO_NOTE + pem)
            try:
                os.link(tmp, key_path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise TypeError("the mayor's key is RSA")
        if not cert_path.exists() or not root_path.exists():
            public = loaded.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            answer = self.lgpki.official(
                {
                    "public_key_pem": public.decode("ascii"),
                    "title": self.title,
                    "holder": self.name,
                    "prefecture": self.municipality.prefecture,
                    "municipality": self.municipality.name,
                }
            )
            root_path.write_text(answer["ca_pem"], encoding="ascii")
            cert_path.write_text(answer["certificate_pem"], encoding="ascii")
        return MayorSigner(
            key=loaded,
            certificate=x509.load_pem_x509_certificate(cert_path.read_bytes()),
            root=x509.load_pem_x509_certificate(root_path.read_bytes()),
        )
