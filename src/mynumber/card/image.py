"""Card images at rest: one JSON file per card, written atomically, secrets sealed.

**A software card is not a secure element.** Its private keys exist in the memory of the
process that runs it and, sealed, in a file on disk; anyone who holds both the image and
the sealing key holds the keys. The sealing keeps a copied image file useless without
the sealing key, and the MAC makes an edited retry counter visible; nothing here resists
an attacker who controls the machine.

Layout (one line of canonical JSON: keys sorted, then ``mac`` last)::

    {"format": "mynumber-card-image", "version": 1,
     "manufacture_number": "…", "lifecycle": "personalisation|operational|dead",
     "tamper_probes": 0, "pin_tries": {"jpki/0018": 3, …},
     "sealed": {"alg": "AES-256-GCM", "nonce": b64, "ciphertext": b64},
     "mac": hex}

``sealed`` holds everything secret or personal (file contents, PIN values, private
keys, the issuer key) under AES-256-GCM with the sealing key (associated data: the format
name and the manufacture number). ``mac`` is HMAC-SHA256 over the rest under a key
derived from the sealing key, so retry counters, which change on every VERIFY and stay
outside the ciphertext, cannot be rolled back without the sealing key.

Writes go to a temporary file in the same folder, are fsynced, then renamed over the old
image (and the folder fsynced): a crash leaves either the old or the new image, whole.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mynumber.card.errors import ImageError, SealError

__all__ = [
    "IMAGE_FORMAT",
    "IMAGE_VERSION",
    "SEAL_KEY_LENGTH",
    "CardFile",
    "ImageStore",
    "MemoryStore",
    "load_or_create_demo_seal_key",
    "read_seal_key",
    "write_demo_seal_key",
]

IMAGE_FORMAT = "mynumber-card-image"
IMAGE_VERSION = 1
SEAL_KEY_LENGTH = 32
_NONCE_LENGTH = 12
_DEMO_MARK = "# DEMO card sealing key (mynumber demo value: never use it for real data)"


class ImageStore(Protocol):
    """Where a chip persists its image; ``save`` returns only once the image is durable."""

    def save(self, image: bytes) -> None: ...


class MemoryStore:
    """Keeps every saved image in memory (tests, benchmarks, throw-away chips)."""

    def __init__(self) -> None:
        self.images: list[bytes] = []

    def save(self, image: bytes) -> None:
        self.images.append(image)

    @property
    def last(self) -> bytes | None:
        return self.images[-1] if self.images else None

    def __repr__(self) -> str:
        return f"MemoryStore(<{len(self.images)} images>)"


class CardFile:
    """A card image file, saved atomically (temp file + fsync + rename + fsync dir)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read card image {self.path.name}") from exc

    def save(self, image: bytes) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(image)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def __repr__(self) -> str:
        return f"CardFile({str(self.path)!r})"


def read_seal_key(path: str | os.PathLike[str]) -> bytes:
    """Read a sealing key file: 64 hex digits, ``#`` comment lines ignored."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SealError("cannot read the card sealing key file") from exc
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    try:
        key = bytes.fromhex("".join(lines))
    except ValueError as exc:
        raise SealError("the card sealing key file is not hex") from exc
    if len(key) != SEAL_KEY_LENGTH:
        raise SealError("a card sealing key is 32 bytes (64 hex digits)")
    return key


def write_demo_seal_key(path: str | os.PathLike[str]) -> bytes:
    """Create a new random sealing key file marked as a demo value (mode 0600)."""
    key = secrets.token_bytes(SEAL_KEY_LENGTH)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"{_DEMO_MARK}\n{key.hex()}\n")
    return key


def load_or_create_demo_seal_key(path: str | os.PathLike[str]) -> bytes:
    """Read the sealing key at ``path``, creating a demo one first if there is none."""
    if not Path(path).exists():
        try:
            return write_demo_seal_key(path)
        except FileExistsError:
            pass
    return read_seal_key(path)


# --- helpers for the chip (not part of the public API) ---------------------------------


def _check_seal_key(seal_key: bytes) -> None:
    if len(seal_key) != SEAL_KEY_LENGTH:
        raise SealError("a card sealing key is 32 bytes")


def _aad(manufacture_number: str) -> bytes:
    return f"{IMAGE_FORMAT}/{IMAGE_VERSION}/{manufacture_number}".encode("ascii")


def _mac_key(seal_key: bytes) -> bytes:
    return hmac.new(seal_key, b"mynumber card image mac v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ImageError("card image field is not base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ImageError("card image field is not base64") from exc


def _seal(seal_key: bytes, manufacture_number: str, plaintext: bytes) -> dict[str, str]:
    _check_seal_key(seal_key)
    nonce = secrets.token_bytes(_NONCE_LENGTH)
    ct = AESGCM(seal_key).encrypt(nonce, plaintext, _aad(manufacture_number))
    return {"alg": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(ct)}


def _unseal(seal_key: bytes, manufacture_number: str, sealed: object) -> bytes:
    _check_seal_key(seal_key)
    if not isinstance(sealed, dict) or sealed.get("alg") != "AES-256-GCM":
        raise ImageError("card image has no AES-256-GCM sealed block")
    nonce, ct = _unb64(sealed.get("nonce")), _unb64(sealed.get("ciphertext"))
    try:
        return AESGCM(seal_key).decrypt(nonce, ct, _aad(manufacture_number))
    except (InvalidTag, ValueError) as exc:
        raise SealError("the card image cannot be unsealed with this key") from exc


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _encode(seal_key: bytes, doc: dict[str, Any]) -> bytes:
    body = _canonical({k: v for k, v in doc.items() if k != "mac"})
    mac = hmac.new(_mac_key(seal_key), body, hashlib.sha256).hexdigest()
    # The body is canonical JSON of an object: append the MAC as its last member.
    return body[:-1] + b',"mac":"' + mac.encode("ascii") + b'"}\n'


def _decode(seal_key: bytes, image: bytes) -> dict[str, Any]:
    _check_seal_key(seal_key)
    try:
        doc = json.loads(image)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageError("card image is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("format") != IMAGE_FORMAT:
        raise ImageError("not a mynumber card image")
    if doc.get("version") != IMAGE_VERSION:
        raise ImageError("unsupported card image version")
    mac = doc.pop("mac", None)
    expected = hmac.new(_mac_key(seal_key), _canonical(doc), hashlib.sha256).hexdigest()
    if not isinstance(mac, str) or not hmac.compare_digest(
        mac.encode("utf-8", "surrogatepass"), expected.encode()
    ):
        raise SealError("card image MAC mismatch: wrong sealing key or an edited image")
    return doc
