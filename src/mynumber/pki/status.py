"""Revocation status of one certificate as J-LIS's records give it (RFC 6960 §4.2.1 CertStatus)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.x509 import ReasonFlags

from mynumber.errors import InvalidInput
from mynumber.pki._time import as_utc


@dataclass(frozen=True, slots=True)
class Good:
    """Issued by the CA and not revoked."""


@dataclass(frozen=True, slots=True)
class Revoked:
    """Revoked at ``revoked_at`` (UTC, whole seconds) for ``reason`` (None: not stated)."""

    revoked_at: dt.datetime
    reason: ReasonFlags | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "revoked_at", as_utc(self.revoked_at, field="revoked_at"))
        if self.reason is not None and not isinstance(self.reason, ReasonFlags):
            raise InvalidInput("reason must be a ReasonFlags member", field="reason")
        if self.reason is ReasonFlags.remove_from_crl:
            raise InvalidInput("removeFromCRL is only for delta CRLs", field="reason")


@dataclass(frozen=True, slots=True)
class Unknown:
    """The CA has no record of this serial number."""


CertStatus = Good | Revoked | Unknown

GOOD = Good()
UNKNOWN = Unknown()
