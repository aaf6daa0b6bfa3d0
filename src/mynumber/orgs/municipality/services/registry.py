"""Use cases of the resident registry: register, designate a number, move, death, search.

Remote calls (J-LIS, another municipality) happen before the local transaction and are
idempotent on the other side, so a crash between them loses and duplicates nothing: the
retry finds the code reserved, the number already generated, the move-in already made.
Enrolment at the hub (符号取得) comes after the commit and never undoes it (``enrol``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from mynumber import jst
from mynumber.errors import Conflict, Forbidden, InvalidInput, NotFound
from mynumber.number import random_resident_code, validate, validate_resident_code
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.clients import JlisIssuer, PeerMunicipality
from mynumber.orgs.municipality.model import (
    CARD_EVENTS,
    RELATIONSHIPS,
    BasicItems,
    Municipality,
    Status,
    check_date,
    municipality,
)
from mynumber.orgs.municipality.schemas import (
    HouseholdOut,
    ResidentOut,
    Transfer,
    TransferMember,
    masked,
)
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

_CODE_ATTEMPTS = 5

#: How old a move-out claim must be before the same move may take it over.
STALE_CLAIM = timedelta(seconds=60)


def to_out(row: RowMapping, code: str) -> ResidentOut:
    values = dict(row)
    values["my_number_masked"] = masked(values.pop("my_number"))
    values.pop("idempotency_key", None)
    values.pop("updated_at", None)
    return ResidentOut(municipality=code, **values)


@dataclass
class ResidentRegistry:
    """One municipality's registry: its clients of J-LIS and peers. Each use case takes the
    unit of work of the municipality's database from its caller; one that calls J-LIS or
    another municipality opens it before and after the call, never across it.

    ``enrol`` gets the unit of work and the ids of people registered or moved in, once their
    records are committed, to enrol them at the hub; it must not raise (an outage leaves
    them for later).
    """

    municipality: Municipality
    jlis: JlisIssuer
    peer: Callable[[str], PeerMunicipality]
    enrol: Callable[[UnitOfWork, list[str]], None] = lambda uow, resident_ids: None
    #: after a move-in is committed (and enrolled): the unit of work, the movers' ids and
    #: new address, for agencies told of a move (the police's one-stop address change);
    #: must not raise
    moved: Callable[[UnitOfWork, list[str], str], None] = lambda uow, resident_ids, address: None

    # --- reading -------------------------------------------------------------------------

    def _row(self, conn: Connection, resident_id: str) -> RowMapping:
        row = conn.execute(select(store.residents).where(store.residents.c.id == resident_id))
        found = row.mappings().first()
        if found is None:
            raise NotFound("no such resident", code="resident_not_found")
        return found

    def active_count(self, uow: UnitOfWork) -> int:
        """How many residents are active here (the health report)."""
        with uow as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(store.residents)
                    .where(store.residents.c.status == "active")
                )
                or 0
            )

    def get(self, uow: UnitOfWork, resident_id: str) -> ResidentOut:
        with uow as conn:
            return to_out(self._row(conn, resident_id), self.municipality.code)

    def household(self, uow: UnitOfWork, household_id: str) -> HouseholdOut:
        with uow as conn:
            home = (
                conn.execute(select(store.households).where(store.households.c.id == household_id))
                .mappings()
                .first()
            )
            if home is None:
                raise NotFound("no such household", code="household_not_found")
            members = conn.execute(
                select(store.residents)
                .where(store.residents.c.household_id == household_id)
                .order_by(store.residents.c.birth_date)
            ).mappings()
            return HouseholdOut(
                id=home["id"],
                address=home["address"],
                members=[to_out(m, self.municipality.code) for m in members],
            )

    def history(self, uow: UnitOfWork, resident_id: str) -> list[dict[str, Any]]:
        with uow as conn:
            self._row(conn, resident_id)
            rows = conn.execute(
                select(store.events.c.kind, store.events.c.on, store.events.c.detail)
                .where(store.events.c.resident_id == resident_id)
                .order_by(store.events.c.id)
            ).mappings()
            return [
                {"kind": r["kind"], "on": r["on"], "detail": json.loads(r["detail"])} for r in rows
            ]

    def search(
        self,
        uow: UnitOfWork,
        *,
        query: str = "",
        status: str | None = "active",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[ResidentOut]]:
        """Residents whose name or kana contains ``query`` (all when empty), newest first."""
        r = store.residents.c
        conditions = []
        if status:
            try:
                conditions.append(r.status == Status(status).value)
            except ValueError:
                raise InvalidInput("unknown status", field="status") from None
        for word in query.split():
            like = f"%{word}%"
            conditions.append(
                or_(
                    r.family_name.like(like),
                    r.given_name.like(like),
                    r.family_name_kana.like(like),
                    r.given_name_kana.like(like),
                    r.address.like(like),
                )
            )
        with uow as conn:
            total = conn.scalar(
                select(func.count()).select_from(store.residents).where(*conditions)
            )
            rows = conn.execute(
                select(store.residents)
                .where(*conditions)
                .order_by(r.family_name_kana, r.given_name_kana, r.id)
                .limit(min(limit, 500))
                .offset(offset)
            ).mappings()
            return int(total or 0), [to_out(row, self.municipality.code) for row in rows]

    def find(
        self, uow: UnitOfWork, *, my_number: str | None = None, resident_code: str | None = None
    ) -> ResidentOut:
        """The active resident holding this My Number or resident code."""
        r = store.residents.c
        if my_number:
            condition = r.my_number == validate(my_number)
        elif resident_code:
            condition = r.resident_code == validate_resident_code(resident_code)
        else:
            raise InvalidInput("give a My Number or a resident code", field="my_number")
        with uow as conn:
            row = (
                conn.execute(select(store.residents).where(condition, r.status == "active"))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound("no active resident with that identifier", code="resident_not_found")
        return to_out(row, self.municipality.code)

    # --- writing -------------------------------------------------------------------------

    def _code_and_number(self) -> tuple[str, str]:
        """A fresh resident code, reserved nationwide, and its My Number, from J-LIS."""
        for _ in range(_CODE_ATTEMPTS):
            numbered = self.jlis.reserve_and_number([random_resident_code()])
            if numbered:
                return next(iter(numbered.items()))
        raise Conflict("could not find a free resident code", code="codes_exhausted")

    def register(
        self,
        uow: UnitOfWork,
        *,
        items: BasicItems,
        household_id: str | None = None,
        relationship: str = "世帯主",
        reason: str = "birth",
        registered_on: date | None = None,
        idempotency_key: str | None = None,
    ) -> ResidentOut:
        """Register a person, assign a resident code and designate their My Number."""
        if relationship not in RELATIONSHIPS:
            raise InvalidInput("unknown relationship (続柄)", field="relationship")
        today = jst.today()
        registered_on = check_date(
            registered_on or today, field="registered_on", birth=items.birth_date, today=today
        )
        if idempotency_key and (done := self._by_idempotency_key(uow, idempotency_key, items)):
            self.enrol(uow, [done.id])  # a retry: perhaps the first try's enrolment failed
            return done
        self._refuse_duplicate(uow, items)
        for _ in range(_CODE_ATTEMPTS):
            code, number = self._code_and_number()
            try:
                with uow as conn:
                    resident_id = self._insert(
                        conn,
                        items=items,
                        code=code,
                        number=number,
                        household_id=household_id,
                        relationship=relationship,
                        reason=reason,
                        on=registered_on,
                        idempotency_key=idempotency_key,
                        moved_from=None,
                    )
                    uow.commit()
            except IntegrityError:
                self._refuse_duplicate(uow, items)
                if idempotency_key and (
                    done := self._by_idempotency_key(uow, idempotency_key, items)
                ):
                    return done  # a concurrent retry of the same request won
                continue
            self.enrol(uow, [resident_id])
            return self.get(uow, resident_id)
        raise Conflict("could not register: resident codes kept colliding", code="codes_exhausted")

    def _by_idempotency_key(
        self, uow: UnitOfWork, key: str, items: BasicItems
    ) -> ResidentOut | None:
        """The resident an earlier request with this key registered, if any."""
        with uow as conn:
            row = (
                conn.execute(
                    select(store.residents).where(store.residents.c.idempotency_key == key)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        if (row["family_name"], row["given_name"], row["birth_date"]) != (
            items.family_name,
            items.given_name,
            items.birth_date,
        ):
            raise Conflict("this idempotency key was used for another person", code="key_reused")
        return to_out(row, self.municipality.code)

    def _refuse_duplicate(self, uow: UnitOfWork, items: BasicItems) -> None:
        r = store.residents.c
        with uow as conn:
            existing = conn.execute(
                select(r.id).where(
                    r.status == "active",
                    r.family_name == items.family_name,
                    r.given_name == items.given_name,
                    r.birth_date == items.birth_date,
                    r.address == items.address,
                )
            ).first()
        if existing is not None:
            raise Conflict("this person is already registered here", code="already_registered")

    def _insert(
        self,
        conn: Connection,
        *,
        items: BasicItems,
        code: str,
        number: str | None,
        household_id: str | None,
        relationship: str,
        reason: str,
        on: date,
        idempotency_key: str | None,
        moved_from: str | None,
    ) -> str:
        now = datetime.now(UTC)
        address = items.address
        if household_id is None:
            household_id = new_id()
            conn.execute(
                store.households.insert().values(id=household_id, address=address, created_at=now)
            )
        else:
            home = conn.execute(
                select(store.households.c.address).where(store.households.c.id == household_id)
            ).scalar()
            if home is None:
                raise NotFound("no such household", code="household_not_found")
            if home != address:
                raise InvalidInput("a member's address must be the household's", field="address")
        resident_id = new_id()
        conn.execute(
            store.residents.insert().values(
                id=resident_id,
                resident_code=code,
                my_number=number,
                family_name=items.family_name,
                given_name=items.given_name,
                family_name_kana=items.family_name_kana,
                given_name_kana=items.given_name_kana,
                birth_date=items.birth_date,
                sex=items.sex.value,
                address=address,
                household_id=household_id,
                relationship=relationship,
                status="active",
                registered_on=on,
                registered_reason=reason,
                moved_from=moved_from,
                idempotency_key=idempotency_key,
                updated_at=now,
            )
        )
        detail: dict[str, Any] = {"reason": reason}
        if moved_from:
            detail["from"] = moved_from
        _event(conn, resident_id, reason, on, detail)
        if number:
            _event(conn, resident_id, "number", on, {"designated": True})
        return resident_id

    def move_out(
        self,
        uow: UnitOfWork,
        resident_id: str,
        *,
        to: str,
        address: str,
        moved_on: date | None = None,
        whole_household: bool = False,
    ) -> list[ResidentOut]:
        """転出: hand the record to another municipality; the My Number stays the same.

        The records are first claimed (``moving``) so that two moves cannot both go ahead;
        then the new municipality takes them in (idempotently); then they close here as
        ``moved_out``. If the new municipality refuses, the claim is released; if it cannot
        be reached (or this process stops), the records stay ``moving`` and the same move can
        be run again once the claim is :data:`STALE_CLAIM` old; before that a second move
        is a conflict, so two clerks never move one person twice.
        """
        destination = self._destination(to)
        r = store.residents.c
        with uow as conn:
            mover = self._row(conn, resident_id)
            resuming = (
                mover["status"] == Status.MOVING
                and mover["moved_to"] == destination.code
                and mover["updated_at"] < datetime.now(UTC) - STALE_CLAIM
            )
            if mover["status"] != Status.ACTIVE and not resuming:
                raise Conflict("this resident no longer lives here", code="not_active")
            if resuming:
                on = mover["left_on"]
            else:
                today = jst.today()
                on = check_date(
                    moved_on or today,
                    field="moved_on",
                    birth=mover["birth_date"],
                    today=today,
                    not_before=mover["registered_on"],
                )
            wanted = Status.MOVING if resuming else Status.ACTIVE
            members = [mover]
            if whole_household:
                members = list(
                    conn.execute(
                        select(store.residents)
                        .where(r.household_id == mover["household_id"], r.status == wanted)
                        .order_by(r.relationship != "世帯主", r.birth_date)
                    ).mappings()
                )
            ids = [m["id"] for m in members]
            if not resuming:
                claimed = conn.execute(
                    update(store.residents)
                    .where(r.id.in_(ids), r.status == Status.ACTIVE)
                    .values(
                        status=Status.MOVING,
                        moved_to=destination.code,
                        left_on=on,
                        updated_at=datetime.now(UTC),
                    )
                ).rowcount
                if claimed != len(ids):
                    raise Conflict("a record changed during the move", code="not_active")
            uow.commit()
        transfer = Transfer(
            moved_from=self.municipality.code,
            moved_on=on,
            address=address,
            members=[
                _transfer_member(m, whole_household, self._cards_of(uow, [m["id"]]))
                for m in members
            ],
        )
        try:
            moved = self.peer(destination.code).move_in(transfer.model_dump(mode="json"))
        except (InvalidInput, Conflict, Forbidden, NotFound):
            self._release(uow, ids)  # refused: nothing moved, the people still live here
            raise
        # the address changed: J-LIS revokes each mover's signing certificate (idempotent,
        # so a move resumed after a failure here asks again)
        for card in self._cards_of(uow, ids):
            self.jlis.revoke_signing(card, reason="affiliationChanged")
        with uow as conn:
            conn.execute(
                update(store.residents)
                .where(r.id.in_(ids), r.status == Status.MOVING)
                .values(status=Status.MOVED_OUT, updated_at=datetime.now(UTC))
            )
            for resident in ids:
                _event(conn, resident, "move_out", on, {"to": destination.code})
            uow.commit()
        return [ResidentOut(**moved_in) for moved_in in moved]

    def _destination(self, to: str) -> Municipality:
        try:
            destination = municipality(to)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="to") from None
        if destination.code == self.municipality.code:
            raise InvalidInput("a move within the municipality is not a move-out", field="to")
        if not self.peer(destination.code).reachable():
            raise InvalidInput(f"{destination.full_name} is not served here", field="to")
        return destination

    def _release(self, uow: UnitOfWork, ids: list[str]) -> None:
        with uow as conn:
            conn.execute(
                update(store.residents)
                .where(store.residents.c.id.in_(ids), store.residents.c.status == Status.MOVING)
                .values(status=Status.ACTIVE, moved_to=None, left_on=None)
            )
            uow.commit()

    def receive_move_in(self, uow: UnitOfWork, transfer: Transfer) -> list[ResidentOut]:
        """転入: take in people moving from another municipality, once (retries are no-ops)."""
        municipality(transfer.moved_from)
        if transfer.moved_from == self.municipality.code:
            raise InvalidInput("a move-in from the same municipality", field="moved_from")
        codes = [validate_resident_code(m.resident_code) for m in transfer.members]
        today = jst.today()
        for m in transfer.members:
            if m.my_number is not None:
                validate(m.my_number)
            check_date(transfer.moved_on, field="moved_on", birth=m.birth_date, today=today)
        # every name, kana and the address checked before anything is looked up or written
        people = [m.items(transfer.address) for m in transfer.members]
        try:
            with uow as conn:
                existing = dict(
                    conn.execute(
                        select(store.residents.c.resident_code, store.residents.c.id).where(
                            store.residents.c.resident_code.in_(codes),
                            store.residents.c.status == "active",
                        )
                    ).all()
                )
                household_id: str | None = None
                ids: list[str] = []
                for member, code, items in zip(transfer.members, codes, people, strict=True):
                    if code in existing:
                        ids.append(existing[code])
                        continue
                    ids.append(
                        self._insert(
                            conn,
                            items=items,
                            code=code,
                            number=member.my_number,
                            household_id=household_id,
                            relationship=member.relationship,
                            reason="move_in",
                            on=transfer.moved_on,
                            idempotency_key=None,
                            moved_from=transfer.moved_from,
                        )
                    )
                    for card in member.cards:
                        _event(
                            conn,
                            ids[-1],
                            "card_moved",
                            transfer.moved_on,
                            {"manufacture_number": card},
                        )
                    if household_id is None:
                        household_id = conn.execute(
                            select(store.residents.c.household_id).where(
                                store.residents.c.id == ids[-1]
                            )
                        ).scalar_one()
                uow.commit()
        except IntegrityError as exc:  # the same person already lives here
            raise Conflict(
                "this person is already registered here", code="already_registered"
            ) from exc
        self.enrol(uow, ids)
        self.moved(uow, ids, people[0].address)
        return [self.get(uow, i) for i in ids]

    def issue_card(
        self,
        uow: UnitOfWork,
        resident_id: str,
        pins: dict[str, str | None] | None,
        key: str | None,
        *,
        generation: int = 1,
    ) -> Any:
        """交付申請 and 交付: J-LIS makes the resident's card; its manufacture number goes in
        the record's history (PINs are passed on, never stored or logged). No ``pins``: a
        顔認証マイナンバーカード."""
        with uow as conn:
            row = self._row(conn, resident_id)
        if row["status"] != Status.ACTIVE:
            raise Conflict("this resident no longer lives here", code="not_active")
        if row["my_number"] is None:
            raise Conflict("this resident has no My Number yet", code="no_number")
        issued = self.jlis.issue_card(
            {
                "items": {
                    "name": f"{row['family_name']}\u3000{row['given_name']}",
                    "address": row["address"],
                    "birth_date": row["birth_date"].isoformat(),
                    "sex": row["sex"],
                },
                "my_number": row["my_number"],
                "resident_code": row["resident_code"],
                "pins": pins,
                "face_only": pins is None,
                "idempotency_key": key,
                "generation": generation,
            }
        )
        with uow as conn:
            _event(
                conn,
                resident_id,
                "card_issued",
                jst.today(),
                {"manufacture_number": issued["summary"]["manufacture_number"]},
            )
            uow.commit()
        return issued

    def card_holder(self, uow: UnitOfWork, resident_id: str) -> dict[str, Any]:
        """What J-LIS needs to rewrite the resident's card at the counter: the four items as
        the card carries them, the My Number (for the text AP) and the resident code."""
        with uow as conn:
            row = self._row(conn, resident_id)
        if row["status"] != Status.ACTIVE:
            raise Conflict("this resident no longer lives here", code="not_active")
        return {
            "items": {
                "name": f"{row['family_name']}\u3000{row['given_name']}",
                "address": row["address"],
                "birth_date": row["birth_date"].isoformat(),
                "sex": row["sex"],
            },
            "my_number": row["my_number"],
            "resident_code": row["resident_code"],
        }

    def cards_of(self, uow: UnitOfWork, resident_id: str) -> list[str]:
        """Manufacture numbers of the cards issued to this resident here."""
        return self._cards_of(uow, [resident_id])

    def _cards_of(self, uow: UnitOfWork, resident_ids: list[str]) -> list[str]:
        """Manufacture numbers of the cards issued to these residents here."""
        with uow as conn:
            details = conn.execute(
                select(store.events.c.detail).where(
                    store.events.c.resident_id.in_(resident_ids),
                    store.events.c.kind.in_(CARD_EVENTS),
                )
            ).scalars()
            return [json.loads(detail)["manufacture_number"] for detail in details]

    def reissue_number(
        self, uow: UnitOfWork, resident_id: str, *, reason: str = "leak"
    ) -> ResidentOut:
        """個人番号の変更: after a leak, J-LIS issues a new number; the old one is retired."""
        with uow as conn:
            row = self._row(conn, resident_id)
        if row["status"] != "active" or row["my_number"] is None:
            raise Conflict("only a current resident's number can be changed", code="not_active")
        number = self.jlis.reissue_number(row["resident_code"], row["my_number"], reason)
        with uow as conn:
            conn.execute(
                update(store.residents)
                .where(store.residents.c.id == resident_id)
                .values(my_number=number, updated_at=datetime.now(UTC))
            )
            _event(conn, resident_id, "number", jst.today(), {"reissued": True, "reason": reason})
            uow.commit()
        return self.get(uow, resident_id)

    def request_reissue(
        self, uow: UnitOfWork, resident_id: str, *, reason: str, by: str
    ) -> dict[str, Any]:
        """Ask for a new My Number (the first of two people); nothing changes until a second
        supervisor approves (:meth:`approve_reissue`)."""
        with uow as conn:
            row = self._row(conn, resident_id)
            if row["status"] != "active" or row["my_number"] is None:
                raise Conflict("only a current resident's number can be changed", code="not_active")
            r = store.reissue_requests.c
            pending = conn.scalar(
                select(r.id).where(r.resident_id == resident_id, r.status == "pending")
            )
            if pending is not None:
                raise Conflict("a re-issue is already waiting for approval", code="reissue_pending")
            request = {
                "id": new_id(),
                "resident_id": resident_id,
                "reason": reason,
                "requested_by": by,
                "requested_at": datetime.now(UTC),
                "status": "pending",
                "approved_by": None,
                "approved_at": None,
            }
            conn.execute(store.reissue_requests.insert(), request)
            uow.commit()
        return request

    def reissue_request(self, uow: UnitOfWork, request_id: str) -> dict[str, Any]:
        with uow as conn:
            found = (
                conn.execute(
                    select(store.reissue_requests).where(store.reissue_requests.c.id == request_id)
                )
                .mappings()
                .first()
            )
        if found is None:
            raise NotFound("no such re-issue request", code="reissue_request_not_found")
        return dict(found)

    def approve_reissue(self, uow: UnitOfWork, request_id: str, *, by: str) -> ResidentOut:
        """The second person approves: J-LIS issues the new number. The one who asked may not
        approve their own request."""
        request = self.reissue_request(uow, request_id)
        if request["status"] != "pending":
            raise Conflict("this request was already approved", code="reissue_done")
        if request["requested_by"] == by:
            raise Forbidden(
                "a re-issue needs a second person: you asked for this one",
                code="four_eyes_required",
            )
        r = store.reissue_requests.c
        with uow as conn:
            taken = conn.execute(
                update(store.reissue_requests)
                .where(r.id == request_id, r.status == "pending")
                .values(status="approved", approved_by=by, approved_at=datetime.now(UTC))
            ).rowcount
            uow.commit()
        if not taken:
            raise Conflict("this request was already approved", code="reissue_done")
        return self.reissue_number(uow, request["resident_id"], reason=request["reason"])

    def record_death(self, uow: UnitOfWork, resident_id: str, *, died_on: date) -> ResidentOut:
        """死亡届: the record stays, closed; the My Number is never given to anyone else;
        the person's cards end (J-LIS revokes all their certificates first)."""
        with uow as conn:
            row = self._row(conn, resident_id)
        if row["status"] != "active":
            raise Conflict("this resident no longer lives here", code="not_active")
        if died_on < row["birth_date"] or died_on > jst.today():
            raise InvalidInput("the date of death is not plausible", field="died_on")
        for card in self._cards_of(uow, [resident_id]):
            self.jlis.suspend_card(card, reason="cessationOfOperation")
        with uow as conn:
            row = self._row(conn, resident_id)
            if row["status"] != "active":
                raise Conflict("this resident no longer lives here", code="not_active")
            conn.execute(
                update(store.residents)
                .where(store.residents.c.id == resident_id)
                .values(status="deceased", left_on=died_on, updated_at=datetime.now(UTC))
            )
            _event(conn, resident_id, "death", died_on, {})
            uow.commit()
        return self.get(uow, resident_id)


def _transfer_member(row: RowMapping, whole_household: bool, cards: list[str]) -> TransferMember:
    return TransferMember(
        resident_code=row["resident_code"],
        my_number=row["my_number"],
        family_name=row["family_name"],
        given_name=row["given_name"],
        family_name_kana=row["family_name_kana"],
        given_name_kana=row["given_name_kana"],
        birth_date=row["birth_date"],
        sex=row["sex"],
        relationship=row["relationship"] if whole_household else "世帯主",
        cards=cards,
    )


def _event(conn: Connection, resident_id: str, kind: str, on: date, detail: dict[str, Any]) -> None:
    conn.execute(
        store.events.insert().values(
            resident_id=resident_id,
            kind=kind,
            on=on,
            detail=json.dumps(detail, ensure_ascii=False),
            recorded_at=datetime.now(UTC),
        )
    )
