"""Signed requests between organisations (Ed25519).

Each organisation holds a key pair in ``DATA/keys/<org>.pem`` (a demo value, made on first
start). A request carries the sender, a time, a nonce and a signature over the method,
path, those two and the body's SHA-256; the receiver checks the sender is one it serves,
the time is within :data:`WINDOW_SECONDS`, the nonce is fresh and the signature is good.
All organisations read public keys from the same folder; a split deployment shares it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mynumber.errors import Unauthorized

#: How old a signed request may be (seconds), and how far ahead of the receiver's clock
#: its time may be (clock skew): a request lives at most ``WINDOW_SECONDS + SKEW_SECONDS``.
WINDOW_SECONDS = 300
SKEW_SECONDS = 30
HEADER_ORG = "X-Mynumber-Org"
HEADER_TIME = "X-Mynumber-Time"
HEADER_NONCE = "X-Mynumber-Nonce"
HEADER_SIGNATURE = "X-Mynumber-Signature"

#: What a well-formed header holds: an organisation name, a time in whole seconds, a nonce,
#: a base64 Ed25519 signature. Anything else is refused before any key is looked up.
ORG_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_MAX_ORG = 40
_STAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SIGNATURE_B64 = 88  # 64 bytes

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


class NonceStore(Protocol):
    """Where a receiver remembers the nonces it accepted (for at least the window)."""

    def remember(self, org: str, nonce: str, at: float) -> bool:
        """Keep ``nonce``; False if it was already kept (a replay)."""


class MemoryNonces:
    """Nonces in memory, the newest ``size`` of them: for tools and tests; organisations
    keep theirs in their database (:class:`mynumber.platform.callers.DatabaseNonces`), so a
    replay is refused across restarts too."""

    def __init__(self, size: int = 100_000) -> None:
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def remember(self, org: str, nonce: str, at: float) -> bool:
        with self._lock:
            if (org, nonce) in self._seen:
                return False
            self._seen[(org, nonce)] = at
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The four ``X-Mynumber-*`` headers of a request, checked for form (not yet for truth)."""

    org: str
    stamp: str
    nonce: str
    signature: bytes

    @classmethod
    def parse(cls, headers: dict[str, str]) -> SignedHeaders:
        """The headers, or :class:`Unauthorized`: a missing, over-long, non-ASCII or
        malformed header is refused here, never deeper."""
        lower = {k.lower(): v for k, v in headers.items()}
        values = [
            lower.get(name.lower())
            for name in (HEADER_ORG, HEADER_TIME, HEADER_NONCE, HEADER_SIGNATURE)
        ]
        if any(v is None for v in values):
            raise Unauthorized("the request is not signed", code="unsigned")
        org, stamp, nonce, signature = (str(v) for v in values)
        if len(org) > _MAX_ORG or not ORG_PATTERN.fullmatch(org):
            raise Unauthorized("the sender header is malformed", code="bad_signature_header")
        if not _STAMP.fullmatch(stamp):
            raise Unauthorized("the time header is malformed", code="bad_signature_header")
        if not _NONCE.fullmatch(nonce):
            raise Unauthorized("the nonce header is malformed", code="bad_signature_header")
        if len(signature) != _SIGNATURE_B64:
            raise Unauthorized("the signature header is malformed", code="bad_signature_header")
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise Unauthorized(
                "the signature header is malformed", code="bad_signature_header"
            ) from exc
        return cls(org, stamp, nonce, raw)

    def check_time(self, now: float) -> None:
        if not (now - WINDOW_SECONDS <= int(self.stamp) <= now + SKEW_SECONDS):
            raise Unauthorized("the request time is outside the window", code="stale_request")


class RequestVerifier:
    """Checks signed requests addressed to one organisation; refuses replays."""

    def __init__(self, keys: KeyFolder, nonces: NonceStore | None = None) -> None:
        self.keys = keys
        self.nonces: NonceStore = nonces if nonces is not None else MemoryNonces()

    def precheck(self, headers: dict[str, str], now: float | None = None) -> SignedHeaders:
        """What can be checked before the body is read: form, time, a known sender."""
        signed = SignedHeaders.parse(headers)
        signed.check_time(time.time() if now is None else now)
        if not self.keys.knows(signed.org):
            raise Unauthorized("unknown organisation", code="unknown_org")
        return signed

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
        now = time.time() if now is None else now
        signed = self.precheck(headers, now)
        payload = _payload(method, path, signed.stamp, signed.nonce, body)
        try:
            self.keys.public_key(signed.org).verify(signed.signature, payload)
        except InvalidSignature as exc:
            raise Unauthorized("the signature does not verify", code="bad_signature") from exc
        if not self.nonces.remember(signed.org, signed.nonce, now):
            raise Unauthorized("this request was already received", code="replay")
        return signed.org
