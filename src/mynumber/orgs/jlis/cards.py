"""Card issuance (個人番号カードの発行) and suspension (一時停止), with their certificates.

J-LIS manufactures a chip, opens an issuer session with the card's issuer key, has the chip
generate both JPKI key pairs, issues the certificates from the public keys that come back,
writes them with the CA certificates, the text AP (sealed by J-LIS), the card face and the
initial PINs, and ends personalisation. It records the card and the certificates' serials:
**never the My Number or the four basic items** — those pass through into the certificate
and the chip only, and the card image goes back to the caller.

Rules this module decides (the real ones are partly unsourced, domain-reference §2.2, §3.2):

- No signing certificate for a person under 15 on the issue day (§3.1): the card then has
  no signing key, certificate or password, and the answer says so.
- Card expiry (券面の有効期限): the 10th birthday after the issue day; the 5th for a person
  under 18 on the issue day (the 2015 rule said under 20; the under-18 age is UNSOURCED
  and follows the 2022 age of majority).
- The text-AP PIN and the 住基 PIN default to the user-authentication PIN (§2.2: the three
  4-digit PINs may be the same).
- Visual AP PIN A is the My Number (§2.2). PIN B (14 digits, composition UNSOURCED) is
  birth date ``YYMMDD`` + card-expiry year ``YYYY`` + the 4-digit security code printed on
  the card face, as it is commonly described; the security code is returned with the card.
- Manufacture numbers (カード製造番号) are 13 random characters of A–Z and 0–9 (the real
  format is not public); J-LIS's table keeps them unique.
- Suspension revokes every certificate of the card at once (reason ``keyCompromise``
  unless told otherwise): a lost card's keys may be in someone else's hands. The call
  centre's suspension (``callcentre``) gives reason ``certificateHold`` instead, so that
  lifting it at the counter (:meth:`CardIssuer.resume`) makes the held certificates good
  again; any other revocation is final.
- One card per person: issuing a card to a holder J-LIS knows (by the keyed hash of the
  resident code) cancels (廃止) every earlier card of theirs and revokes all their
  certificates, reason ``superseded`` — a reissued person's old card logs in nowhere.
- Cancellation (廃止) is final: a cancelled card is never suspended, lifted or used again.
- Renewal (電子証明書の更新, :meth:`CardIssuer.renew`): from 3 months before the
  certificates end (or after), on a card that is active and not past its own expiry; the
  chip makes new key pairs, the new certificates run to the 5th birthday after the renewal
  day, and the earlier ones are revoked (``superseded``).
- Generation 2 (``generation=2``, this project's model of 次期個人番号カード): the chip is a
  generation-2 chip (認証AP and 券面等AP, two PINs: the 4-digit card PIN also opens the text
  items, no 住基 PIN), its P-384 keys certified by J-LIS's ``auth-g2`` and ``sign-g2``
  hierarchies (10 years + 1 month); the card runs to the birthday of the usual rule plus one
  month, like its certificates (this project's reading of the published plan).
- Address change (:meth:`CardIssuer.change_address`): an entry (date, ``address``, the new
  address, the municipality) goes into the chip's 追記欄, the text AP is rewritten (address,
  sealed again by J-LIS over the items and the 追記欄) and a new signing certificate
  replaces the old one (revoked, ``affiliationChanged``); the user-authentication
  certificate stays (services-reference, corrections). The 追記欄 holds four entries
  (this project's choice); a full one is refused and opens 特急発行 (``endorsements``).
- A certificate never outlives its card: at issue, renewal and address change its last day
  is its own term's or the card's expiry, whichever comes first. A renewal that could not
  run past the card's expiry is refused: the card itself is renewed (a new card).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from mynumber import jst
from mynumber.card import (
    Chip,
    ChipTransport,
    FreeApp,
    KeySource,
    admin_cryptogram,
    derive_free_area_key,
    derive_issuer_key,
)
from mynumber.card import load_or_create_demo_seal_key as load_seal_key
from mynumber.errors import Conflict, Error, InvalidInput, NotFound
from mynumber.number import validate
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.endorsements import record_endorsement
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.orgs.jlis.model import normalise_name
from mynumber.orgs.jlis.phones import follow_card_certificate
from mynumber.pki import BasicItems, Gender, Purpose, age_on
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import (
    ENDORSEMENT_SLOTS,
    CardFace,
    Endorsement,
    InvalidPin,
    IssuerSession,
    JPKIClient,
    KeyKind,
    PinNotSet,
    PinRef,
    TextAttributes,
    placeholder_png,
)

SIGNING_MINIMUM_AGE = 15
ADULT_CARD_AGE = 18
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_KIND = {Purpose.AUTH: KeyKind.AUTH, Purpose.SIGN: KeyKind.SIGN}

#: Revocation reasons a caller may give (RFC 5280 §5.3.1 names); CA/AA compromise and
#: removeFromCRL are not a card's business.
REASONS = frozenset(
    {
        x509.ReasonFlags.unspecified,
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.affiliation_changed,
        x509.ReasonFlags.superseded,
        x509.ReasonFlags.cessation_of_operation,
        x509.ReasonFlags.certificate_hold,
        x509.ReasonFlags.privilege_withdrawn,
    }
)


def reason_of(name: str) -> x509.ReasonFlags:
    """The RFC 5280 reason named ``name`` (``keyCompromise`` …); ``InvalidInput`` otherwise."""
    try:
        reason = x509.ReasonFlags(name)
    except ValueError:
        reason = None
    if reason not in REASONS:
        allowed = ", ".join(sorted(r.value for r in REASONS))
        raise InvalidInput(f"reason must be one of {allowed}", field="reason")
    return reason


def serial_hex(serial: int) -> str:
    return f"{serial:x}"


def parse_serial(text: str) -> int:
    """A certificate serial in hexadecimal (as ``openssl`` and ``mynumber card show`` print it)."""
    cleaned = text.replace(":", "").strip().lower()
    if not cleaned or len(cleaned) > 40 or any(c not in "0123456789abcdef" for c in cleaned):
        raise InvalidInput("a serial number is up to 40 hexadecimal digits", field="serial")
    return int(cleaned, 16)


def _birthday(year: int, birth: dt.date) -> dt.date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February: the last day of February (Civil Code Art. 143(2))
        return dt.date(year, 2, 28)


def card_expiry(
    birth_date: dt.date, issued_on: dt.date, stay_until: dt.date | None = None
) -> dt.date:
    """The card's last day: the 10th birthday after issue (5th if under 18 on the issue day);
    for a foreign resident with a period of stay, its end if that comes first [O]
    (services-reference, corrections)."""
    if stay_until is not None and stay_until < issued_on:
        raise InvalidInput("the period of stay has ended", field="stay_until")
    if stay_until is not None:
        return min(stay_until, card_expiry(birth_date, issued_on))
    years = 5 if age_on(birth_date, issued_on) < ADULT_CARD_AGE else 10
    year = issued_on.year + (1 if _birthday(issued_on.year, birth_date) <= issued_on else 0)
    return _birthday(year + years - 1, birth_date)


def visual_pin_b(birth_date: dt.date, expiry: dt.date, security_code: str) -> str:
    """PIN B of the visual AP: YYMMDD of birth, expiry year, security code (14 digits)."""
    return f"{birth_date:%y%m%d}{expiry.year:04d}{security_code}"


def new_manufacture_number() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(13))


def _pin(ref: PinRef, value: str, field_name: str) -> str:
    try:
        ref.spec.encode(value)
    except InvalidPin as exc:  # the message names the rule, never the value
        raise InvalidInput(exc.message, field=field_name, code="invalid_pin") from exc
    return value.upper() if ref.spec.upper else value


@dataclass(frozen=True, slots=True, repr=False)
class Pins:
    """The initial PINs the holder chose at the counter. ``repr`` shows none of them."""

    auth: str
    sign: str | None = None
    text: str | None = None
    juki: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "auth", _pin(PinRef.JPKI_AUTH, self.auth, "auth_pin"))
        if self.sign is not None:
            object.__setattr__(self, "sign", _pin(PinRef.JPKI_SIGN, self.sign, "sign_password"))
        for name, ref in (("text", PinRef.TEXT), ("juki", PinRef.JUKI)):
            value = getattr(self, name)
            object.__setattr__(
                self, name, self.auth if value is None else _pin(ref, value, f"{name}_pin")
            )

    def __repr__(self) -> str:
        return "Pins(<masked>)"


@dataclass(frozen=True, slots=True, repr=False)
class Holder:
    """What the municipality sends about the person: the four items and the My Number."""

    name: str
    address: str
    birth_date: dt.date
    sex: str  # ISO 5218
    my_number: str
    #: a foreign resident's end of the period of stay (在留期間の満了日): the card ends then
    stay_until: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "my_number", validate(self.my_number))
        if self.sex not in ("0", "1", "2", "9"):
            raise InvalidInput("sex must be an ISO 5218 code", field="sex")

    def basic_items(self) -> BasicItems:
        return BasicItems(
            name=self.name,
            gender=Gender(int(self.sex)),
            birth_date=self.birth_date,
            address=self.address,
        )

    def __repr__(self) -> str:
        return "Holder(<personal data>)"


@dataclass(frozen=True, slots=True)
class IssuedCard:
    manufacture_number: str
    image: bytes = field(repr=False)
    expires_on: dt.date
    security_code: str = field(repr=False)
    certificates: dict[Purpose, x509.Certificate]
    #: the holder's earlier cards this issuance cancelled (their certificates revoked)
    replaced: tuple[str, ...] = ()
    generation: int = 1
    #: 顔認証マイナンバーカード: no PIN at all and no signing certificate
    face_only: bool = False

    @property
    def signing_certificate_issued(self) -> bool:
        return Purpose.SIGN in self.certificates


@dataclass(frozen=True, slots=True)
class Rewritten:
    """A card the counter brought back: its new image and the certificates just issued."""

    manufacture_number: str
    image: bytes = field(repr=False)
    certificates: dict[Purpose, x509.Certificate]
    revoked: list[str]
    generation: int = 1
    card_expires_on: dt.date | None = None
    #: the 追記欄 entry an address change wrote, and how many entries the card now has
    endorsement: Endorsement | None = field(default=None, repr=False)
    endorsements: int = 0

    @property
    def endorsement_full(self) -> bool:
        """The 追記欄 has no room left: the holder needs a new card (特急発行 for 30 days)."""
        return self.endorsements >= ENDORSEMENT_SLOTS


#: Renewal opens this many months before the certificates end [O] (services-reference §6);
#: for the generation-2 card one year before, as the published plan has it (this project's
#: model of that plan).
RENEWAL_MONTHS = {1: 3, 2: 12}


def renewal_opens(ends: dt.date, generation: int) -> dt.date:
    """The first day the certificates ending on ``ends`` may be renewed."""
    return months_before(ends, RENEWAL_MONTHS[generation])


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day where it has fewer days)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class RevokedCertificate:
    hierarchy: Hierarchy
    serial: int
    revoked_at: dt.datetime
    reason: str


class CardIssuer:
    """J-LIS's card and certificate use cases over its database and key material."""

    def __init__(
        self,
        *,
        authority: AuthorityStore,
        seal_key_path: Path,
        base_url: str,
        key_source: KeySource | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        code_fingerprint: Callable[[str], str] | None = None,
        item_fingerprint: Callable[[str, str], str] | None = None,
    ) -> None:
        self.authority = authority
        self.seal_key_path = seal_key_path
        self.base_url = base_url.rstrip("/")
        self.key_source = key_source
        self.clock = clock
        #: the keyed hash of a resident code (J-LIS's ``code_fp``), kept on the card so the
        #: portal link (``portal_link``) can say whose card it is without personal data
        self.code_fingerprint = code_fingerprint
        #: a keyed hash of (kind, value), kept for the holder's name and date of birth so the
        #: call centre can check a caller (``callcentre``) without J-LIS keeping either
        self.item_fingerprint = item_fingerprint

    def ocsp_url(self, purpose: Purpose, generation: int = 1) -> str:
        return f"{self.base_url}/jlis/ocsp/{Hierarchy.of(purpose, generation).value}"

    def crl_url(self, purpose: Purpose, generation: int = 1) -> str:
        return f"{self.base_url}/jlis/crl/{Hierarchy.of(purpose, generation).value}.crl"

    # --- issuance ------------------------------------------------------------------------

    def issue(
        self,
        uow: UnitOfWork,
        *,
        municipality: str,
        holder: Holder,
        pins: Pins | None,
        idempotency_key: str | None = None,
        resident_code: str | None = None,
        generation: int = 1,
    ) -> IssuedCard:
        """Manufacture, personalise and record one card; return it with its image.

        With ``resident_code`` the card row keeps the code's keyed hash (never the code).
        ``generation`` 2 makes a generation-2 card (see the module's rules). Without
        ``pins`` it is a 顔認証マイナンバーカード (from 2023-12-15, on request): no PIN is
        set on the chip and no signing certificate is issued; the user-authentication key
        and certificate are there (the clinic's reader reads the certificate without a PIN,
        and the eligibility system links the card by its serial), but nothing can make the
        key sign — this project's model of "face or visual check only".
        """
        if generation not in (1, 2):
            raise InvalidInput("a card generation is 1 or 2", field="generation")
        face_only = pins is None
        if face_only and generation != 1:
            raise InvalidInput(
                "a face-only card is modelled on today's card (generation 1)", field="generation"
            )
        now = self.clock().replace(microsecond=0)
        issued_on = now.astimezone(jst.JST).date()
        replaced: list[str] = []
        if holder.birth_date > issued_on:
            raise InvalidInput("the date of birth is after the issue day", field="birth_date")
        with_signing = not face_only and age_on(holder.birth_date, issued_on) >= SIGNING_MINIMUM_AGE
        if with_signing and pins is not None and pins.sign is None:
            raise InvalidInput("a signing password is needed from 15 up", field="sign_password")
        request_key = (
            None
            if idempotency_key is None
            else hashlib.sha256(f"{municipality}\n{idempotency_key}".encode()).hexdigest()
        )
        if request_key is not None:
            self._refuse_repeat(uow, request_key)

        authority = self.authority.get()
        mfg = new_manufacture_number()
        issuer_key = derive_issuer_key(authority.issuer_master_key, mfg)
        chip = Chip.manufacture(
            manufacture_number=mfg,
            issuer_key=issuer_key,
            seal_key=load_seal_key(self.seal_key_path),
            key_source=self.key_source,
            generation=generation,
        )
        session = IssuerSession.open(
            ChipTransport(chip), issuer_key=issuer_key, generation=generation
        )
        expiry = card_expiry(holder.birth_date, issued_on, holder.stay_until)
        if generation == 2 and holder.stay_until is None:
            expiry = months_before(expiry, -1)  # the birthday plus one month
        certificates: dict[Purpose, x509.Certificate] = {}
        for purpose in (Purpose.AUTH, Purpose.SIGN):
            kind = _KIND[purpose]
            ca = authority.ca(purpose, generation)
            session.write_ca_certificate(
                kind, ca.certificate.public_bytes(serialization.Encoding.DER)
            )
            if purpose is Purpose.SIGN and not with_signing:
                continue
            public_key = session.generate_key_pair(kind)
            ocsp_url = self.ocsp_url(purpose, generation)
            crl_url = self.crl_url(purpose, generation)
            if purpose is Purpose.AUTH:
                cert = ca.issue_auth(
                    public_key,
                    birth_date=holder.birth_date,
                    now=now,
                    ocsp_url=ocsp_url,
                    crl_url=crl_url,
                    card_expiry=expiry,
                )
            else:
                cert = ca.issue_sign(
                    public_key,
                    items=holder.basic_items(),
                    now=now,
                    ocsp_url=ocsp_url,
                    crl_url=crl_url,
                    card_expiry=expiry,
                )
            session.write_certificate(kind, cert.public_bytes(serialization.Encoding.DER))
            certificates[purpose] = cert

        security_code = f"{secrets.randbelow(10_000):04d}"
        session.write_text_ap(
            my_number=holder.my_number,
            attributes=TextAttributes(
                name=holder.name,
                address=holder.address,
                birth_date=f"{holder.birth_date:%Y%m%d}",
                sex=holder.sex,
            ),
            sign=authority.sign_text,
        )
        session.write_card_face(
            CardFace(
                birth_date=f"{holder.birth_date:%Y%m%d}",
                sex=holder.sex,
                name_image=placeholder_png(96, 16),
                address_image=placeholder_png(160, 16),
                photo=placeholder_png(48, 64, shade=0x80),
                expiry=f"{expiry:%Y%m%d}",
            )
        )
        if pins is not None:  # a face-only card has none
            session.set_pin(PinRef.JPKI_AUTH, pins.auth)
            if with_signing and pins.sign is not None:
                session.set_pin(PinRef.JPKI_SIGN, pins.sign)
            if generation == 1:  # a generation-2 card has the card PIN and the password only
                session.set_pin(PinRef.TEXT, pins.text or pins.auth)
                session.set_pin(PinRef.JUKI, pins.juki or pins.auth)
        session.set_pin(PinRef.VISUAL_A, holder.my_number)
        session.set_pin(PinRef.VISUAL_B, visual_pin_b(holder.birth_date, expiry, security_code))
        session.finish()
        chip.reset()

        try:
            with uow as conn:
                self._record(
                    conn, mfg, municipality, now, expiry, request_key, certificates, generation
                )
                if self.item_fingerprint is not None:
                    conn.execute(
                        update(store.cards)
                        .where(store.cards.c.manufacture_number == mfg)
                        .values(
                            name_fp=self.item_fingerprint("name", normalise_name(holder.name)),
                            birth_fp=self.item_fingerprint("birth", holder.birth_date.isoformat()),
                            address_fp=self._address_fp(holder.address),
                        )
                    )
                if resident_code is not None and self.code_fingerprint is not None:
                    code_fp = self.code_fingerprint(resident_code)
                    conn.execute(
                        update(store.cards)
                        .where(store.cards.c.manufacture_number == mfg)
                        .values(code_fp=code_fp)
                    )
                    replaced = self._supersede(conn, code_fp, mfg, now)
                uow.commit()
        except IntegrityError as exc:
            if request_key is not None:
                self._refuse_repeat(uow, request_key)
            raise Conflict("the card could not be recorded; try again", code="retry") from exc
        return IssuedCard(
            mfg,
            chip.to_image(),
            expiry,
            security_code,
            certificates,
            tuple(replaced),
            generation,
            face_only,
        )

    def _refuse_repeat(self, uow: UnitOfWork, request_key: str) -> None:
        with uow as conn:
            done = conn.scalar(
                select(store.cards.c.manufacture_number).where(
                    store.cards.c.request_key == request_key
                )
            )
        if done is not None:
            raise Conflict(
                f"a card was already issued for this request ({done})",
                code="card_already_issued",
            )

    @staticmethod
    def _record(
        conn: Connection,
        mfg: str,
        municipality: str,
        now: dt.datetime,
        expiry: dt.date,
        request_key: str | None,
        certificates: dict[Purpose, x509.Certificate],
        generation: int = 1,
    ) -> None:
        conn.execute(
            store.cards.insert().values(
                manufacture_number=mfg,
                municipality=municipality,
                status="active",
                issued_at=now,
                expires_on=expiry,
                suspended_at=None,
                request_key=request_key,
            )
        )
        conn.execute(
            store.certificates.insert(),
            [
                {
                    "hierarchy": Hierarchy.of(purpose, generation).value,
                    "serial": serial_hex(cert.serial_number),
                    "manufacture_number": mfg,
                    "issued_at": now,
                    "not_after": cert.not_valid_after_utc,
                    "status": "good",
                    "revoked_at": None,
                    "reason": None,
                }
                for purpose, cert in certificates.items()
            ],
        )

    # --- suspension and revocation -------------------------------------------------------

    def suspend(
        self,
        uow: UnitOfWork,
        manufacture_number: str,
        *,
        reason: str = "keyCompromise",
        police_receipt: str | None = None,
    ) -> tuple[str, list[RevokedCertificate]]:
        """一時停止: the card is suspended and all its certificates revoked in one step.

        Repeating it changes nothing and answers the same; a cancelled card stays cancelled
        (and its certificates revoked). ``police_receipt`` (a loss outside) is kept with the
        card. Returns (card status, revocations).
        """
        flag = reason_of(reason)
        now = self.clock().replace(microsecond=0)
        c = store.cards.c
        with uow as conn:
            status = self._status(conn, manufacture_number)
            if status == "active":
                conn.execute(
                    update(store.cards)
                    .where(c.manufacture_number == manufacture_number, c.status == "active")
                    .values(status="suspended", suspended_at=now)
                )
                status = "suspended"
            if police_receipt is not None:
                conn.execute(
                    update(store.cards)
                    .where(c.manufacture_number == manufacture_number)
                    .values(police_receipt=police_receipt)
                )
            t = store.certificates.c
            conn.execute(
                update(store.certificates)
                .where(t.manufacture_number == manufacture_number, t.status == "good")
                .values(status="revoked", revoked_at=now, reason=flag.value)
            )
            rows = self._revocations(conn, manufacture_number)
            uow.commit()
        return status, rows

    def resume(
        self, uow: UnitOfWork, auth_serial: str, *, code_fp: str
    ) -> tuple[str, str, list[str]]:
        """一時停止の解除 of the card whose user-auth certificate is ``auth_serial`` (hex),
        asked by the holder's municipality where the card proved itself.

        ``code_fp`` (the keyed hash of the resident code the municipality holds) must be the
        card's: a municipality lifts only its resident's own card. The certificates held by
        the suspension (reason ``certificateHold``) are good again; any other revocation
        stands (the answer lists what is good). A cancelled card is refused. Returns
        (manufacture number, card status, good hierarchies).
        """
        key = serial_hex(parse_serial(auth_serial))
        with uow as conn:
            manufacture_number = conn.scalar(
                select(store.certificates.c.manufacture_number).where(
                    store.certificates.c.hierarchy.in_(
                        (Hierarchy.AUTH.value, Hierarchy.AUTH_G2.value)
                    ),
                    store.certificates.c.serial == key,
                )
            )
        if manufacture_number is None:
            raise NotFound("no card of this resident with that certificate", code="card_not_found")
        c, t = store.cards.c, store.certificates.c
        with uow as conn:
            row = conn.execute(
                select(c.status, c.code_fp).where(c.manufacture_number == manufacture_number)
            ).first()
            if row is None or row.code_fp is None or row.code_fp != code_fp:
                raise NotFound("no card of this resident with that number", code="card_not_found")
            if row.status == "cancelled":
                raise Conflict(
                    "the card was cancelled (廃止) and cannot be used again: apply for a new one",
                    code="card_cancelled",
                )
            conn.execute(
                update(store.cards)
                .where(c.manufacture_number == manufacture_number)
                .values(status="active", suspended_at=None)
            )
            conn.execute(
                update(store.certificates)
                .where(
                    t.manufacture_number == manufacture_number,
                    t.status == "revoked",
                    t.reason == x509.ReasonFlags.certificate_hold.value,
                )
                .values(status="good", revoked_at=None, reason=None)
            )
            good = (
                conn.execute(
                    select(t.hierarchy).where(
                        t.manufacture_number == manufacture_number, t.status == "good"
                    )
                )
                .scalars()
                .all()
            )
            uow.commit()
        return manufacture_number, "active", sorted(good)

    def cancel(
        self, uow: UnitOfWork, manufacture_number: str, *, reason: str = "cessationOfOperation"
    ) -> tuple[str, list[RevokedCertificate]]:
        """廃止: the card ends for good and every certificate on it is revoked (``reason``);
        held certificates are revoked for good too. Repeating it changes nothing."""
        flag = reason_of(reason)
        if flag is x509.ReasonFlags.certificate_hold:
            raise InvalidInput("a cancellation is final: not certificateHold", field="reason")
        now = self.clock().replace(microsecond=0)
        with uow as conn:
            self._status(conn, manufacture_number)
            self._end(conn, [manufacture_number], now, "cancelled", None, flag)
            rows = self._revocations(conn, manufacture_number)
            uow.commit()
        return "cancelled", rows

    def _supersede(self, conn: Connection, code_fp: str, mfg: str, now: dt.datetime) -> list[str]:
        """The holder's earlier cards, cancelled because card ``mfg`` replaces them."""
        c = store.cards.c
        earlier = list(
            conn.execute(
                select(c.manufacture_number).where(
                    c.code_fp == code_fp, c.manufacture_number != mfg, c.status != "cancelled"
                )
            ).scalars()
        )
        if earlier:
            self._end(conn, earlier, now, "replaced", mfg, x509.ReasonFlags.superseded)
        return earlier

    @staticmethod
    def _end(
        conn: Connection,
        cards: list[str],
        now: dt.datetime,
        why: str,
        replaced_by: str | None,
        flag: x509.ReasonFlags,
    ) -> None:
        c, t = store.cards.c, store.certificates.c
        conn.execute(
            update(store.cards)
            .where(c.manufacture_number.in_(cards), c.status != "cancelled")
            .values(status="cancelled", ended_at=now, end_reason=why, replaced_by=replaced_by)
        )
        hold = x509.ReasonFlags.certificate_hold.value
        conn.execute(
            update(store.certificates)
            .where(
                t.manufacture_number.in_(cards),
                (t.status == "good") | (t.reason == hold),
            )
            .values(status="revoked", revoked_at=now, reason=flag.value)
        )

    @staticmethod
    def _status(conn: Connection, manufacture_number: str) -> str:
        found = conn.scalar(
            select(store.cards.c.status).where(
                store.cards.c.manufacture_number == manufacture_number
            )
        )
        if found is None:
            raise NotFound("no card with that manufacture number", code="card_not_found")
        return str(found)

    @staticmethod
    def _revocations(conn: Connection, manufacture_number: str) -> list[RevokedCertificate]:
        t = store.certificates.c
        rows = conn.execute(
            select(t.hierarchy, t.serial, t.revoked_at, t.reason)
            .where(t.manufacture_number == manufacture_number, t.status == "revoked")
            .order_by(t.hierarchy)
        ).all()
        return [_revoked(*r) for r in rows]

    def revoke_signing(
        self, uow: UnitOfWork, manufacture_number: str, *, reason: str = "affiliationChanged"
    ) -> list[RevokedCertificate]:
        """Revoke the card's signing certificate: one of the four basic items changed.

        The card and its user-authentication certificate stay valid (a move does not end
        them). Repeating it changes nothing. A card without a signing certificate (issued
        under 15) has nothing to revoke.
        """
        flag = reason_of(reason)
        now = self.clock().replace(microsecond=0)
        t = store.certificates.c
        with uow as conn:
            if (
                conn.execute(
                    select(store.cards.c.status).where(
                        store.cards.c.manufacture_number == manufacture_number
                    )
                ).first()
                is None
            ):
                raise NotFound("no card with that manufacture number", code="card_not_found")
            signing = (  # the card's signing certificate of either generation
                t.manufacture_number == manufacture_number,
                t.hierarchy.in_((Hierarchy.SIGN.value, Hierarchy.SIGN_G2.value)),
            )
            conn.execute(
                update(store.certificates)
                .where(*signing, t.status == "good")
                .values(status="revoked", revoked_at=now, reason=flag.value)
            )
            rows = conn.execute(
                select(t.hierarchy, t.serial, t.revoked_at, t.reason).where(*signing)
            ).all()
            uow.commit()
        return [_revoked(*r) for r in rows]

    def free_area_key(self, uow: UnitOfWork, manufacture_number: str, application: str) -> bytes:
        """The free-area session key of one application on one active card, for an issuer
        J-LIS approved (:mod:`mynumber.card.freearea`; the grant is this project's model).
        A suspended card gets none; a reissued card is another chip with other keys."""
        app = {"employee": FreeApp.EMPLOYEE, "licence": FreeApp.LICENCE}.get(application)
        if app is None:
            raise NotFound("no such free-area application", code="free_area_application")
        c = store.cards.c
        with uow as conn:
            found = conn.execute(
                select(c.status, c.expires_on).where(c.manufacture_number == manufacture_number)
            ).first()
        if found is None:
            raise NotFound("no card with that manufacture number", code="card_not_found")
        if found.status != "active":
            raise Conflict("the card is not active", code="card_not_active")
        if found.expires_on < jst.today():
            # the licence stays valid, but nothing is written to an expired card
            raise Conflict("the card has expired", code="card_expired")
        master = self.authority.get().issuer_master_key
        return derive_free_area_key(derive_issuer_key(master, manufacture_number), app)

    # --- the counter's rewrites: renewal and address change -------------------------------

    def _open(self, image: bytes) -> tuple[Chip, IssuerSession]:
        try:
            chip = Chip.from_image(
                image, seal_key=load_seal_key(self.seal_key_path), key_source=self.key_source
            )
        except (ValueError, Error) as exc:
            raise InvalidInput("the card could not be read", field="card_image") from exc
        key = derive_issuer_key(self.authority.get().issuer_master_key, chip.manufacture_number)
        return chip, IssuerSession.open(
            ChipTransport(chip), issuer_key=key, generation=chip.generation
        )

    def _card_for_counter(self, conn: Connection, mfg: str, code_fp: str | None) -> Any:
        c = store.cards.c
        row = conn.execute(
            select(c.status, c.code_fp, c.expires_on).where(c.manufacture_number == mfg)
        ).first()
        if row is None or (code_fp is not None and row.code_fp != code_fp):
            raise NotFound("no card of this resident with that number", code="card_not_found")
        if row.status != "active":
            raise Conflict(
                f"the card is {row.status}: lift the suspension or apply for a new card",
                code=f"card_{row.status}",
            )
        return row

    def _new_certificate(
        self,
        session: IssuerSession,
        purpose: Purpose,
        items: BasicItems,
        now: dt.datetime,
        card_expiry: dt.date,
    ) -> x509.Certificate:
        """A new key pair on the chip and its certificate, ending with its own term or the
        card, whichever comes first."""
        generation = session.generation
        ca = self.authority.get().ca(purpose, generation)
        public_key = session.generate_key_pair(_KIND[purpose])
        ocsp_url = self.ocsp_url(purpose, generation)
        crl_url = self.crl_url(purpose, generation)
        if purpose is Purpose.AUTH:
            cert = ca.issue_auth(
                public_key,
                birth_date=items.birth_date,
                now=now,
                ocsp_url=ocsp_url,
                crl_url=crl_url,
                card_expiry=card_expiry,
            )
        else:
            cert = ca.issue_sign(
                public_key,
                items=items,
                now=now,
                ocsp_url=ocsp_url,
                crl_url=crl_url,
                card_expiry=card_expiry,
            )
        session.write_certificate(_KIND[purpose], cert.public_bytes(serialization.Encoding.DER))
        return cert

    def _replace(
        self,
        conn: Connection,
        mfg: str,
        now: dt.datetime,
        certificates: dict[Purpose, x509.Certificate],
        flag: x509.ReasonFlags,
        generation: int = 1,
    ) -> list[str]:
        """Revoke the card's earlier certificates of these hierarchies; record the new."""
        t = store.certificates.c
        hierarchies = [Hierarchy.of(p, generation).value for p in certificates]
        old = list(
            conn.execute(
                select(t.serial).where(
                    t.manufacture_number == mfg,
                    t.hierarchy.in_(hierarchies),
                    t.status == "good",
                )
            ).scalars()
        )
        conn.execute(
            update(store.certificates)
            .where(t.manufacture_number == mfg, t.hierarchy.in_(hierarchies), t.status == "good")
            .values(status="revoked", revoked_at=now, reason=flag.value)
        )
        conn.execute(
            store.certificates.insert(),
            [
                {
                    "hierarchy": Hierarchy.of(purpose, generation).value,
                    "serial": serial_hex(cert.serial_number),
                    "manufacture_number": mfg,
                    "issued_at": now,
                    "not_after": cert.not_valid_after_utc,
                    "status": "good",
                    "revoked_at": None,
                    "reason": None,
                }
                for purpose, cert in certificates.items()
            ],
        )
        return old

    def renew(
        self, uow: UnitOfWork, *, image: bytes, items: BasicItems, code_fp: str | None
    ) -> Rewritten:
        """電子証明書の更新 at the counter: new key pairs and certificates on the same card."""
        now = self.clock().replace(microsecond=0)
        today = now.astimezone(jst.JST).date()
        chip, session = self._open(image)
        mfg = chip.manufacture_number
        t = store.certificates.c
        with uow as conn:
            card = self._card_for_counter(conn, mfg, code_fp)
            ends = conn.scalar(
                select(t.not_after)
                .where(
                    t.manufacture_number == mfg,
                    t.hierarchy == Hierarchy.of(Purpose.AUTH, chip.generation).value,
                )
                .order_by(t.not_after.desc())
                .limit(1)
            )
        if card.expires_on < today:
            raise Conflict("the card itself has expired: apply for a new card", code="card_expired")
        if ends is not None and ends.astimezone(jst.JST).date() >= card.expires_on:
            raise Conflict(
                "the certificates already run to the card's own expiry "
                f"({card.expires_on:%Y-%m-%d}): renew the card instead (apply for a new card)",
                code="card_expiring",
            )
        if ends is not None:
            opens = renewal_opens(ends.astimezone(jst.JST).date(), chip.generation)
            if today < opens:
                months = RENEWAL_MONTHS[chip.generation]
                raise Conflict(
                    f"renewal opens on {opens:%Y-%m-%d}, {months} months before the "
                    "certificates end",
                    code="renewal_not_open",
                )
        purposes = [Purpose.AUTH]
        if age_on(items.birth_date, today) >= SIGNING_MINIMUM_AGE and not _face_only(chip):
            purposes.append(Purpose.SIGN)
        certificates = {
            p: self._new_certificate(session, p, items, now, card.expires_on) for p in purposes
        }
        chip.reset()
        with uow as conn:
            revoked = self._replace(
                conn, mfg, now, certificates, x509.ReasonFlags.superseded, chip.generation
            )
            uow.commit()
        return Rewritten(
            mfg, chip.to_image(), certificates, revoked, chip.generation, card.expires_on
        )

    def make_face_only(self, uow: UnitOfWork, *, image: bytes, code_fp: str | None) -> Rewritten:
        """顔認証マイナンバーカードへの切替 at the counter: every PIN is removed from the chip
        and the signing certificate revoked; the user-authentication certificate stays (the
        clinic's reader keeps working by face or sight). Back to a card with PINs: the
        counter's PIN setting (暗証番号の初期化: the chip takes a new PIN where none is set)
        — :mod:`.pin_reset`."""
        chip, session = self._open(image)
        mfg = chip.manufacture_number
        if chip.generation != 1:
            raise Conflict(
                "a face-only card is modelled on today's card (generation 1)", code="generation"
            )
        with uow as conn:
            self._card_for_counter(conn, mfg, code_fp)
        for ref in (PinRef.JPKI_AUTH, PinRef.JPKI_SIGN, PinRef.TEXT, PinRef.JUKI):
            session.remove_pin(ref)
        chip.reset()
        revoked = [
            f"{r.serial:x}" for r in self.revoke_signing(uow, mfg, reason="cessationOfOperation")
        ]
        return Rewritten(mfg, chip.to_image(), {}, revoked, chip.generation)

    def _address_fp(self, address: str) -> str | None:
        """The keyed hash of an address as the card carries it (spaces and width ignored)."""
        if self.item_fingerprint is None:
            return None
        return self.item_fingerprint("address", normalise_name(address))

    def change_address(
        self,
        uow: UnitOfWork,
        *,
        image: bytes,
        holder: Holder,
        code_fp: str | None,
        municipality: str,
    ) -> Rewritten:
        """住所変更 at the counter: an entry in the 追記欄, the text AP rewritten and sealed
        over both, a new signing certificate (ending with the card at the latest).

        Refused when the card already carries the registered address (no move recorded) and
        when the 追記欄 is full (a new card is needed; 特急発行 is open for 30 days after it
        filled, :mod:`mynumber.orgs.jlis.endorsements`).
        """
        now = self.clock().replace(microsecond=0)
        today = now.astimezone(jst.JST).date()
        chip, session = self._open(image)
        mfg = chip.manufacture_number
        address_fp = self._address_fp(holder.address)
        c = store.cards.c
        with uow as conn:
            card = self._card_for_counter(conn, mfg, code_fp)
            carried = conn.scalar(select(c.address_fp).where(c.manufacture_number == mfg))
        if card.expires_on < today:
            raise Conflict("the card itself has expired: apply for a new card", code="card_expired")
        if address_fp is not None and carried == address_fp:
            raise Conflict(
                "no move recorded: the card already carries the registered address",
                code="no_address_change",
            )
        entries = session.read_endorsements()
        if len(entries) >= ENDORSEMENT_SLOTS:
            raise Conflict(
                f"the 追記欄 is full ({ENDORSEMENT_SLOTS} entries): apply for a new card "
                "(特急発行 within 30 days of it filling)",
                code="endorsement_full",
            )
        try:
            entry = Endorsement(
                date=f"{today:%Y%m%d}",
                kind="address",
                text=holder.address,
                municipality=municipality,
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), field="address") from exc
        session.write_text_ap(
            my_number=holder.my_number,
            attributes=TextAttributes(
                name=holder.name,
                address=holder.address,
                birth_date=f"{holder.birth_date:%Y%m%d}",
                sex=holder.sex,
            ),
            sign=self.authority.get().sign_text,
            endorsements=(*entries, entry),
        )
        certificates: dict[Purpose, x509.Certificate] = {}
        if age_on(holder.birth_date, today) >= SIGNING_MINIMUM_AGE and not _face_only(chip):
            certificates[Purpose.SIGN] = self._new_certificate(
                session, Purpose.SIGN, holder.basic_items(), now, card.expires_on
            )
        chip.reset()
        revoked: list[str] = []
        if certificates:
            with uow as conn:
                revoked = self._replace(
                    conn,
                    mfg,
                    now,
                    certificates,
                    x509.ReasonFlags.affiliation_changed,
                    chip.generation,
                )
                uow.commit()
        record_endorsement(
            uow,
            mfg,
            entries=len(entries) + 1,
            full=len(entries) + 1 >= ENDORSEMENT_SLOTS,
            on=today,
            address_fp=address_fp,
        )
        return Rewritten(
            mfg,
            chip.to_image(),
            certificates,
            revoked,
            chip.generation,
            card.expires_on,
            entry,
            len(entries) + 1,
        )

    def reset_cryptogram(self, manufacture_number: str, challenge: bytes) -> bytes:
        """The admin cryptogram for one challenge of one card: it opens an issuer session on
        that chip, where (personalisation being over) only a PIN reset is allowed. The
        caller has checked who asks (``pin_reset``)."""
        if len(challenge) != 16:
            raise InvalidInput("a card challenge is 16 bytes", field="card_challenge")
        key = derive_issuer_key(self.authority.get().issuer_master_key, manufacture_number)
        return admin_cryptogram(key, challenge)

    def card_of(self, uow: UnitOfWork, serial: str) -> str:
        """The manufacture number of the card a certificate (serial in hex) is on."""
        t = store.certificates.c
        key = serial_hex(parse_serial(serial))
        with uow as conn:
            found = conn.scalar(select(t.manufacture_number).where(t.serial == key).limit(1))
        if found is None:
            raise NotFound("no certificate with that serial number", code="certificate_not_found")
        return str(found)

    def revoke(
        self, uow: UnitOfWork, serial: str, *, reason: str = "unspecified"
    ) -> RevokedCertificate:
        """Revoke one certificate (e.g. the signing one after a change of the four items).

        Revoking a revoked certificate changes nothing and answers the first revocation.
        """
        flag = reason_of(reason)
        key = serial_hex(parse_serial(serial))
        now = self.clock().replace(microsecond=0)
        t = store.certificates.c
        with uow as conn:
            found = conn.execute(select(t.hierarchy).where(t.serial == key)).scalars().all()
            if not found:
                raise NotFound(
                    "no certificate with that serial number", code="certificate_not_found"
                )
            conn.execute(
                update(store.certificates)
                .where(t.serial == key, t.status == "good")
                .values(status="revoked", revoked_at=now, reason=flag.value)
            )
            for name in found:  # the phone's certificate that follows it (phones.py)
                follow_card_certificate(conn, Hierarchy(name).purpose, key)
            row = conn.execute(
                select(t.hierarchy, t.serial, t.revoked_at, t.reason).where(t.serial == key)
            ).one()
            uow.commit()
        return _revoked(*row)


def _face_only(chip: Chip) -> bool:
    """Whether the card is a 顔認証マイナンバーカード: its auth PIN is not set (it gets no
    signing certificate at a renewal or an address change either)."""
    try:
        JPKIClient(ChipTransport(chip)).pin_status(PinRef.JPKI_AUTH)
    except PinNotSet:
        return True
    return False


def _revoked(
    hierarchy: str, serial: str, revoked_at: dt.datetime | None, reason: str | None
) -> RevokedCertificate:
    assert revoked_at is not None
    return RevokedCertificate(
        Hierarchy(hierarchy), int(serial, 16), revoked_at, reason or "unspecified"
    )
