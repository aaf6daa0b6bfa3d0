"""Constants and helpers shared by the pki tests (a uniquely named module, not a conftest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.pki import GOOD, UNKNOWN, CertStatus, Purpose, Revoked

DEMO_KEYS = Path(__file__).resolve().parents[2] / "assets" / "demo-keys"
KEY_COUNT = 10

# Synthetic personal data (never a real person), with kanji, kana and full-width digits.
NAME = "試験 花子"
ADDRESS = "東京都千代田区霞が関二丁目１番２号　テスト荘１０１号室"
BIRTH_DATE = dt.date(1990, 1, 2)  # → 419900102 (§3.2 example)
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
OCSP_URL = {
    Purpose.AUTH: "http://127.0.0.1:8001/ocsp/auth",
    Purpose.SIGN: "http://127.0.0.1:8001/ocsp/sign",
}
CRL_URL = {
    Purpose.AUTH: "http://127.0.0.1:8001/crl/auth.crl",
    Purpose.SIGN: "http://127.0.0.1:8001/crl/sign.crl",
}


class StatusTable:
    """J-LIS's revocation records in miniature: serial → status, default UNKNOWN."""

    def __init__(self) -> None:
        self.statuses: dict[int, CertStatus] = {}
        self.calls = 0

    def good(self, serial: int) -> None:
        self.statuses[serial] = GOOD

    def revoke(self, serial: int, at: dt.datetime, reason: x509.ReasonFlags | None = None) -> None:
        self.statuses[serial] = Revoked(at, reason)

    def __call__(self, issuer_key_hash: bytes, serial: int) -> CertStatus:
        self.calls += 1
        return self.statuses.get(serial, UNKNOWN)


class RemoteSigner:
    """A signer whose key is elsewhere (stands in for an HSM): only ``sign`` and ``public_key``."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key
        self.calls = 0

    def public_key(self) -> rsa.RSAPublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
