"""End-to-end encryption of linkage answers: JWE (RFC 7516) to the requesting organisation.

Each organisation holds an EC P-256 key pair in ``DATA/keys/<org>.enc.pem`` (private, a demo
value made on first start, mode 0600) and ``DATA/keys/<org>.enc.pub.pem`` (public, what other
organisations read). A provider encrypts its answer with ECDH-ES+A256KW / A256GCM to the
requester's public key, so the hub that relays it holds ciphertext it cannot read.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey

from mynumber.errors import InvalidInput, NotFound

ALGORITHM = "ECDH-ES+A256KW"  # RFC 7518 §4.6: ephemeral-static ECDH, key wrapped with AES-256
ENCRYPTION = "A256GCM"  # RFC 7518 §5.3

_DEMO_NOTE = b"# DEMO KEY of a mynumber sandbox organisation - never use it elsewhere\n"


class _BulkRegistry(JWERegistry):
    """joserfc's registry with room for bulk answers: its default refuses ciphertexts over
    64 KiB (a few hundred people), while an eligibility page or a bulk exchange carries up
    to 2×10^5 (tens of MB). Request bodies are bounded by each route's own limits."""

    max_ciphertext_length = 256 * 1024 * 1024


_REGISTRY = _BulkRegistry(algorithms=[ALGORITHM, ENCRYPTION])  # ours only


class EncryptionKeys:
    """The organisations' encryption key pairs, beside their signing keys."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._public: dict[str, ECKey] = {}
        self._private: dict[str, ECKey] = {}

    def _paths(self, org: str) -> tuple[Path, Path]:
        stem = org.replace("/", "-")
        return self.folder / f"{stem}.enc.pem", self.folder / f"{stem}.enc.pub.pem"

    def ensure(self, org: str) -> None:
        """Make the organisation's key pair unless it exists (the private half first)."""
        private, public = self._paths(org)
        with self._lock:
            if private.exists() and public.exists():
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            if not private.exists():
                key = ECKey.generate_key("P-256", private=True)
                tmp = private.with_name(f".{private.name}.{os.getpid()}.tmp")
                tmp.write_bytes(_DEMO_NOTE + key.as_pem(private=True))
                tmp.chmod(0o600)
                try:
                    os.link(tmp, private)  # never replaces a key another process made
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            loaded = ECKey.import_key(private.read_bytes().removeprefix(_DEMO_NOTE))
            tmp = public.with_name(f".{public.name}.{os.getpid()}.tmp")
            tmp.write_bytes(loaded.as_pem(private=False))
            tmp.replace(public)

    def private_key(self, org: str) -> ECKey:
        if org not in self._private:
            self.ensure(org)
            pem = self._paths(org)[0].read_bytes().removeprefix(_DEMO_NOTE)
            self._private[org] = ECKey.import_key(pem)
        return self._private[org]

    def public_key(self, org: str) -> ECKey:
        """The public key of another organisation; NotFound if it has none."""
        if org not in self._public:
            path = self._paths(org)[1]
            if not path.exists():
                raise NotFound(f"{org} has no encryption key", code="no_encryption_key")
            self._public[org] = ECKey.import_key(path.read_bytes())
        return self._public[org]


def seal(keys: EncryptionKeys, recipient: str, payload: Any, *, exchange_id: str = "") -> str:
    """``payload`` as JSON, encrypted to ``recipient``: a compact JWE (five dot-separated parts)."""
    header = {"alg": ALGORITHM, "enc": ENCRYPTION, "kid": recipient, "cty": "json"}
    # the exchange id goes inside the ciphertext, so an answer cannot be replayed as another's
    body = {"exchange": exchange_id, "data": payload}
    plaintext = json.dumps(body, ensure_ascii=False).encode()
    return jwe.encrypt_compact(header, plaintext, keys.public_key(recipient))


def open_sealed(keys: EncryptionKeys, recipient: str, token: str, *, exchange_id: str = "") -> Any:
    """Decrypt a JWE sealed to ``recipient``; raises InvalidInput if it is not one for it
    (or is bound to another exchange)."""
    try:
        obj = jwe.decrypt_compact(token, keys.private_key(recipient), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise InvalidInput("the answer does not decrypt", code="bad_ciphertext") from exc
    try:
        body = json.loads(obj.plaintext or b"null")
        bound, data = body["exchange"], body["data"]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("the answer is not a sealed answer", code="bad_ciphertext") from exc
    if exchange_id and bound != exchange_id:
        raise InvalidInput("the answer belongs to another exchange", code="bad_ciphertext")
    return data


def is_compact_jwe(value: object) -> bool:
    """Whether ``value`` has the shape of a compact JWE (what the hub relays, unread)."""
    return isinstance(value, str) and value.count(".") == 4 and value.startswith("ey")
