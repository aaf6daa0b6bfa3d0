"""PIN reset (暗証番号の初期化): at the municipality's counter, or at a convenience-store
kiosk after a reservation made on the phone (services-reference §6).

No server receives a new PIN: J-LIS answers the card's own challenge with the issuer
cryptogram (``CardIssuer.reset_cryptogram``) and the device in front of the card — the
counter's reader, the kiosk — sets the PIN on the chip (RESET RETRY COUNTER; the chip
allows nothing else once personalised). What J-LIS checks before it answers:

- **counter**: the holder's municipality asks (a signed request, the clerk having checked
  the holder's identity) for its resident's card (by the keyed hash of the resident code);
  the card is not cancelled.
- **reservation (phone)**: the card signs J-LIS's challenge with the *other* JPKI key
  (resetting the auth PIN takes the signing password, and the other way round); the
  phone's face match of a live picture against the chip photo scores at least
  :data:`FACE_THRESHOLD` (the matcher is simulated on the device; the threshold is this
  project's choice); both certificates of the card are valid (not revoked, not expired —
  a revoked signing certificate is how J-LIS knows one of the four items changed). The
  reservation is good for :data:`RESERVATION_TTL`.
- **kiosk**: between 6:30 and 23:00 Japan time, an unused, unexpired reservation for this
  card, the other key signing a fresh challenge again, and the certificates still valid.
  Only the auth PIN and the signing password can be reserved: the 住基 and 入力補助 PINs
  are reset at the counter only.

The challenges are stateless (random bytes, an expiry and a MAC under J-LIS's key; valid
for :data:`CHALLENGE_TTL`), this project's choice: the real reservation protocol is not
public.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from sqlalchemy import select, update

from mynumber.errors import Conflict, Forbidden, InvalidInput, NotFound
from mynumber.jst import JST
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.cards import CardIssuer, serial_hex
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.pki import Purpose, verify_signed
from mynumber.pki.mobile import is_mobile
from mynumber.platform.uow import UnitOfWork

FACE_THRESHOLD = 0.9
RESERVATION_TTL = dt.timedelta(hours=24)
CHALLENGE_TTL = dt.timedelta(minutes=5)
KIOSK_OPENS = dt.time(6, 30)
KIOSK_CLOSES = dt.time(23, 0)
#: PINs a kiosk may reset, and the other key whose PIN proves the holder for each.
KIOSK_PINS = {"auth": Purpose.SIGN, "sign": Purpose.AUTH}
COUNTER_PINS = ("auth", "sign", "text", "juki")
_NONCE = 16


class PinResetRefused(Forbidden):
    """A reservation or a kiosk reset is refused; the message says why and what to do."""

    code = "pin_reset_refused"


@dataclass(frozen=True, slots=True)
class Reservation:
    code: str
    pin: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CardProof:
    """The card's answer: the other key's certificate and its signature over a challenge."""

    certificate: bytes
    signature: bytes
    challenge: bytes


class PinResets:
    def __init__(
        self,
        *,
        issuer: CardIssuer,
        key: bytes,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.issuer = issuer
        self.key = key
        self.clock = clock or issuer.clock

    # --- challenges ------------------------------------------------------------------------

    def challenge(self) -> bytes:
        body = os.urandom(_NONCE) + struct.pack(
            ">Q", int((self.clock() + CHALLENGE_TTL).timestamp())
        )
        return body + hmac.digest(self.key, b"pin-reset:" + body, "sha256")[:16]

    def _check_challenge(self, challenge: bytes) -> None:
        body, mac = challenge[:-16], challenge[-16:]
        expected = hmac.digest(self.key, b"pin-reset:" + body, "sha256")[:16]
        if len(body) != _NONCE + 8 or not hmac.compare_digest(mac, expected):
            raise InvalidInput("not J-LIS's challenge", field="challenge")
        (expiry,) = struct.unpack(">Q", body[_NONCE:])
        if self.clock().timestamp() >= expiry:
            raise InvalidInput("the challenge expired: ask for another", field="challenge")

    # --- the counter -------------------------------------------------------------------------

    def at_counter(
        self,
        uow: UnitOfWork,
        manufacture_number: str,
        *,
        code_fp: str,
        pin: str,
        card_challenge: bytes,
    ) -> bytes:
        """The cryptogram for the holder's municipality, at its counter."""
        if pin not in COUNTER_PINS:
            raise InvalidInput(f"pin must be one of {', '.join(COUNTER_PINS)}", field="pin")
        c = store.cards.c
        with uow as conn:
            row = conn.execute(
                select(c.status, c.code_fp).where(c.manufacture_number == manufacture_number)
            ).first()
        if row is None or row.code_fp is None or row.code_fp != code_fp:
            raise NotFound("no card of this resident with that number", code="card_not_found")
        if row.status == "cancelled":
            raise Conflict("the card was cancelled (廃止)", code="card_cancelled")
        return self.issuer.reset_cryptogram(manufacture_number, card_challenge)

    # --- the phone and the kiosk ------------------------------------------------------------

    def _card_of_proof(
        self, uow: UnitOfWork, proof: CardProof, expected: Purpose, now: dt.datetime
    ) -> str:
        """The card whose other key answered; both its certificates must be valid now."""
        self._check_challenge(proof.challenge)
        try:
            cert = x509.load_der_x509_certificate(proof.certificate)
        except ValueError as exc:
            raise InvalidInput("the certificate is not DER X.509", field="certificate") from exc
        roots = self.issuer.authority.roots(expected)  # either card generation
        anchor = verify_signed(cert, proof.challenge, proof.signature, roots, now, purpose=expected)
        if is_mobile(cert):
            # the card's PIN is reset with the card itself (services-reference §3: the
            # phone's own password is reset with the card, not the other way round)
            raise PinResetRefused(
                "スマホ用電子証明書ではカードの暗証番号を初期化できません。"
                "カードをかざしてください / the phone's own certificate cannot reset the "
                "card's PIN: hold the card",
            )
        hierarchy = Hierarchy.of_root(anchor)
        t = store.certificates.c
        with uow as conn:
            mfg = conn.scalar(
                select(t.manufacture_number).where(
                    t.hierarchy == hierarchy.value, t.serial == serial_hex(cert.serial_number)
                )
            )
            if mfg is None:
                raise NotFound("J-LIS did not issue that certificate", code="certificate_not_found")
            status = conn.scalar(
                select(store.cards.c.status).where(store.cards.c.manufacture_number == mfg)
            )
            certs = conn.execute(
                select(t.hierarchy, t.status, t.not_after).where(t.manufacture_number == mfg)
            ).all()
        valid = {h for h, s, not_after in certs if s == "good" and not_after > now}
        both = {Hierarchy.of(p, hierarchy.generation).value for p in (Purpose.AUTH, Purpose.SIGN)}
        if status != "active" or not both <= valid:  # (a phone's certificates may be there)
            raise PinResetRefused(
                "a kiosk reset needs the card and both certificates valid and the four items "
                "unchanged: reset the PIN at your municipality's counter",
            )
        return str(mfg)

    def reserve(
        self, uow: UnitOfWork, *, pin: str, proof: CardProof, face_score: float
    ) -> Reservation:
        """A reservation made on the phone: the other key's proof and the face match."""
        other = KIOSK_PINS.get(pin)
        if other is None:
            raise PinResetRefused(
                "only the user-authentication PIN and the signing password can be reset at a "
                "kiosk; the 住基 and 入力補助 PINs at your municipality's counter",
            )
        if not 0.0 <= face_score <= 1.0:
            raise InvalidInput("a face match score is between 0 and 1", field="face_score")
        now = self.clock().replace(microsecond=0)
        mfg = self._card_of_proof(uow, proof, other, now)
        if face_score < FACE_THRESHOLD:
            raise PinResetRefused(
                "the face did not match the card's photo: try again in good light, or reset "
                "the PIN at your municipality's counter",
            )
        reservation = Reservation(secrets.token_hex(8).upper(), pin, now + RESERVATION_TTL)
        with uow as conn:
            conn.execute(
                store.pin_resets.insert().values(
                    code=reservation.code,
                    manufacture_number=mfg,
                    pin=pin,
                    created_at=now,
                    expires_at=reservation.expires_at,
                    used_at=None,
                )
            )
            uow.commit()
        return reservation

    def at_kiosk(
        self, uow: UnitOfWork, *, code: str, proof: CardProof, card_challenge: bytes
    ) -> tuple[str, bytes]:
        """(PIN, cryptogram) for a reserved reset, at a kiosk in its opening hours."""
        now = self.clock().replace(microsecond=0)
        local = now.astimezone(JST).time()
        if not KIOSK_OPENS <= local < KIOSK_CLOSES:
            raise PinResetRefused("kiosk PIN resets are open from 6:30 to 23:00")
        r = store.pin_resets.c
        with uow as conn:
            row = conn.execute(select(store.pin_resets).where(r.code == code)).first()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise PinResetRefused(
                "no reservation with that number is open (used, or older than 24 hours): "
                "make a new one on the phone",
            )
        mfg = self._card_of_proof(uow, proof, KIOSK_PINS[row.pin], now)
        if mfg != row.manufacture_number:
            raise PinResetRefused("the reservation is for another card")
        cryptogram = self.issuer.reset_cryptogram(mfg, card_challenge)
        with uow as conn:
            used = conn.execute(
                update(store.pin_resets)
                .where(r.code == code, r.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            uow.commit()
        if used != 1:
            raise PinResetRefused("the reservation was used meanwhile")
        return str(row.pin), cryptogram
