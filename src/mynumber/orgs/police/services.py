"""The police's use cases, each on a :class:`~mynumber.platform.uow.UnitOfWork` the caller
makes: licences at the counter (first issue, holding, renewal, the card's data), the
holder's link with the signing certificate, the one-stop address change from the
municipality, the online renewal course, and what the intermediate server answers
Mynaportal."""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from mynumber import errors
from mynumber import licence as rules
from mynumber.orgs.police import keys, model, store
from mynumber.orgs.police.clients import Jlis, Portal
from mynumber.orgs.police.model import Category, Commission, Holding, Refusal
from mynumber.orgs.police.schemas import (
    MAX_PHOTO,
    CardDataOut,
    FeeOut,
    IssuedOut,
    LicenceIn,
    LicenceOut,
    LinkOut,
    SignedIn,
)
from mynumber.pki import CertificateError, build_ocsp_request, check_ocsp_response
from mynumber.pki.cms import CmsSignature, verify_detached
from mynumber.platform.deliveries import Answer, Opened
from mynumber.platform.uow import UnitOfWork

Clock = Callable[[], dt.datetime]
#: What a link opens (services-reference §2).
LINKED_SERVICES = ["portal_view", "online_course", "one_stop_address_change"]
ADDRESS_CHANGE = "licence_address_change"
#: A holder's signed application is fresh for this long (this project's choice).
APPLICATION_WINDOW = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refused(exc: Refusal) -> errors.Error:
    return errors.Conflict(exc.message, code=exc.code)


def _row(conn: Connection, number: str) -> RowMapping:
    row = conn.execute(select(store.licences).where(store.licences.c.number == number))
    found = row.mappings().first()
    if found is None:
        raise errors.NotFound("no licence with that number", code="no_licence")
    return found


def _out(commission: Commission, row: RowMapping) -> LicenceOut:
    holding: Holding = row["holding"]
    return LicenceOut(
        number=row["number"],
        name=row["name"],
        birth_date=row["birth_date"],
        address=row["address"],
        types=json.loads(row["types"]),
        conditions=json.loads(row["conditions"]),
        category=row["category"],
        issued_on=row["issued_on"],
        valid_until=row["valid_until"],
        holding=holding,
        holding_name=model.HOLDING_NAMES[holding],
        commission=commission.name,
        linked=row["hub_code"] is not None,
        card_pending=bool(row["card_pending"]),
    )


def _fee(conn: Connection, number: str, kind: str, holding: Holding, amount: int) -> FeeOut:
    conn.execute(
        insert(store.fees).values(
            number=number, kind=kind, holding=holding, amount=amount, at=_now()
        )
    )
    return FeeOut(number=number, kind=kind, holding=holding, amount=amount)


def _photo(text: str) -> bytes:
    try:
        photo = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.InvalidInput("the photo is not base64", field="photo") from exc
    if len(photo) > MAX_PHOTO:
        raise errors.InvalidInput("the photo is larger than 24 KiB", field="photo")
    return photo


@dataclass(frozen=True, slots=True)
class Licences:
    """The licence counter and everything the police keep about licences."""

    commission: Commission
    key_folder: Path
    clock: Clock = _now

    # --- the counter --------------------------------------------------------------------

    def issue(self, uow: UnitOfWork, body: LicenceIn) -> IssuedOut:
        """A first licence (after the test): a new number, 初回, validity to the third
        birthday-plus-a-month, the first-issue fee for the holding chosen."""
        issued_on = body.issued_on or self.clock().date()
        if body.birth_date >= issued_on:
            raise errors.InvalidInput("the birth date is after the issue date", field="birth_date")
        if model.age_on(body.birth_date, issued_on) < 16:
            raise errors.InvalidInput("no licence under 16", field="birth_date")
        photo = _photo(body.photo)
        valid_until = model.renewed_until(body.birth_date, issued_on, "初回")
        lc = store.licences.c

        def work(conn: Connection) -> IssuedOut:
            prefix = f"{self.commission.code:02d}{issued_on.year % 100:02d}"
            count = conn.scalar(
                select(func.count()).select_from(store.licences).where(lc.number.like(prefix + "%"))
            )
            number = rules.make_number(self.commission.code, issued_on.year, int(count or 0) + 1)
            conn.execute(
                insert(store.licences).values(
                    number=number,
                    name=body.name,
                    birth_date=body.birth_date,
                    address=body.address,
                    types=json.dumps(body.types, ensure_ascii=False),
                    conditions=json.dumps(body.conditions, ensure_ascii=False),
                    category="初回",
                    issued_on=issued_on,
                    valid_until=valid_until,
                    photo=photo,
                    holding=body.holding,
                    card_pending=model.on_card(body.holding),
                    updated_at=_now(),
                )
            )
            fee = _fee(conn, number, "first", body.holding, model.fee(body.holding, "first"))
            return IssuedOut(licence=_out(self.commission, _row(conn, number)), fee=fee)

        return uow.run(work)

    def get(self, uow: UnitOfWork, number: str) -> LicenceOut:
        with uow as conn:
            return _out(self.commission, _row(conn, number))

    def change_holding(self, uow: UnitOfWork, number: str, holding: Holding) -> FeeOut:
        """At the counter outside renewal: add the licence to a card (¥1,500), get a
        plastic one too, or give one up."""
        with uow as conn:
            row = _row(conn, number)
            try:
                amount = model.change_fee(row["holding"], holding)
            except Refusal as exc:
                raise _refused(exc) from exc
            kind = "add_card" if not model.on_card(row["holding"]) else "add_plastic"
            if amount == 0:
                kind = "give_up"
            conn.execute(
                update(store.licences)
                .where(store.licences.c.number == number)
                .values(
                    holding=holding,
                    card_pending=model.on_card(holding)
                    and (row["card_pending"] or not model.on_card(row["holding"])),
                    updated_at=_now(),
                )
            )
            fee = _fee(conn, number, kind, holding, amount)
            uow.commit()
            return fee

    def renew(
        self,
        uow: UnitOfWork,
        number: str,
        category: Category | None = None,
        holding: Holding | None = None,
    ) -> IssuedOut:
        """Renewal at the counter (after the course there): new validity, the renewal fee
        of the holding kept or chosen."""
        with uow as conn:
            row = _row(conn, number)
            held: Holding = holding or row["holding"]
            cat: Category = category or row["category"]
            fee = self._renew(conn, row, cat, held)
            uow.commit()
            return IssuedOut(licence=_out(self.commission, _row(conn, number)), fee=fee)

    def _renew(self, conn: Connection, row: RowMapping, cat: Category, held: Holding) -> FeeOut:
        today = self.clock().date()
        if today > row["valid_until"]:
            raise errors.Conflict("the licence has lapsed: apply again", code="licence_lapsed")
        until = model.renewed_until(row["birth_date"], row["valid_until"], cat)
        conn.execute(
            update(store.licences)
            .where(store.licences.c.number == row["number"])
            .values(
                category="一般" if cat == "初回" else cat,
                issued_on=today,
                valid_until=until,
                holding=held,
                card_pending=model.on_card(held),
                updated_at=_now(),
            )
        )
        return _fee(conn, row["number"], "renewal", held, model.fee(held, "renewal"))

    def card_data(self, uow: UnitOfWork, number: str) -> CardDataOut:
        """The licence application's data, signed by the police, for the desk to write
        into the card (J-LIS grants the session; an expired card gets no grant)."""
        with uow as conn:
            row = _row(conn, number)
            if not model.on_card(row["holding"]):
                raise errors.Conflict(
                    "the licence is held on plastic only: add it to the card first",
                    code="not_on_card",
                )
            data = rules.encode(
                {
                    "number": row["number"],
                    "name": row["name"],
                    "birth_date": row["birth_date"].isoformat(),
                    "address": row["address"],
                    "issued_on": row["issued_on"].isoformat(),
                    "valid_until": row["valid_until"].isoformat(),
                    "types": json.loads(row["types"]),
                    "conditions": json.loads(row["conditions"]),
                    "commission": self.commission.name,
                    "photo": base64.b64encode(row["photo"]).decode("ascii"),
                }
            )
            key, cert = keys.licence_signer(self.key_folder)
            signature = rules.signature_ef(data, key, cert)
            conn.execute(
                update(store.licences)
                .where(store.licences.c.number == number)
                .values(card_pending=False, written_at=_now())
            )
            uow.commit()
        return CardDataOut(
            number=number,
            data=base64.b64encode(data).decode("ascii"),
            signature=base64.b64encode(signature).decode("ascii"),
        )

    # --- the holder's signed applications -----------------------------------------------

    def _verified(self, jlis: Jlis, body: SignedIn, kind: str) -> tuple[dict[str, Any], Any]:
        """The application's data and signature, once the CMS verifies under J-LIS's
        signing CA and J-LIS's OCSP says the certificate is good."""
        try:
            data = base64.b64decode(body.data, validate=True)
            cms = base64.b64decode(body.cms, validate=True)
            document = json.loads(data)
        except (binascii.Error, ValueError) as exc:
            raise errors.InvalidInput("data and cms are base64, data JSON") from exc
        if not isinstance(document, dict) or document.get("kind") != kind:
            raise errors.InvalidInput(f"not a {kind} application", code="wrong_kind")
        number = document.get("number")
        if not isinstance(number, str) or not rules.is_valid_number(number):
            raise errors.InvalidInput("the licence number is not valid", field="number")
        now = self.clock()
        try:
            at = dt.datetime.fromisoformat(str(document.get("at")))
        except ValueError as exc:
            raise errors.InvalidInput("the application has no time", field="at") from exc
        if at.tzinfo is None or abs(now - at) > APPLICATION_WINDOW:
            raise errors.InvalidInput("the application is not fresh", code="stale_application")
        signature = self._check(jlis, cms, data, now)
        return document, signature

    @staticmethod
    def _check(jlis: Jlis, cms: bytes, data: bytes, now: dt.datetime) -> CmsSignature:
        try:
            signature = verify_detached(cms, data, [jlis.sign_ca()], now)
            nonce = os.urandom(16)
            check_ocsp_response(
                jlis.ocsp(build_ocsp_request(signature.certificate, signature.issuer, nonce)),
                signature.certificate,
                signature.issuer,
                now,
                nonce,
            )
        except CertificateError as exc:
            raise errors.Forbidden(
                f"the signature does not verify: {exc.message}", code="signature_refused"
            ) from exc
        return signature

    def link(self, uow: UnitOfWork, jlis: Jlis, body: SignedIn) -> LinkOut:
        """署名用電子証明書の提示: the holder signs an application with the card's signing
        key; once it verifies (J-LIS's OCSP) and names the licence's holder, the police
        keep the serial and their own code at the hub for the person (asked of J-LIS)."""
        document, signature = self._verified(jlis, body, "licence_link")
        number = str(document["number"])
        with uow as conn:
            row = _row(conn, number)
        items = signature.items
        if not model.same_person(row["name"], items.name) or items.birth_date != row["birth_date"]:
            raise errors.Forbidden(
                "the signing certificate is not this licence's holder", code="signer_mismatch"
            )
        code = jlis.hub_code(signature.serial)
        with uow as conn:
            lc = store.licences.c
            other = conn.scalar(select(lc.number).where(lc.hub_code == code, lc.number != number))
            if other is not None:  # a new licence number for the same person moves the link
                conn.execute(update(store.licences).where(lc.number == other).values(hub_code=None))
            conn.execute(
                update(store.licences)
                .where(lc.number == number)
                .values(signer_serial=signature.serial, hub_code=code, linked_at=_now())
            )
            uow.commit()
        return LinkOut(number=number, linked=True, services=LINKED_SERVICES)

    def start_course(self, uow: UnitOfWork, jlis: Jlis, body: SignedIn) -> tuple[str, float]:
        """オンライン更新時講習: a linked, eligible holder's signed application with the
        device's face-match score against the licence photo; below the threshold, refused."""
        document, signature = self._verified(jlis, body, "online_course")
        score = document.get("face_score")
        if not isinstance(score, int | float) or not 0.0 <= float(score) <= 1.0:
            raise errors.InvalidInput("face_score is a number from 0 to 1", field="face_score")
        with uow as conn:
            row = _row(conn, str(document["number"]))
            if row["signer_serial"] is None or row["hub_code"] is None:
                raise errors.Forbidden(
                    "present the signing certificate to the police first", code="not_linked"
                )
            items = signature.items
            if (
                not model.same_person(row["name"], items.name)
                or items.birth_date != row["birth_date"]
            ):
                raise errors.Forbidden("not this licence's holder", code="signer_mismatch")
            why = model.online_course_refusal(
                row["category"], row["birth_date"], row["valid_until"]
            )
            if why is not None:
                raise errors.Forbidden(why, code="not_eligible")
            if not model.on_card(row["holding"]):
                raise errors.Forbidden("the online course is for card holders", code="not_eligible")
            if float(score) < model.FACE_THRESHOLD:
                raise errors.Forbidden(
                    "the face does not match the licence photo", code="face_mismatch"
                )
            course = secrets.token_urlsafe(12)
            conn.execute(
                insert(store.courses).values(
                    id=course, number=row["number"], face_score=float(score), started_at=_now()
                )
            )
            uow.commit()
        return course, float(score)

    def complete_course(self, uow: UnitOfWork, course_id: str, watched: list[str]) -> LicenceOut:
        """Every chapter watched: the renewal is recorded (new validity, the card to be
        written at the next visit)."""
        missing = [c for c in model.COURSE_CHAPTERS if c not in watched]
        if missing:
            raise errors.InvalidInput(f"chapters not watched: {', '.join(missing)}")
        with uow as conn:
            c = store.courses.c
            course = conn.execute(select(store.courses).where(c.id == course_id)).mappings().first()
            if course is None:
                raise errors.NotFound("no such course", code="no_course")
            if course["completed_at"] is not None:
                raise errors.Conflict("the course is already completed", code="completed")
            row = _row(conn, course["number"])
            self._renew(conn, row, row["category"], row["holding"])
            conn.execute(update(store.courses).where(c.id == course_id).values(completed_at=_now()))
            uow.commit()
            return _out(self.commission, _row(conn, course["number"]))

    # --- through the hub ----------------------------------------------------------------

    def information(self, uow: UnitOfWork, code: str) -> dict[str, Any] | None:
        """What the intermediate server answers Mynaportal for our code (None: nobody)."""
        with uow as conn:
            row = (
                conn.execute(select(store.licences).where(store.licences.c.hub_code == code))
                .mappings()
                .first()
            )
        if row is None:
            return None
        shown = _out(self.commission, row).model_dump(mode="json")
        for internal in ("linked", "holding"):  # holding_name says it in words
            shown.pop(internal)
        shown["licence_number"] = shown.pop("number")
        shown["licence_category"] = shown.pop("category")  # 優良, 一般, 違反, 初回
        return shown

    def address_changes(self, uow: UnitOfWork, portal: Portal | None, opened: Opened) -> Answer:
        """住所変更のワンストップ: a move recorded at the municipality reaches us by our own
        code. A card-only holder's record takes the new address (written to the card at the
        next visit); a plastic licence's holder is told to come to the police."""
        accepted: list[bool] = []
        answers: list[Any] = []
        told: list[tuple[str, dict[str, Any]]] = []
        lc = store.licences.c
        with uow as conn:
            for code, message in zip(opened.codes, opened.messages, strict=True):
                address = message.get("address") if isinstance(message, dict) else None
                row = None
                if code is not None:
                    found = conn.execute(select(store.licences).where(lc.hub_code == code))
                    row = found.mappings().first()
                if row is None or not isinstance(address, str) or not 0 < len(address) <= 200:
                    accepted.append(False)
                    answers.append({"one_stop": False, "reason": "no linked licence"})
                    continue
                if row["holding"] != "card":
                    accepted.append(True)
                    answers.append({"one_stop": False, "reason": "plastic licence"})
                    told.append((row["hub_code"], _go_to_police(row["number"])))
                    continue
                conn.execute(
                    update(store.licences)
                    .where(lc.number == row["number"])
                    .values(address=address, card_pending=True, updated_at=_now())
                )
                accepted.append(True)
                answers.append({"one_stop": True})
            uow.commit()
        if told and portal is not None:
            # the answer to the municipality says it too; the notice is a courtesy
            with contextlib.suppress(errors.Error):
                portal.notify([c for c, _ in told], [m for _, m in told])
        return Answer(accepted=accepted, answers=answers)


def _go_to_police(number: str) -> dict[str, Any]:
    return {
        "title": "運転免許証の住所変更のお願い",
        "body": "従来の免許証をお持ちの方は、住所変更のワンストップの対象外です。"
        "警察署または運転免許センターで記載事項変更の手続をしてください。"
        f"（免許証番号末尾 {number[-4:]}）",
        "ref": f"police:address:{number}:{_now().date().isoformat()}",
    }
