"""Smartphone certificates (スマホ用電子証明書, services-reference §3): issuance from the card,
one device per person, and phone certificates that follow the card's.

The real issuance protocol and the link between a phone's and a card's certificates are not
public; this module is THIS PROJECT'S model of them:

- The phone makes two key pairs in its secure store and sends J-LIS the public keys, its
  kind (``android`` | ``iphone``) and a signature by the card's signing key, after the
  card's signing password, over :func:`mynumber.pki.mobile.enrolment_payload`, with the
  card's signing certificate. J-LIS checks the certificate's chain and its own record (good,
  on an active card, a card's and not a phone's), then the signature. A card of either
  generation enrols a phone; the phone's keys and certificates are RSA-2048 under the
  generation-1 CAs whatever the card's generation (this project's choice: the phone's secure
  store is today's), each following the card's certificate of the same purpose.
- J-LIS issues an auth and a signing certificate under the mobile profiles
  (:mod:`mynumber.pki.mobile`), valid no longer than the card's certificate of the same
  purpose, and records them as certificates of the card (so suspending or reissuing the
  card revokes them with the card's) and in ``phone_certificates`` with the serial of the
  card certificate each follows.
- One device per person (by the card's resident-code hash, so a reissued card's phone counts
  too): a new enrolment revokes every earlier phone's certificates (reason ``superseded``).
- The card's lifecycle (suspension and its hold, lifting, cancellation, reissue, renewal
  and address change) changes certificates by the card's manufacture number, so the phone's
  follow in the same statement: a hold holds them, lifting it lifts them, a renewal or a new
  signing certificate revokes them (the phone is enrolled again). A change of one card
  certificate by serial calls :func:`follow_card_certificate` in the same transaction
  (``CardIssuer.revoke``); it copies the card certificate's status (good, revoked, a hold)
  to the certificates of the active phone that follows it.
- A replayed enrolment (the same public key again) is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection, select, update

from mynumber.errors import Conflict, Forbidden, InvalidInput
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.pki import Purpose
from mynumber.pki.basic_items import read_basic_items
from mynumber.pki.errors import CertificateError
from mynumber.pki.mobile import ENROLMENT_KINDS, enrolment_payload, is_mobile, mobile_builder
from mynumber.pki.profiles import KEY_SIZE
from mynumber.pki.verify import verify_chain, verify_signature
from mynumber.platform.uow import UnitOfWork

HOLD = x509.ReasonFlags.certificate_hold.value


def serial_hex(serial: int) -> str:
    return f"{serial:x}"


@dataclass(frozen=True, slots=True)
class EnrolRequest:
    """What the phone sends: DER public keys, the card's signing certificate and signature."""

    kind: str
    auth_public_key: bytes
    sign_public_key: bytes
    card_certificate: bytes
    card_signature: bytes
    liveness_checked: bool = False


@dataclass(frozen=True, slots=True)
class EnrolledPhone:
    device_id: str
    kind: str
    certificates: dict[Purpose, x509.Certificate]
    replaced: list[tuple[Purpose, str]]  # earlier phones' certificates revoked (hex serials)


def b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"{field} must be base64", field=field) from exc


def _public_key(der: bytes, field: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{field} is not a DER public key", field=field) from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size != KEY_SIZE:
        raise InvalidInput(f"{field} must be an RSA-2048 public key", field=field)
    return key


def follow_card_certificate(conn: Connection, hierarchy: Purpose, card_serial: str) -> list[str]:
    """Give the active phone's certificate that follows the card certificate ``card_serial``
    (hex) that certificate's status, revocation time and reason; return the phone serials
    changed. A replaced phone's certificates stay revoked whatever the card's become."""
    t, p, d = store.certificates.c, store.phone_certificates.c, store.phone_devices.c
    key = serial_hex(int(card_serial, 16))
    card_hierarchies = (Hierarchy.of(hierarchy, 1).value, Hierarchy.of(hierarchy, 2).value)
    card = conn.execute(
        select(t.status, t.revoked_at, t.reason).where(
            t.hierarchy.in_(card_hierarchies), t.serial == key
        )
    ).first()
    if card is None:
        return []
    phones = list(
        conn.execute(
            select(p.serial)
            .join_from(store.phone_certificates, store.phone_devices, p.device_id == d.device_id)
            .where(p.hierarchy == hierarchy.value, p.card_serial == key, d.status == "active")
        ).scalars()
    )
    if phones:
        status, revoked_at, reason = card
        conn.execute(
            update(store.certificates)
            .where(t.hierarchy == hierarchy.value, t.serial.in_(phones))
            .values(status=status, revoked_at=revoked_at, reason=reason)
        )
    return phones


def linked_phone_certificates(conn: Connection, hierarchy: Purpose, card_serial: str) -> list[str]:
    """The serials (hex) of every phone certificate that follows a card certificate."""
    p = store.phone_certificates.c
    key = serial_hex(int(card_serial, 16))
    return list(
        conn.execute(
            select(p.serial).where(p.hierarchy == hierarchy.value, p.card_serial == key)
        ).scalars()
    )


class PhoneIssuer:
    """J-LIS's smartphone-certificate use cases."""

    def __init__(
        self,
        *,
        authority: AuthorityStore,
        ocsp_url: Callable[[Purpose], str],
        crl_url: Callable[[Purpose], str],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.authority = authority
        self.ocsp_url = ocsp_url
        self.crl_url = crl_url
        self.clock = clock

    def _card_certificate(self, der: bytes, now: dt.datetime) -> tuple[x509.Certificate, Hierarchy]:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise InvalidInput(
                "card_certificate is not a DER certificate", field="card_certificate"
            ) from exc
        try:  # a card of either generation
            anchor = verify_chain(
                cert, self.authority.roots(Purpose.SIGN), now, purpose=Purpose.SIGN
            )
        except CertificateError as exc:
            raise Forbidden(
                f"the card's signing certificate is refused: {exc.message}",
                code="card_certificate_refused",
            ) from exc
        if is_mobile(cert):
            raise Forbidden(
                "a phone is enrolled with the card's signing certificate, not a phone's",
                code="card_certificate_refused",
            )
        return cert, Hierarchy.of_root(anchor)

    def enrol(self, uow: UnitOfWork, request: EnrolRequest) -> EnrolledPhone:
        """Issue a phone's two certificates from the card and revoke any earlier phone's."""
        now = self.clock().replace(microsecond=0)
        if request.kind not in ENROLMENT_KINDS:
            raise InvalidInput("kind must be android or iphone", field="kind")
        if request.kind == "iphone" and not request.liveness_checked:
            raise InvalidInput(
                "an iPhone is enrolled after the liveness check (face video)",
                field="liveness_checked",
            )
        auth_key = _public_key(request.auth_public_key, "auth_public_key")
        sign_key = _public_key(request.sign_public_key, "sign_public_key")
        if request.auth_public_key == request.sign_public_key:
            raise InvalidInput("the two keys must differ", field="sign_public_key")
        card_cert, card_hierarchy = self._card_certificate(request.card_certificate, now)
        try:
            verify_signature(
                card_cert,
                enrolment_payload(request.kind, request.auth_public_key, request.sign_public_key),
                request.card_signature,
            )
        except CertificateError as exc:
            raise Forbidden(
                "the card's signature does not verify", code="card_signature_invalid"
            ) from exc
        items = read_basic_items(card_cert)
        key_fp = hashlib.sha256(request.auth_public_key).hexdigest()
        card_serial = serial_hex(card_cert.serial_number)
        authority = self.authority.get()
        t, c, d, p = (
            store.certificates.c,
            store.cards.c,
            store.phone_devices.c,
            store.phone_certificates.c,
        )
        with uow as conn:
            row = conn.execute(
                select(t.manufacture_number, t.status, c.status, c.code_fp)
                .join_from(
                    store.certificates, store.cards, t.manufacture_number == c.manufacture_number
                )
                .where(t.hierarchy == card_hierarchy.value, t.serial == card_serial)
            ).first()
            if row is None or conn.scalar(
                select(p.serial).where(p.hierarchy == Purpose.SIGN.value, p.serial == card_serial)
            ):
                raise Forbidden(
                    "J-LIS has no card with this signing certificate",
                    code="card_certificate_refused",
                )
            mfg, cert_status, card_status, code_fp = row
            if cert_status != "good" or card_status != "active":
                raise Forbidden(
                    "the card's signing certificate is not valid (suspended or revoked)",
                    code="card_certificate_revoked",
                )
            if conn.scalar(select(d.device_id).where(d.key_fp == key_fp)) is not None:
                raise Conflict("this phone key was enrolled already", code="phone_key_reused")
            # the card's certificates this phone's follow (auth: the card's good one)
            card_rows = {
                Hierarchy(h).purpose: (s, na)
                for h, s, na in conn.execute(
                    select(t.hierarchy, t.serial, t.not_after).where(
                        t.manufacture_number == mfg,
                        t.status == "good",
                        t.serial.not_in(select(p.serial)),
                    )
                ).all()
            }
            if Purpose.AUTH not in card_rows:
                raise Forbidden(
                    "the card's user-authentication certificate is not valid",
                    code="card_certificate_revoked",
                )
            holder_key = code_fp or f"card:{mfg}"
            replaced = self._replace_earlier(conn, holder_key, now)
            device_id = secrets.token_hex(8)
            certificates: dict[Purpose, x509.Certificate] = {}
            for purpose, key in ((Purpose.AUTH, auth_key), (Purpose.SIGN, sign_key)):
                ca = authority.ca(purpose)
                cap = card_rows[purpose][1]
                certificates[purpose] = ca.sign(
                    mobile_builder(
                        purpose,
                        key,
                        birth_date=items.birth_date,
                        items=items if purpose is Purpose.SIGN else None,
                        cap=cap,
                        issuer=ca.certificate,
                        now=now,
                        serial_number=x509.random_serial_number(),
                        ocsp_url=self.ocsp_url(purpose),
                        crl_url=self.crl_url(purpose),
                    )
                )
            conn.execute(
                store.phone_devices.insert().values(
                    device_id=device_id,
                    manufacture_number=mfg,
                    holder_key=holder_key,
                    kind=request.kind,
                    status="active",
                    enrolled_at=now,
                    ended_at=None,
                    key_fp=key_fp,
                )
            )
            for purpose, cert in certificates.items():
                serial = serial_hex(cert.serial_number)
                conn.execute(
                    store.certificates.insert().values(
                        hierarchy=purpose.value,
                        serial=serial,
                        manufacture_number=mfg,
                        issued_at=now,
                        not_after=cert.not_valid_after_utc,
                        status="good",
                        revoked_at=None,
                        reason=None,
                    )
                )
                conn.execute(
                    store.phone_certificates.insert().values(
                        hierarchy=purpose.value,
                        serial=serial,
                        device_id=device_id,
                        card_serial=card_rows[purpose][0],
                    )
                )
            uow.commit()
        return EnrolledPhone(device_id, request.kind, certificates, replaced)

    @staticmethod
    def _replace_earlier(
        conn: Connection, holder_key: str, now: dt.datetime
    ) -> list[tuple[Purpose, str]]:
        """One device per person: end every active phone of ``holder_key``, revoke its
        certificates (``superseded``)."""
        t, d, p = store.certificates.c, store.phone_devices.c, store.phone_certificates.c
        earlier = list(
            conn.execute(
                select(d.device_id).where(d.holder_key == holder_key, d.status == "active")
            ).scalars()
        )
        if not earlier:
            return []
        conn.execute(
            update(store.phone_devices)
            .where(d.device_id.in_(earlier))
            .values(status="replaced", ended_at=now)
        )
        rows = conn.execute(select(p.hierarchy, p.serial).where(p.device_id.in_(earlier))).all()
        for hierarchy, serial in rows:
            conn.execute(
                update(store.certificates)
                .where(
                    t.hierarchy == hierarchy,
                    t.serial == serial,
                    (t.status != "revoked") | (t.reason == HOLD),  # a hold must not lift it
                )
                .values(
                    status="revoked",
                    revoked_at=now,
                    reason=x509.ReasonFlags.superseded.value,
                )
            )
        return [(Purpose(h), s) for h, s in rows]
