"""J-LIS's 証明書交付センター: the relay between convenience-store kiosks and the
municipalities' コンビニ交付 systems (domain-reference §8).

A kiosk (signed as its store chain) opens a session and gets a challenge; the card signs it
with its user-authentication key after the 4-digit PIN, on the kiosk, so neither PIN nor My
Number ever leaves the store. The centre checks the signature, the chain to J-LIS's auth CA
and the certificate's status by OCSP (its own responder), finds the card and the
municipality where its holder lives now (asked of the municipality that issued the card,
which follows the holder's moves), and relays the request there (signed as J-LIS), naming
the card by its manufacture number; the new municipality knows the card from the move-in.
A suspended or revoked (廃止) card is refused. Every request is logged — issued with its
fee, or refused with its reason and no fee — and the log is what the day's settlement adds
up.

Service hours are 6:30–23:00 Japan time, closed 29 December – 3 January (§8). The clock
that decides them (and stamps the log) is injectable, so tests can stand inside or outside
them; certificates and OCSP answers are always checked at the real time.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from sqlalchemy import and_, func, select, update

from mynumber import errors
from mynumber.jst import JST
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.cards import serial_hex
from mynumber.orgs.jlis.clients import KioskRelayClient
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.orgs.jlis.revocation import RevocationService
from mynumber.pki import (
    CertificateError,
    MalformedCertificate,
    Purpose,
    build_ocsp_request,
    check_ocsp_response,
    verify_signed,
)
from mynumber.pki.mobile import is_mobile
from mynumber.platform.uow import UnitOfWork

OPENS, CLOSES = dt.time(6, 30), dt.time(23, 0)
SESSION_LIFETIME = dt.timedelta(minutes=5)

#: The store chains whose kiosks may call the centre (signed as ``kiosk-<chain>``), with the
#: stores of each. Fictional chains: this project's demo values.
CHAINS: dict[str, dict[str, str]] = {
    "kiosk-sunrise": {
        "sunrise-0001": "サンライズマート 丸の内店",
        "sunrise-0002": "サンライズマート 西新宿店",
    },
    "kiosk-moon": {"moon-0001": "ムーンシティ 大手町店"},
}
CERTIFICATES = ("juminhyo", "juminhyo-kisai", "inkan", "shotoku", "koseki", "koseki-fuhyo")


def in_service(at: dt.datetime) -> bool:
    """Whether kiosks issue certificates at ``at``: 6:30–23:00 JST, not 12/29–1/3."""
    local = at.astimezone(JST)
    if (local.month, local.day) >= (12, 29) or (local.month, local.day) <= (1, 3):
        return False
    return OPENS <= local.time() < CLOSES


class OutsideHours(errors.Forbidden):
    code = "outside_hours"


def _refusal(exc: errors.Error) -> str:
    return exc.code[:40]


@dataclass
class KioskCenter:
    authority: AuthorityStore
    revocation: RevocationService
    relay: Callable[[str], KioskRelayClient]
    #: the current four items of a card's holder, asked of the municipality that issued the
    #: card (which follows the holder's moves): ``(issuer, manufacture number) -> items``
    holder_items: Callable[[str, str], dict[str, Any]]
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def _check_hours(self, now: dt.datetime) -> None:
        if not in_service(now):
            raise OutsideHours(
                "コンビニ交付は6:30〜23:00です (12/29〜1/3を除く) / kiosks issue 6:30-23:00, "
                "not 29 Dec - 3 Jan"
            )

    def open_session(self, uow: UnitOfWork, chain: str) -> dict[str, Any]:
        """A one-use challenge for the card on ``chain``'s kiosk."""
        now = self.clock()
        self._check_hours(now)
        session, nonce = secrets.token_urlsafe(18), secrets.token_bytes(32)
        with uow as conn:
            conn.execute(
                store.kiosk_sessions.insert().values(
                    id=session, chain=chain, nonce=nonce.hex(), created_at=dt.datetime.now(dt.UTC)
                )
            )
            uow.commit()
        return {
            "session": session,
            "challenge": base64.b64encode(nonce).decode(),
            "expires_at": dt.datetime.now(dt.UTC) + SESSION_LIFETIME,
        }

    def _use_session(self, uow: UnitOfWork, chain: str, session: str, now: dt.datetime) -> bytes:
        s = store.kiosk_sessions.c
        with uow as conn:
            row = conn.execute(
                select(s.nonce, s.created_at).where(
                    s.id == session, s.chain == chain, s.used_at.is_(None)
                )
            ).first()
            if row is None or dt.datetime.now(dt.UTC) - row.created_at > SESSION_LIFETIME:
                raise errors.Conflict(
                    "the kiosk session is unknown, used or expired", code="session_invalid"
                )
            used = conn.execute(
                update(store.kiosk_sessions)
                .where(s.id == session, s.used_at.is_(None))
                .values(used_at=now)
            )
            if used.rowcount != 1:
                raise errors.Conflict("the kiosk session was already used", code="session_invalid")
            uow.commit()
        return bytes.fromhex(row.nonce)

    def _card_of(
        self,
        uow: UnitOfWork,
        cert: x509.Certificate,
        nonce: bytes,
        signature: bytes,
        now: dt.datetime,
    ) -> tuple[str, str]:
        """(manufacture number, issuing municipality) of a card whose auth key signed
        ``nonce``, after the chain, the signature and OCSP; raises otherwise."""
        # either card generation, or a phone's certificate (コンビニ交付 with a phone)
        roots = self.authority.roots(Purpose.AUTH)
        anchor = verify_signed(cert, nonce, signature, roots, now, purpose=Purpose.AUTH)
        hierarchy = Hierarchy.of_root(anchor)
        answer = self.revocation.ocsp(uow, hierarchy, build_ocsp_request(cert, anchor))
        check_ocsp_response(answer, cert, anchor, now)
        if is_mobile(cert):
            self._check_phone_at_kiosk(uow, cert)
        t, c = store.certificates.c, store.cards.c
        with uow as conn:
            row = conn.execute(
                select(c.manufacture_number, c.municipality, c.status)
                .join_from(
                    store.certificates, store.cards, t.manufacture_number == c.manufacture_number
                )
                .where(t.hierarchy == hierarchy.value, t.serial == serial_hex(cert.serial_number))
            ).first()
        if row is None:
            raise errors.NotFound("J-LIS did not issue this card", code="unknown_card")
        if row.status == "cancelled":
            raise errors.Forbidden("this card is revoked (廃止)", code="card_revoked")
        if row.status != "active":
            raise errors.Forbidden("this card is suspended", code="card_suspended")
        return str(row.manufacture_number), str(row.municipality)

    def _check_phone_at_kiosk(self, uow: UnitOfWork, cert: x509.Certificate) -> None:
        """コンビニ交付 with the phone's own certificate: an Android phone's (services-reference
        §3: nationwide from 2024-01-22); the iPhone's is refused (this project's reading: the
        reference lists the kiosk for the Android phone only)."""
        p, d = store.phone_certificates.c, store.phone_devices.c
        with uow as conn:
            kind = conn.scalar(
                select(d.kind)
                .join_from(
                    store.phone_certificates, store.phone_devices, p.device_id == d.device_id
                )
                .where(
                    p.hierarchy == Purpose.AUTH.value, p.serial == serial_hex(cert.serial_number)
                )
            )
        if kind is None:
            raise errors.NotFound("J-LIS did not issue this phone certificate", code="unknown_card")
        if kind != "android":
            raise errors.Forbidden(
                "このスマートフォンの電子証明書はコンビニ交付に使えません。"
                "カードをお使いください / the kiosk takes an Android phone's certificate, "
                "not this phone's: use the card",
                code="phone_not_at_kiosk",
            )

    def _residence(self, issuer: str, manufacture_number: str) -> str:
        """The municipality where the card's holder lives now: the card stays valid when
        its holder moves, and J-LIS learns the move from the municipality that issued the
        card, which follows the holder's 転出 to the municipality of the 転入 (the same
        answer J-LIS gives for 基本4情報の最新情報提供)."""
        found = self.holder_items(issuer, manufacture_number)
        if found.get("status") != "active" or not found.get("municipality"):
            raise errors.NotFound(
                "住民登録が確認できません / the card's holder is not a current resident",
                code="not_resident",
            )
        return str(found["municipality"])

    def request(self, uow: UnitOfWork, chain: str, body: dict[str, Any]) -> dict[str, Any]:
        """Verify the card's answer and relay the request; log it, issued or refused."""
        now = self.clock()
        store_id = str(body["store"])
        if store_id not in CHAINS.get(chain, {}):
            raise errors.Forbidden("this store is not one of the chain's", code="unknown_store")
        kind = str(body["certificate"])
        target: str | None = body.get("honseki")
        try:
            self._check_hours(now)
            nonce = self._use_session(uow, chain, str(body["session"]), now)
            try:
                cert = x509.load_der_x509_certificate(base64.b64decode(body["certificate_der"]))
            except ValueError as exc:
                raise MalformedCertificate("the certificate is not DER X.509") from exc
            manufacture_number, issuer = self._card_of(
                uow,
                cert,
                nonce,
                base64.b64decode(body["signature"]),
                dt.datetime.now(dt.UTC),
            )
            residence = self._residence(issuer, manufacture_number)
            target = target or residence
            answer = self.relay(target).issue(
                {
                    "transaction": secrets.token_hex(8),
                    "manufacture_number": manufacture_number,
                    "residence": residence,
                    "certificate": kind,
                    "members": body.get("members", "self"),
                    "member_names": body.get("member_names", []),
                    "options": body.get("options", {}),
                    "store": store_id,
                    "store_name": CHAINS[chain][store_id],
                    "chain": chain,
                }
            )
        except CertificateError as exc:
            self._log(uow, chain, store_id, target, kind, "refused", _refusal(exc), 0, now)
            raise errors.Forbidden(
                f"カードの電子証明書が使えません / {exc.message}", code=exc.code
            ) from exc
        except errors.Error as exc:
            self._log(uow, chain, store_id, target, kind, "refused", _refusal(exc), 0, now)
            raise
        fee = int(answer["fee_yen"])
        self._log(uow, chain, store_id, target, kind, "issued", None, fee, now)
        return {**answer, "municipality": target}

    def _log(
        self,
        uow: UnitOfWork,
        chain: str,
        store_id: str,
        municipality: str | None,
        kind: str,
        status: str,
        reason: str | None,
        fee: int,
        at: dt.datetime,
    ) -> None:
        with uow as conn:
            conn.execute(
                store.kiosk_transactions.insert().values(
                    id=secrets.token_hex(16),
                    chain=chain,
                    store=store_id,
                    municipality=municipality,
                    certificate=kind,
                    status=status,
                    reason=reason,
                    fee_yen=fee,
                    at=at,
                )
            )
            uow.commit()

    def transactions(self, uow: UnitOfWork, day: dt.date) -> list[dict[str, Any]]:
        """The log of one day (JST)."""
        start = dt.datetime.combine(day, dt.time(), JST)
        k = store.kiosk_transactions.c
        with uow as conn:
            rows = conn.execute(
                select(store.kiosk_transactions)
                .where(and_(k.at >= start, k.at < start + dt.timedelta(days=1)))
                .order_by(k.at)
            ).mappings()
            return [dict(r) for r in rows]

    def settlement(self, uow: UnitOfWork, day: dt.date) -> list[dict[str, Any]]:
        """What each chain collected for each municipality on ``day`` (JST): 手数料の精算."""
        start = dt.datetime.combine(day, dt.time(), JST)
        k = store.kiosk_transactions.c
        with uow as conn:
            rows = conn.execute(
                select(k.chain, k.municipality, func.count(), func.sum(k.fee_yen))
                .where(k.status == "issued", k.at >= start, k.at < start + dt.timedelta(days=1))
                .group_by(k.chain, k.municipality)
                .order_by(k.chain, k.municipality)
            ).all()
        return [
            {"chain": r[0], "municipality": r[1], "issued": int(r[2]), "fee_yen": int(r[3] or 0)}
            for r in rows
        ]
