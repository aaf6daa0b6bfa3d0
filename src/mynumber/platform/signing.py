"""Signed requests between organisations (Ed25519).

Each organisation holds a key pair in ``DATA/keys/<org>.pem`` (a demo value, made on first
start). A request carries the sender, a time, a nonce and a signature over the method,
path, those two and the body's SHA-256; the receiver checks the sender is one it serves,
the time is within :data:`WINDOW_SECONDS`, the nonce is fresh and the signature is good.
All organisations read public keys from the same folder; a split deployment shares it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mynumber.errors import Unauthorized

WINDOW_SECONDS = 300
HEADER_ORG = "X-Mynumber-Org"
HEADER_TIME = "X-Mynumber-Time"
HEADER_NONCE = "X-Mynumber-Nonce"
HEADER_SIGNATURE = "X-Mynumber-Signature"

_DEMO_NOTE = b"# DEMO KEY of a mynumber sandbox organisation - never use it elsewhere\n"


def _payload(method: str, path: str, stamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{stamp}\n{nonce}\n{digest}".encode()


class KeyFolder:
    """The folder of organisation keys: ``<org>.pem`` (private, mode 0600) and
    ``<org>.pub.pem`` (what others verify with). A missing key is made, as a demo value, on
    first use; keys are read once and kept in memory (a restart picks up a new key)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._public: dict[str, Ed25519PublicKey] = {}

    def _path(self, org: str, suffix: str = ".pem") -> Path:
        return self.folder / f"{org.replace('/', '-')}{suffix}"

    def knows(self, org: str) -> bool:
        """Whether ``org`` has a key here (so its signatures can be checked)."""
        return (
            org in self._public or self._path(org, ".pub.pem").exists() or self._path(org).exists()
        )

    def private_key(self, org: str) -> Ed25519PrivateKey:
        with self._lock:
            if org not in self._private:
                self._private[org] = self._load_or_make(org)
            return self._private[org]

    def public_key(self, org: str) -> Ed25519PublicKey:
        with self._lock:
            if org not in self._public:
                public = self._path(org, ".pub.pem")
                if public.exists():
                    loaded = serialization.load_pem_public_key(public.read_bytes())
                    if not isinstance(loaded, Ed25519PublicKey):
                        raise TypeError(f"{public} is not an Ed25519 key")
                    self._public[org] = loaded
                else:
                    self._public[org] = self._load_or_make(org).public_key()
            return self._public[org]

    def _load_or_make(self, org: str) -> Ed25519PrivateKey:
        path = self._path(org)
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(_DEMO_NOTE + pem)
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)  # atomic: two processes starting at once keep one key
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise TypeError(f"{path} is not an Ed25519 key")
        public = self._path(org, ".pub.pem")
        if not public.exists():
            pem = loaded.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            tmp = public.with_name(f".{public.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(pem)
            tmp.replace(public)
        return loaded


@dataclass(frozen=True, slots=True)
class Identity:
    """An organisation's name and signing key: signs what it sends."""

    org: str
    key: Ed25519PrivateKey

    def sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        stamp = str(int(time.time()))
        nonce = secrets.token_urlsafe(16)
        signature = self.key.sign(_payload(method, path, stamp, nonce, body))
        return {
            HEADER_ORG: self.org,
            HEADER_TIME: stamp,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: base64.b64encode(signature).decode(),
        }


class Verifier:
    """Checks signed requests addressed to one organisation; refuses replays."""

    def __init__(self, keys: KeyFolder, *, cache_size: int = 100_000) -> None:
        self.keys = keys
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(
        self,
        *,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        now: float | None = None,
    ) -> str:
        """Return the sending organisation, or raise :class:`Unauthorized`."""
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            org = lower[HEADER_ORG.lower()]
            stamp = lower[HEADER_TIME.lower()]
            nonce = lower[HEADER_NONCE.lower()]
            signature = base64.b64decode(lower[HEADER_SIGNATURE.lower()], validate=True)
        except (KeyError, ValueError) as exc:
            raise Unauthorized("the request is not signed", code="unsigned") from exc
        now = time.time() if now is None else now
        if not stamp.isdigit() or abs(now - int(stamp)) > WINDOW_SECONDS:
            raise Unauthorized("the request time is outside the window", code="stale_request")
        if not self.keys.knows(org):
            raise Unauthorized("unknown organisation", code="unknown_org")
        try:
            self.keys.public_key(org).verify(signature, _payload(method, path, stamp, nonce, body))
        except InvalidSignature as exc:
            raise Unauthorized("the signature does not verify", code="bad_signature") from exc
        with self._lock:
            if nonce in self._seen:
                raise Unauthorized("this request was already received", code="replay")
            self._seen[nonce] = now
            while len(self._seen) > self._cache_size:
                self._seen.popitem(last=False)
        return org
