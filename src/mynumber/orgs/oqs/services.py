"""The eligibility system's use cases: take insurers' copies, register cards, answer
clinics (by card or by insurance-card data), keep consent and drug data, record views.

Who may see what: a clinic gets an answer only for a card confirmed at its reader — by the
card's signature over our one-time challenge (PIN mode: the card signs only after its PIN),
or by the clinic's own signed word that the face matched or staff checked the face
(this project's choice for the 特定利用者証明検証者 path: the real reader's upstream proof is not
public). Before answering by card, the record's name, sex and birth date are checked against
the resident register through J-LIS (本人確認判定フラグ; this project's choice: checked at
the first confirmation of each copy by each card, as the copy is not linked to a card
before; the answer is kept): a record that does
not match is hidden (refused, ``identity_mismatch``) until the insurer sends a corrected copy.
Drug data only with the person's consent for that institution, within 24 hours, and every
view recorded for the person.

Each use case works in the :class:`~mynumber.platform.uow.UnitOfWork` its caller gives; one
that asks J-LIS between reads and writes opens it apart on each side of the call.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from sqlalchemy import Connection, and_, delete, func, select, update

from mynumber import errors
from mynumber.jst import JST
from mynumber.orgs.oqs import model, store
from mynumber.orgs.oqs.clients import Jlis
from mynumber.pki import CertificateError, Purpose, verify_chain, verify_signature
from mynumber.pki.mobile import is_mobile
from mynumber.platform.db import insert_ignoring_duplicates
from mynumber.platform.deliveries import Answer, Opened
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

Clock = Callable[[], dt.datetime]

#: The copy fields an insurer sends (all of them, nothing else).
COPY_FIELDS = frozenset(
    {
        "insurer_number",
        "insurer_name",
        "symbol",
        "number",
        "branch",
        "relation",
        "card_classification",
        "name",
        "name_kana_half",
        "sex",
        "birth_date",
        "valid_from",
        "valid_to",
        "ratio",
        "insured_name",
        "paper_card_issued_on",
        "paper_card_expires_on",
        "certificate_valid_to",
    }
)


def _day(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _copy(message: Any) -> dict[str, Any] | None:
    """An insurer's eligibility copy, checked (None: malformed, nothing kept)."""
    if not isinstance(message, dict) or set(message) != COPY_FIELDS:
        return None
    try:
        out: dict[str, Any] = {
            "insurer_number": str(message["insurer_number"]),
            "insurer_name": str(message["insurer_name"])[:100],
            "symbol": str(message["symbol"])[:20],
            "number": str(message["number"])[:20],
            "branch": str(message["branch"]),
            "relation": str(message["relation"]),
            "card_classification": str(message["card_classification"]),
            "name": str(message["name"])[:100],
            "name_kana_half": str(message["name_kana_half"])[:100],
            "sex": str(message["sex"]),
            "birth_date": dt.date.fromisoformat(message["birth_date"]),
            "valid_from": dt.date.fromisoformat(message["valid_from"]),
            "valid_to": None
            if message["valid_to"] is None
            else dt.date.fromisoformat(message["valid_to"]),
            "ratio": int(message["ratio"]),
            "paper_card_issued_on": _day(message["paper_card_issued_on"]),
            "paper_card_expires_on": _day(message["paper_card_expires_on"]),
            "certificate_valid_to": _day(message["certificate_valid_to"]),
        }
    except (TypeError, ValueError):
        return None
    if (
        not out["insurer_number"].isdigit()
        or len(out["insurer_number"]) not in (6, 8)
        or not (len(out["branch"]) == 2 and out["branch"].isdigit())
        or out["relation"] not in ("1", "2")
        or out["sex"] not in ("1", "2")
        or out["ratio"] not in (10, 20, 30)
    ):
        return None
    return out


@dataclass(frozen=True, slots=True)
class CardConfirmation:
    """What a clinic's reception terminal sends after the reader read the card."""

    mode: str  # face | pin | visual
    certificate: bytes  # the auth certificate (DER), read from the card without a PIN
    challenge_id: str | None = None  # PIN mode: our challenge …
    signature: bytes | None = None  # … signed by the card after its PIN
    face_score: float | None = None  # face mode: the reader's match score (0-1)
    consent: frozenset[str] = frozenset()
    file_id: str = ""


class EligibilitySystem:
    """オンライン資格確認等システム over its own database (the caller's unit of work) and J-LIS."""

    def __init__(
        self,
        *,
        jlis: Jlis,
        clock: Clock = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.jlis = jlis
        self.clock = clock

    # --- insurers' copies (the hub only) ---------------------------------------------------

    def take_copies(self, uow: UnitOfWork, delivery: Opened) -> Answer:
        """Eligibility copies from an insurer, by our codes; a malformed one is refused."""
        if delivery.items != ("eligibility_copy",) or delivery.sender.partition("-")[0] != (
            "insurer"
        ):
            return Answer(accepted=[False] * len(delivery.codes))
        now = self.clock()
        accepted: list[bool] = []
        rows: dict[str, dict[str, Any]] = {}
        for code, message in zip(delivery.codes, delivery.messages, strict=True):
            copy = _copy(message)
            accepted.append(code is not None and copy is not None)
            if code is not None and copy is not None:
                rows[code] = {"code": code, "insurer": delivery.sender, "updated_at": now, **copy}

        def write(conn: Connection) -> set[str]:
            e = store.eligibility
            conn.execute(delete(e).where(e.c.insurer == delivery.sender, e.c.code.in_(list(rows))))
            conn.execute(e.insert(), [{"id": new_id(), **r} for r in rows.values()])
            # the insurer learns who has a card registered (for 資格確認書 / お知らせ)
            r = store.registrations.c
            return set(conn.scalars(select(r.code).where(r.code.in_(list(rows)))).all())

        registered = uow.run(write) if rows else set()
        return Answer(
            accepted=accepted,
            answers=[{"card_registered": code in registered} for code in delivery.codes],
        )

    # --- 利用登録 (Mynaportal) ---------------------------------------------------------------

    def register(self, uow: UnitOfWork, serial: str) -> bool:
        """Link the card (its auth serial) to the person's records; True if records exist."""
        return self._link(uow, serial)

    def register_at_reader(
        self, uow: UnitOfWork, institution: str, asked: CardConfirmation
    ) -> bool:
        """利用登録 at a clinic's reader: the card signs our challenge after its PIN, or (a
        card's holder matched by face: how a 顔認証マイナンバーカード registers, this
        project's reading of "face or visual check only") the reader's face score, counted
        like a confirmation's. A phone registers nothing here (its card does)."""
        model.check_institution(institution)
        if asked.mode == "face":
            cert, serial, card_serial = self._check_certificate(asked.certificate)
            if card_serial is not None:
                raise model.refused("phone_pin_only")
            self._face(uow, serial, asked.face_score)
            return self._link(uow, serial)
        if asked.mode != "pin" or asked.challenge_id is None or asked.signature is None:
            raise errors.InvalidInput(
                "registration needs the card's PIN or a face match", field="mode"
            )
        cert, serial = self._check_card(asked.certificate)
        nonce = self._use_challenge(uow, institution, asked.challenge_id)
        try:
            verify_signature(cert, nonce, asked.signature)
        except CertificateError as exc:
            raise model.refused("challenge_invalid") from exc
        return self._link(uow, serial)

    def _link(self, uow: UnitOfWork, serial: str) -> bool:
        code = self.jlis.link(serial)
        now = self.clock()

        def link(conn: Connection) -> bool:
            insert_ignoring_duplicates(
                conn, store.registrations, [{"serial": serial, "code": code, "registered_at": now}]
            )
            found = conn.scalar(
                select(func.count())
                .select_from(store.eligibility)
                .where(store.eligibility.c.code == code)
            )
            return bool(found)

        return uow.run(link)

    def registered(self, uow: UnitOfWork, serial: str) -> bool:
        with uow as conn:
            return _code_of(conn, serial) is not None

    # --- the reader ------------------------------------------------------------------------

    def challenge(self, uow: UnitOfWork, institution: str) -> tuple[str, bytes]:
        """A one-time challenge for the card to sign in PIN mode: (id, nonce)."""
        model.check_institution(institution)
        nonce = secrets.token_bytes(32)
        challenge_id = new_id()
        row = {
            "id": challenge_id,
            "institution": institution,
            "nonce": nonce.hex(),
            "expires_at": self.clock() + model.CHALLENGE_TTL,
        }
        uow.run(lambda conn: conn.execute(store.challenges.insert(), row))
        return challenge_id, nonce

    def _use_challenge(self, uow: UnitOfWork, institution: str, challenge_id: str) -> bytes:
        c = store.challenges.c
        now = self.clock()
        with uow as conn:
            nonce = conn.scalar(
                select(c.nonce).where(
                    c.id == challenge_id,
                    c.institution == institution,
                    c.used_at.is_(None),
                    c.expires_at > now,
                )
            )
            if nonce is None:
                raise model.refused("challenge_invalid")
            conn.execute(update(store.challenges).where(c.id == challenge_id).values(used_at=now))
            uow.commit()
        return bytes.fromhex(nonce)

    def _check_card(self, certificate: bytes) -> tuple[x509.Certificate, str]:
        """The auth certificate, chained to J-LIS's root and good now; its serial."""
        cert, serial, _ = self._check_certificate(certificate)
        return cert, serial

    def _check_certificate(self, certificate: bytes) -> tuple[x509.Certificate, str, str | None]:
        """The auth certificate (a card's or a phone's), chained to J-LIS's root and good
        now; its serial and, for a phone's, the card's auth serial it follows."""
        now = self.clock()
        try:
            cert = x509.load_der_x509_certificate(certificate)
        except ValueError as exc:
            raise model.refused("certificate_invalid") from exc
        try:
            # a card of either generation, or a phone's certificate
            verify_chain(cert, self.jlis.auth_roots(), now, purpose=Purpose.AUTH)
        except CertificateError as exc:
            # a lapsed auth certificate: the card still serves as insurance card to the end
            # of the third month after it lapsed (the chain checked as on its last moment)
            ended = cert.not_valid_after_utc
            if not ended < now:
                raise model.refused("certificate_invalid") from exc
            try:
                verify_chain(cert, self.jlis.auth_roots(), ended, purpose=Purpose.AUTH)
            except CertificateError as again:
                raise model.refused("certificate_invalid") from again
            if not model.certificate_usable(ended, now):
                raise model.refused("certificate_lapsed") from exc
        serial = f"{cert.serial_number:x}"
        try:
            card_status, cert_status, card_serial = self.jlis.status(serial)
        except errors.NotFound as exc:
            raise model.refused("certificate_invalid") from exc
        if card_status == "suspended":
            raise model.refused("card_suspended")
        if card_status != "active" or cert_status != "good":
            raise model.refused("card_revoked")
        if is_mobile(cert) != (card_serial is not None):
            raise model.refused("certificate_invalid")
        return cert, serial, card_serial

    def _face(self, uow: UnitOfWork, serial: str, score: float | None) -> None:
        """Count the face match; raise if it failed or the card's face mode is locked."""
        if score is None or not 0.0 <= score <= 1.0:
            raise errors.InvalidInput("face mode needs a score from 0 to 1", field="face_score")
        matched = score >= model.FACE_THRESHOLD
        f = store.face_counters.c
        now = self.clock()
        with uow as conn:
            failures = conn.scalar(select(f.failures).where(f.serial == serial))
            counter = model.FaceCounter(int(failures or 0))
            if counter.locked:
                raise model.refused("face_locked")
            after = counter.after(matched)
            if failures is None:
                conn.execute(
                    store.face_counters.insert(),
                    {"serial": serial, "failures": after.failures, "updated_at": now},
                )
            else:
                conn.execute(
                    update(store.face_counters)
                    .where(f.serial == serial)
                    .values(failures=after.failures, updated_at=now)
                )
            uow.commit()
        if not matched:
            raise model.refused("face_locked" if after.locked else "face_mismatch")

    def reset_face(self, uow: UnitOfWork, serial: str) -> None:
        """The municipality unlocks face mode for a card (the holder came in person)."""
        f = store.face_counters.c
        uow.run(
            lambda conn: conn.execute(
                update(store.face_counters)
                .where(f.serial == serial)
                .values(failures=0, updated_at=self.clock())
            ),
        )

    def confirm(
        self, uow: UnitOfWork, institution: str, asked: CardConfirmation
    ) -> tuple[str, bytes]:
        """資格確認 by card: (reference number, answer XML); raise :class:`model.Refused`."""
        model.check_institution(institution)
        if asked.mode not in model.MODES:
            raise errors.InvalidInput("mode is face, pin or visual", field="mode")
        consent = model.consent_kinds(asked.consent)
        cert, serial, card_serial = self._check_certificate(asked.certificate)
        if card_serial is not None and asked.mode != "pin":
            # a phone has no card face and no photo: only its own PIN confirms its holder
            raise model.refused("phone_pin_only")
        if asked.mode == "pin":
            if asked.challenge_id is None or asked.signature is None:
                raise errors.InvalidInput("PIN mode needs the signed challenge", field="signature")
            nonce = self._use_challenge(uow, institution, asked.challenge_id)
            try:
                verify_signature(cert, nonce, asked.signature)
            except CertificateError as exc:
                raise model.refused("challenge_invalid") from exc
        elif asked.mode == "face":
            self._face(uow, serial, asked.face_score)
        mode = asked.mode if card_serial is None else model.PHONE
        now = self.clock()
        today = now.astimezone(JST).date()
        with uow as conn:
            # a phone's certificate reaches the insured member through the card's 利用登録
            code = _code_of(conn, card_serial or serial)
            if code is None:
                raise model.refused("not_registered")
            records = _records_of(conn, code)
        validity, record = model.choose(records, today)
        if record is not None and not self._holder_matches(uow, record, card_serial or serial):
            # 本人確認判定フラグ: a copy that is not the holder's is hidden until the insurer
            # sends a corrected one
            raise model.refused("identity_mismatch")
        reference = new_id()
        given: dict[str, tuple[dt.datetime, dt.datetime]] = {}
        if validity in (model.VALID,) and consent:
            given = {kind: (now, now + model.CONSENT_TTL) for kind in consent}

        def write(conn: Connection) -> str | None:
            conn.execute(
                store.confirmations.insert(),
                {
                    "id": reference,
                    "institution": institution,
                    "code": code,
                    "mode": mode,
                    "result": f"validity:{validity}",
                    "at": now,
                },
            )
            if given:
                conn.execute(
                    store.consents.insert(),
                    [
                        {
                            "id": new_id(),
                            "code": code,
                            "institution": institution,
                            "kind": kind,
                            "given_at": at,
                            "expires_at": until,
                        }
                        for kind, (at, until) in given.items()
                    ],
                )
            return _registered_number(conn, institution, code)

        registered = uow.run(write)
        header = model.Header(
            institution=institution, reference=model.BY_CARD, file_id=asked.file_id, at=now
        )
        xml = model.answer_xml(
            header,
            validity_code=validity,
            record=record,
            # the 照会番号 this institution registered for the patient, else this confirmation's
            reference_number=registered or reference,
            consents=given,
        )
        return reference, xml

    def _holder_matches(self, uow: UnitOfWork, record: Mapping[str, Any], serial: str) -> bool:
        """本人確認判定 of a copy against the card holder: J-LIS asked once per copy and
        card, the answer kept (a corrected copy is a new row, asked again)."""
        i = store.identity_checks.c
        with uow as conn:
            known = conn.scalar(
                select(i.matches).where(i.record == record["id"], i.serial == serial)
            )
        if known is not None:
            return bool(known)
        matches = self.jlis.holder_matches(
            serial,
            name=str(record["name"]),
            sex=str(record["sex"]),
            birth_date=record["birth_date"].isoformat(),
        )
        row = {"record": record["id"], "serial": serial, "matches": matches}
        uow.run(
            lambda conn: insert_ignoring_duplicates(
                conn, store.identity_checks, [row | {"checked_at": self.clock()}]
            )
        )
        return matches

    def answer_batch(
        self, uow: UnitOfWork, institution: str, queries: Sequence[model.InsuranceQuery]
    ) -> list[bytes]:
        """一括照会: each query answered on its own."""
        return [self.answer(uow, institution, q) for q in queries]

    def answer(self, uow: UnitOfWork, institution: str, query: model.InsuranceQuery) -> bytes:
        """資格確認 without the card: by the insurance-card data (記号・番号・枝番 and birth
        date) or by the 照会番号 this institution registered. The answer carries the
        registered 照会番号 in ``ReferenceNumber``; an unknown 照会番号 is an error answer."""
        if query.institution != institution:
            raise errors.Forbidden(
                "the request names another institution", code="institution_mismatch"
            )
        now = self.clock()
        today = now.astimezone(JST).date()
        header = model.Header(
            institution=institution,
            reference=model.BY_INSURANCE_DATA,
            file_id=query.file_id,
            at=now,
        )
        with uow as conn:
            if query.reference_number:
                r = store.reference_numbers.c
                code = conn.scalar(
                    select(r.code).where(
                        r.institution == institution, r.number == query.reference_number
                    )
                )
                if code is None:
                    return model.error_xml(
                        replace(header, segment=model.ERROR, error="reference_unknown")
                    )
                records = _records_of(conn, str(code))
                validity, record = model.choose(records, today)
                if record is not None and _known_mismatch(conn, record["id"]):
                    return model.error_xml(
                        replace(header, segment=model.ERROR, error="identity_mismatch")
                    )
                return model.answer_xml(
                    header,
                    validity_code=validity,
                    record=record,
                    reference_number=query.reference_number,
                )
            records = _matching(conn, query)
            validity, record = model.choose(records, today)
            registered, reason = "", None
            if record is not None:
                validity = model.superseded(validity, record, _records_of(conn, record["code"]))
                registered = _registered_number(conn, institution, record["code"]) or ""
            if record is not None and validity == model.VALID:
                # the paper card or 資格確認書 shown must still serve (End of paper cards)
                reason = model.document_check(record, today)
                if reason is not None and reason != "paper_card_grace":
                    validity = model.INVALID
        return model.answer_xml(
            header,
            validity_code=validity,
            record=record,
            reference_number=registered,
            reason=reason,
        )

    # --- 照会番号 (reference numbers) ---------------------------------------------------------

    def register_reference(
        self, uow: UnitOfWork, institution: str, request: model.ReferenceRegistration
    ) -> bytes:
        """照会番号の登録 (``OQSsiimm01req``): the number the institution chose for the patient
        its request names by insurance-card data. Registered only for a patient whose card
        this institution checked within 24 hours (this project's rule); one number per patient
        per institution (a new one replaces the old), a number names one patient. A refusal
        is an error answer (SegmentOfResult 9) with its reason, and nothing is stored."""
        if request.institution != institution:
            raise errors.Forbidden(
                "the request names another institution", code="institution_mismatch"
            )
        now = self.clock()
        header = model.Header(
            institution=institution,
            reference=model.BY_INSURANCE_DATA,
            file_id=request.file_id,
            at=now,
        )

        def work(conn: Connection) -> str | None:
            codes = {str(r["code"]) for r in _matching(conn, request.person)}
            c = store.confirmations.c
            if len(codes) != 1:
                return "reference_needs_card"
            (code,) = codes
            c = store.confirmations.c
            checked = conn.scalar(
                select(func.count())
                .select_from(store.confirmations)
                .where(
                    c.institution == institution,
                    c.code == code,
                    c.at >= now - model.REFERENCE_AFTER_CARD,
                )
            )
            if not checked:
                return "reference_needs_card"
            r = store.reference_numbers.c
            holder = conn.scalar(
                select(r.code).where(
                    r.institution == institution, r.number == request.reference_number
                )
            )
            if holder is not None and holder != code:
                return "reference_taken"
            conn.execute(
                delete(store.reference_numbers).where(r.institution == institution, r.code == code)
            )
            conn.execute(
                store.reference_numbers.insert(),
                {
                    "institution": institution,
                    "number": request.reference_number,
                    "code": code,
                    "registered_at": now,
                },
            )
            return None

        reason = uow.run(work)
        if reason is not None:
            return model.error_xml(replace(header, segment=model.ERROR, error=reason))
        return model.registered_xml(header, request.reference_number)

    # --- drug data ---------------------------------------------------------------------------

    def drugs(self, uow: UnitOfWork, institution: str, reference: str) -> list[dict[str, Any]]:
        """薬剤情報 for the person confirmed under ``reference``: with a consent for this
        institution within its 24 hours; the view is recorded for the person."""
        now = self.clock()
        k = store.consents.c
        with uow as conn:
            code = _person_of(conn, institution, reference)
            consented = conn.scalar(
                select(func.count())
                .select_from(store.consents)
                .where(
                    k.code == code,
                    k.institution == institution,
                    k.kind == "drugs",
                    k.given_at <= now,
                    k.expires_at > now,
                )
            )
            if not consented:
                raise errors.Forbidden(
                    "no consent to view drug data, or it is older than 24 hours: confirm with "
                    "the card again",
                    code="no_consent",
                )
            d = store.drug_claims.c
            found = [
                {
                    "dispensed_on": r.dispensed_on.isoformat(),
                    "drug": r.drug,
                    "quantity": r.quantity,
                    "days": r.days,
                    "pharmacy": r.pharmacy,
                }
                for r in conn.execute(
                    select(d.dispensed_on, d.drug, d.quantity, d.days, d.pharmacy)
                    .where(d.code == code)
                    .order_by(d.dispensed_on.desc())
                )
            ]
            conn.execute(
                store.views.insert(),
                {
                    "id": new_id(),
                    "code": code,
                    "institution": institution,
                    "kind": "drugs",
                    "at": now,
                },
            )
            uow.commit()
        return found

    def claim(
        self,
        uow: UnitOfWork,
        pharmacy: str,
        reference: str,
        drugs: Sequence[Mapping[str, Any]],
    ) -> int:
        """A pharmacy's dispensing claim (調剤レセプト) for the person it confirmed."""
        if not model.is_pharmacy(pharmacy):
            raise errors.Forbidden("only a pharmacy submits dispensing claims", code="not_pharmacy")
        now = self.clock()

        def write(conn: Connection) -> int:
            code = _person_of(conn, pharmacy, reference)
            rows = [
                {
                    "id": new_id(),
                    "code": code,
                    "pharmacy": pharmacy,
                    "dispensed_on": d["dispensed_on"],
                    "drug": d["drug"],
                    "quantity": d["quantity"],
                    "days": d["days"],
                    "received_at": now,
                }
                for d in drugs
            ]
            conn.execute(store.drug_claims.insert(), rows)
            return len(rows)

        return uow.run(write)

    def views_of(self, uow: UnitOfWork, serial: str) -> list[dict[str, Any]]:
        """Who viewed the data of the holder of ``serial`` (for Mynaportal), newest first."""
        v = store.views.c
        with uow as conn:
            code = _code_of(conn, serial)
            if code is None:
                raise errors.NotFound("this card is not registered", code="not_registered")
            return [
                {"institution": r.institution, "kind": r.kind, "at": r.at}
                for r in conn.execute(
                    select(v.institution, v.kind, v.at).where(v.code == code).order_by(v.at.desc())
                )
            ]

    def health(self, uow: UnitOfWork) -> dict[str, Any]:
        with uow as conn:
            copies = conn.scalar(select(func.count()).select_from(store.eligibility))
            cards = conn.scalar(select(func.count()).select_from(store.registrations))
        return {"org": "oqs", "ok": True, "eligibility": copies, "registrations": cards}


def _code_of(conn: Connection, serial: str) -> str | None:
    """Our code for the holder of the card registered by ``serial`` (None: not registered)."""
    r = store.registrations.c
    found = conn.scalar(select(r.code).where(r.serial == serial))
    return None if found is None else str(found)


def _person_of(conn: Connection, institution: str, reference: str) -> str:
    """Our code for the person ``institution`` confirmed under ``reference`` (or registered
    under that 照会番号)."""
    c = store.confirmations.c
    r = store.reference_numbers.c
    code = conn.scalar(select(c.code).where(c.id == reference, c.institution == institution))
    if code is None and model.REFERENCE.fullmatch(reference):
        # a 照会番号 this institution registered names the patient too
        code = conn.scalar(
            select(r.code).where(r.institution == institution, r.number == reference)
        )
    if code is None:
        raise errors.NotFound("no such confirmation here", code="unknown_reference")
    return str(code)


def _records_of(conn: Connection, code: str) -> list[Mapping[str, Any]]:
    e = store.eligibility
    return [dict(r) for r in conn.execute(select(e).where(e.c.code == code)).mappings()]


def _matching(conn: Connection, query: model.InsuranceQuery) -> list[Mapping[str, Any]]:
    """The copies a query by insurance-card data names."""
    e = store.eligibility.c
    conditions = [
        e.insurer_number == query.insurer_number.strip(),
        e.number == query.number,
        e.branch == query.branch,
        e.birth_date == query.birth_date,
    ]
    if query.symbol:
        conditions.append(e.symbol == query.symbol)
    return [
        dict(r) for r in conn.execute(select(store.eligibility).where(and_(*conditions))).mappings()
    ]


def _registered_number(conn: Connection, institution: str, code: str) -> str | None:
    """The 照会番号 ``institution`` registered for the person ``code``, if any."""
    r = store.reference_numbers.c
    found = conn.scalar(select(r.number).where(r.institution == institution, r.code == code))
    return None if found is None else str(found)


def _known_mismatch(conn: Connection, record: str) -> bool:
    """Whether J-LIS said a copy is not its card holder's (本人確認判定フラグ)."""
    i = store.identity_checks.c
    return bool(
        conn.scalar(
            select(func.count())
            .select_from(store.identity_checks)
            .where(i.record == record, i.matches.is_(False))
        )
    )


def b64(data: str, field: str, limit: int = 8192) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (ValueError, TypeError) as exc:
        raise errors.InvalidInput(f"{field} is not base64", field=field) from exc
    if len(raw) > limit:
        raise errors.InvalidInput(f"{field} is too long", field=field)
    return raw
