"""Revocation information: OCSP answers and CRLs of both hierarchies, from J-LIS's table.

- OCSP (RFC 6960): one :class:`mynumber.pki.OCSPResponder` per hierarchy, signing with its
  delegated responder certificate; its cache keeps repeated no-nonce answers cheap, and a
  change of status changes the cache key, so a revocation shows at once.
- CRL (RFC 5280, DER as the 官報 notice says, §3.3): the revoked, not yet expired
  certificates of a hierarchy, valid for :data:`CRL_VALIDITY`. A CRL is signed again (with
  the next CRLNumber, kept in ``crl_numbers``) when the revoked set changes or after
  :data:`CRL_REISSUE_AFTER`; in between the same bytes are served.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from cryptography import x509
from sqlalchemy import Connection, select, update

from mynumber import jst
from mynumber.errors import Unavailable
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.pki import (
    GOOD,
    UNKNOWN,
    CertStatus,
    LocalSigner,
    OCSPResponder,
    Purpose,
    Revocation,
    Revoked,
    build_crl,
)
from mynumber.platform.uow import UnitOfWork

CRL_VALIDITY = dt.timedelta(hours=24)
CRL_REISSUE_AFTER = dt.timedelta(hours=1)

#: The unit of work of the OCSP request being answered: a responder is built once per
#: hierarchy (its cache outlives requests), so its status lookup reads the caller's unit
#: of work from here (set by :meth:`RevocationService.ocsp` for the call's duration).
_answering: ContextVar[UnitOfWork] = ContextVar("jlis_ocsp_unit_of_work")


def _hierarchy(which: Hierarchy | Purpose) -> Hierarchy:
    """A hierarchy; a bare purpose names its generation-1 hierarchy."""
    return which if isinstance(which, Hierarchy) else Hierarchy.of(which)


def status_of(
    uow: UnitOfWork, which: Hierarchy | Purpose, serial: int, *, today: dt.date | None = None
) -> CertStatus:
    """What J-LIS's records say about one certificate of a hierarchy.

    A certificate on a card past the card's own expiry (a foreign resident's period of stay
    can end before the certificates do) answers revoked, ``cessationOfOperation``, from the
    day after the card's last day (Japan time): an expired card is refused by every verifier
    (this project's choice; the certificates themselves are not rewritten).
    """
    hierarchy = _hierarchy(which)
    t, c = store.certificates.c, store.cards.c
    try:
        with uow as conn:
            row = conn.execute(
                select(t.status, t.revoked_at, t.reason, c.expires_on)
                .join_from(
                    store.certificates, store.cards, t.manufacture_number == c.manufacture_number
                )
                .where(t.hierarchy == hierarchy.value, t.serial == f"{serial:x}")
            ).first()
    except Exception as exc:  # the database is down: OCSP says tryLater
        raise Unavailable("J-LIS's certificate records are unavailable") from exc
    if row is None:
        return UNKNOWN
    status, revoked_at, reason, card_expires = row
    if status != "revoked" or revoked_at is None:
        today = today or jst.today()
        if card_expires is not None and card_expires < today:
            ended = dt.datetime.combine(card_expires + dt.timedelta(days=1), dt.time(), jst.JST)
            return Revoked(ended.astimezone(dt.UTC), x509.ReasonFlags.cessation_of_operation)
        return GOOD
    return Revoked(revoked_at, x509.ReasonFlags(reason) if reason else None)


@dataclass(frozen=True, slots=True)
class _Crl:
    revoked: frozenset[tuple[str, dt.datetime, str | None]]
    this_update: dt.datetime
    next_update: dt.datetime
    der: bytes


class RevocationService:
    """OCSP responders and CRLs for the hierarchies of both card generations."""

    def __init__(
        self,
        *,
        authority: AuthorityStore,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.authority = authority
        self.clock = clock
        self._lock = threading.Lock()
        self._responders: dict[Hierarchy, OCSPResponder] = {}
        self._crls: dict[Hierarchy, _Crl] = {}

    def responder(self, which: Hierarchy | Purpose) -> OCSPResponder:
        hierarchy = _hierarchy(which)
        with self._lock:
            found = self._responders.get(hierarchy)
            if found is None:
                keys = self.authority.get()
                responder = keys.responder(hierarchy.purpose, hierarchy.generation)
                found = self._responders[hierarchy] = OCSPResponder(
                    issuer=keys.ca(hierarchy.purpose, hierarchy.generation).certificate,
                    certificate=responder.certificate,
                    signer=LocalSigner(responder.key),
                    status_of=lambda _key_hash, serial: status_of(
                        _answering.get(), hierarchy, serial
                    ),
                )
            return found

    def ocsp(self, uow: UnitOfWork, which: Hierarchy | Purpose, request_der: bytes) -> bytes:
        """The DER OCSPResponse to a DER OCSPRequest (HTTP POST)."""
        responder = self.responder(which)
        token = _answering.set(uow)
        try:
            return responder.respond(request_der)
        finally:
            _answering.reset(token)

    def ocsp_get(self, uow: UnitOfWork, which: Hierarchy | Purpose, path_component: str) -> bytes:
        """The DER OCSPResponse to a GET request (RFC 6960 Appendix A.1)."""
        responder = self.responder(which)
        token = _answering.set(uow)
        try:
            return responder.respond_to_get(path_component)
        finally:
            _answering.reset(token)

    def crl(self, uow: UnitOfWork, which: Hierarchy | Purpose) -> tuple[bytes, dt.datetime]:
        """(DER CRL, its nextUpdate) of a hierarchy."""
        hierarchy = _hierarchy(which)
        now = self.clock().replace(microsecond=0)
        t = store.certificates.c
        with uow as conn:
            rows = conn.execute(
                select(t.serial, t.revoked_at, t.reason).where(
                    t.hierarchy == hierarchy.value, t.status == "revoked", t.not_after > now
                )
            ).all()
        revoked = frozenset((s, at, r) for s, at, r in rows if at is not None)
        with self._lock:
            cached = self._crls.get(hierarchy)
            if (
                cached is not None
                and cached.revoked == revoked
                and cached.this_update <= now < cached.this_update + CRL_REISSUE_AFTER
            ):
                return cached.der, cached.next_update
            number = self._next_crl_number(uow, hierarchy, now)
            der = build_crl(
                self.authority.get().ca(hierarchy.purpose, hierarchy.generation),
                [
                    Revocation(int(s, 16), at, x509.ReasonFlags(r) if r else None)
                    for s, at, r in sorted(revoked)
                ],
                crl_number=number,
                this_update=now,
                next_update=now + CRL_VALIDITY,
            )
            self._crls[hierarchy] = _Crl(revoked, now, now + CRL_VALIDITY, der)
            return der, now + CRL_VALIDITY

    def _next_crl_number(self, uow: UnitOfWork, hierarchy: Hierarchy, now: dt.datetime) -> int:
        c = store.crl_numbers.c

        def bump(conn: Connection) -> int:
            changed = conn.execute(
                update(store.crl_numbers)
                .where(c.hierarchy == hierarchy.value)
                .values(number=c.number + 1, issued_at=now)
            ).rowcount
            if not changed:  # the first CRL of the hierarchy (a racing twin retries)
                conn.execute(
                    store.crl_numbers.insert().values(
                        hierarchy=hierarchy.value, number=1, issued_at=now
                    )
                )
            return int(
                conn.execute(select(c.number).where(c.hierarchy == hierarchy.value)).scalar_one()
            )

        return uow.run(bump)
