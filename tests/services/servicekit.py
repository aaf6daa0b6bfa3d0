"""Helpers shared by the service tests (a uniquely named module, not a conftest)."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric import rsa

from mynumber.pki import (
    UNKNOWN,
    CertificateAuthority,
    CertStatus,
    LocalSigner,
    OCSPResponder,
    Purpose,
    create_root,
)


class Clock:
    """A clock the test moves by hand (services take ``clock=``)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


class Authority:
    """One of J-LIS's CAs and its OCSP responder, in process (real keys): the CA signs with
    ``keys[0]``, the responder with ``keys[1]``; ``statuses`` is what the responder says of
    each serial (unknown when absent), answered afresh each time."""

    def __init__(self, purpose: Purpose, keys: list[rsa.RSAPrivateKey], clock: Clock) -> None:
        start = clock() - dt.timedelta(days=30)
        self.ca: CertificateAuthority = create_root(purpose, start, signer=LocalSigner(keys[0]))
        self.statuses: dict[int, CertStatus] = {}
        self.responder = OCSPResponder(
            issuer=self.ca.certificate,
            certificate=self.ca.issue_ocsp_responder(keys[1].public_key(), now=start),
            signer=LocalSigner(keys[1]),
            status_of=lambda _issuer, serial: self.statuses.get(serial, UNKNOWN),
            reuse_for=dt.timedelta(0),
            clock=clock,
        )
        self.clock = clock
