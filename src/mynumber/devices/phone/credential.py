"""The phone's own JPKI credential (スマホ用電子証明書), kept in the phone's secure store.

On a real phone the keys live in the GP-SE (Android) or the Secure Enclave (iPhone) and the
token reads ``JPKIAPGPSETOKEN``. Here the secure store is one file of the phone's
(``PHONE``): both private keys, encrypted under the data folder's demo sealing key
(``DATA/card-seal.key``, a demo value), the two certificates, and the PIN and password as
salted scrypt hashes with their retry counters (3 for the PIN, 5 for the password, as on the
card). The keys are made in the store and never leave it: this object only signs, after the
PIN or password, like the card (:class:`mynumber.reader.JPKIClient`'s ``sign`` and
``read_certificate``), so the app and ``mynumber phone login`` use either alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.errors import InvalidInput
from mynumber.pki.profiles import KEY_SIZE
from mynumber.reader import InvalidPin, KeyKind, PinBlocked, PinIncorrect, PinRef

TOKEN = "JPKIAPGPSETOKEN"  # noqa: S105 - the token's name (EF token), not a secret
FORMAT = "mynumber-phone/1"
KINDS = ("android", "iphone")
TRIES = {KeyKind.AUTH: 3, KeyKind.SIGN: 5}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)


def _encoded(kind: KeyKind, value: str) -> str:
    """The PIN as the card's rules accept it (raises :class:`InvalidPin`)."""
    spec = kind.pin.spec
    spec.encode(value)
    return value.upper() if spec.upper else value


class PhoneCredential:
    """The secure store: two key pairs, their certificates, the PIN and the password."""

    def __init__(self, data: dict[str, Any], seal: bytes, path: Path | None = None) -> None:
        self._data = data
        self._seal = seal
        self.path = path
        self._lock = threading.Lock()

    # --- making one ----------------------------------------------------------------------

    @classmethod
    def generate(cls, kind: str, seal: bytes) -> PhoneCredential:
        """A new store with two fresh RSA-2048 key pairs and no certificates yet."""
        if kind not in KINDS:
            raise InvalidInput("kind must be android or iphone", field="kind")
        keys = {}
        for key_kind in KeyKind:
            key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
            keys[key_kind.value] = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(seal),
            ).decode()
        data = {
            "format": FORMAT,
            "token": TOKEN,
            "kind": kind,
            "device_id": None,
            "keys": keys,
            "certificates": {},
            "pins": {},
        }
        return cls(data, seal)

    def public_key(self, kind: KeyKind) -> bytes:
        """DER SubjectPublicKeyInfo of one of the store's keys."""
        return (
            self._private(kind)
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def install(
        self, *, device_id: str, certificates: dict[KeyKind, bytes], pin: str, password: str
    ) -> None:
        """Write J-LIS's certificates and set the phone's own PIN and password."""
        secrets_of = {KeyKind.AUTH: _encoded(KeyKind.AUTH, pin)}
        secrets_of[KeyKind.SIGN] = _encoded(KeyKind.SIGN, password)
        self._data["device_id"] = device_id
        self._data["certificates"] = {
            k.value: base64.b64encode(der).decode() for k, der in certificates.items()
        }
        pins = {}
        for key_kind, value in secrets_of.items():
            salt = secrets.token_bytes(16)
            pins[key_kind.value] = {
                "salt": salt.hex(),
                "hash": _hash(value, salt).hex(),
                "tries": TRIES[key_kind],
            }
        self._data["pins"] = pins

    # --- files ---------------------------------------------------------------------------

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path
        if target is None:
            raise InvalidInput("no file for the phone's store", field="out")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self._data, out)
        temporary.replace(target)
        self.path = target
        return target

    @classmethod
    def load(cls, path: Path, seal: bytes) -> PhoneCredential:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput("not a phone credential file", field="phone") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput("not a phone credential file", field="phone")
        return cls(data, seal, path)

    # --- what the apps use ---------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self._data["kind"])

    @property
    def device_id(self) -> str | None:
        found = self._data.get("device_id")
        return None if found is None else str(found)

    def read_token(self) -> str:
        return str(self._data["token"])

    def read_certificate(self, kind: KeyKind) -> bytes:
        found = self._data["certificates"].get(kind.value)
        if found is None:
            raise InvalidInput("the phone has no certificate yet: enrol it", field="phone")
        return base64.b64decode(found)

    def pin_status(self, pin: PinRef) -> int:
        return int(self._data["pins"][_kind_of(pin).value]["tries"])

    def verify_pin(self, pin: PinRef, value: str) -> None:
        """Check the PIN or password; wrong ones count down to a lock, as on the card."""
        kind = _kind_of(pin)
        encoded = _encoded(kind, value)
        with self._lock:
            record = self._data["pins"].get(kind.value)
            if record is None:
                raise InvalidInput("the phone has no PIN yet: enrol it", field="phone")
            if record["tries"] <= 0:
                raise PinBlocked("the PIN is locked", status_word=0x6983, operation="VERIFY")
            good = hmac.compare_digest(
                _hash(encoded, bytes.fromhex(record["salt"])), bytes.fromhex(record["hash"])
            )
            record["tries"] = TRIES[kind] if good else record["tries"] - 1
            if self.path is not None:
                self.save()
            if not good:
                if record["tries"] <= 0:
                    raise PinBlocked("the PIN is locked", status_word=0x6983, operation="VERIFY")
                raise PinIncorrect(
                    tries_left=record["tries"],
                    status_word=0x63C0 | record["tries"],
                    operation="VERIFY",
                )

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes:
        """RSA PKCS#1 v1.5 over SHA-256 of ``data`` after the PIN (auth) or password (sign)."""
        if pin is None:
            raise InvalidPin("the phone signs only after its PIN or password")
        self.verify_pin(kind.pin, pin)
        return self._private(kind).sign(data, padding.PKCS1v15(), hashes.SHA256())

    def _private(self, kind: KeyKind) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(
            self._data["keys"][kind.value].encode(), password=self._seal
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    def __repr__(self) -> str:
        return f"PhoneCredential(kind={self.kind!r}, device_id={self.device_id!r})"


def _kind_of(pin: PinRef) -> KeyKind:
    if pin is PinRef.JPKI_AUTH:
        return KeyKind.AUTH
    if pin is PinRef.JPKI_SIGN:
        return KeyKind.SIGN
    raise InvalidInput("the phone holds only the JPKI PIN and password", field="pin")
