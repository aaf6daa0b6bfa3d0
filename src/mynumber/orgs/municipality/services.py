"""Use cases of the resident registry: register, designate a number, move, death, search.

Remote calls (J-LIS, another municipality) happen before the local transaction and are
idempotent on the other side, so a crash between them loses and duplicates nothing: the
retry finds the code reserved, the number already generated, the move-in already made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from mynumber.errors import Conflict, InvalidInput, NotFound
from mynumber.number import random_resident_code, validate, validate_resident_code
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.clients import JlisClient, PeerMunicipalityClient
from mynumber.orgs.municipality.model import (
    RELATIONSHIPS,
    BasicItems,
    Municipality,
    Status,
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

_CODE_ATTEMPTS = 5


def to_out(row: RowMapping, code: str) -> ResidentOut:
    values = dict(row)
    values["my_number_masked"] = masked(values.pop("my_number"))
    values.pop("idempotency_key", None)
    values.pop("updated_at", None)
    return ResidentOut(municipality=code, **values)


@dataclass
class Registry:
    """One municipality's registry: its database and its clients of J-LIS and peers."""

    engine: Engine
    municipality: Municipality
    jlis: JlisClient
    peer: Callable[[str], PeerMunicipalityClient]

    # --- reading -------------------------------------------------------------------------

    def _row(self, conn: Connection, resident_id: str) -> RowMapping:
        row = conn.execute(select(store.residents).where(store.residents.c.id == resident_id))
        found = row.mappings().first()
        if found is None:
            raise NotFound("no such resident", code="resident_not_found")
        return found

    def get(self, resident_id: str) -> ResidentOut:
        with self.engine.connect() as conn:
            return to_out(self._row(conn, resident_id), self.municipality.code)

    def household(self, household_id: str) -> HouseholdOut:
        with self.engine.connect() as conn:
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

    def history(self, resident_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
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
        self, *, query: str = "", status: str | None = "active", limit: int = 50, offset: int = 0
    ) -> tuple[int, list[ResidentOut]]:
        """Residents whose name or kana contains ``query`` (all when empty), newest first."""
        r = store.residents.c
        conditions = []
        if status:
            conditions.append(r.status == Status(status).value)
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
        with self.engine.connect() as conn:
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
        self, *, my_number: str | None = None, resident_code: str | None = None
    ) -> ResidentOut:
        """The active resident holding this My Number or resident code."""
        r = store.residents.c
        if my_number:
            condition = r.my_number == validate(my_number)
        elif resident_code:
            condition = r.resident_code == validate_resident_code(resident_code)
        else:
            raise InvalidInput("give a My Number or a resident code", field="my_number")
        with self.engine.connect() as conn:
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
        if idempotency_key:
            with self.engine.connect() as conn:
                done = conn.execute(
                    select(store.residents.c.id).where(
                        store.residents.c.idempotency_key == idempotency_key
                    )
                ).scalar()
            if done is not None:
                return self.get(done)
        self._refuse_duplicate(items)
        for _ in range(_CODE_ATTEMPTS):
            code, number = self._code_and_number()
            try:
                with self.engine.begin() as conn:
                    resident_id = self._insert(
                        conn,
                        items=items,
                        code=code,
                        number=number,
                        household_id=household_id,
                        relationship=relationship,
                        reason=reason,
                        on=registered_on or date.today(),
                        idempotency_key=idempotency_key,
                        moved_from=None,
                    )
                return self.get(resident_id)
            except IntegrityError:
                self._refuse_duplicate(items)
                if idempotency_key:  # a concurrent retry of the same request won
                    with self.engine.connect() as conn:
                        done = conn.execute(
                            select(store.residents.c.id).where(
                                store.residents.c.idempotency_key == idempotency_key
                            )
                        ).scalar()
                    if done is not None:
                        return self.get(done)
        raise Conflict("could not register: resident codes kept colliding", code="codes_exhausted")

    def _refuse_duplicate(self, items: BasicItems) -> None:
        r = store.residents.c
        with self.engine.connect() as conn:
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
        resident_id: str,
        *,
        to: str,
        address: str,
        moved_on: date | None = None,
        whole_household: bool = False,
    ) -> list[ResidentOut]:
        """転出: hand the record to another municipality; the My Number stays the same."""
        destination = municipality(to)
        if destination.code == self.municipality.code:
            raise InvalidInput("a move within the municipality is not a move-out", field="to")
        on = moved_on or date.today()
        with self.engine.connect() as conn:
            mover = self._row(conn, resident_id)
            if mover["status"] != "active":
                raise Conflict("this resident no longer lives here", code="not_active")
            members = [mover]
            if whole_household:
                members = list(
                    conn.execute(
                        select(store.residents)
                        .where(
                            store.residents.c.household_id == mover["household_id"],
                            store.residents.c.status == "active",
                        )
                        .order_by(
                            store.residents.c.relationship != "世帯主", store.residents.c.birth_date
                        )
                    ).mappings()
                )
        transfer = Transfer(
            moved_from=self.municipality.code,
            moved_on=on,
            address=address,
            members=[
                TransferMember(
                    resident_code=m["resident_code"],
                    my_number=m["my_number"],
                    family_name=m["family_name"],
                    given_name=m["given_name"],
                    family_name_kana=m["family_name_kana"],
                    given_name_kana=m["given_name_kana"],
                    birth_date=m["birth_date"],
                    sex=m["sex"],
                    relationship=m["relationship"] if whole_household else "世帯主",
                )
                for m in members
            ],
        )
        moved = self.peer(destination.code).move_in(transfer.model_dump(mode="json"))
        with self.engine.begin() as conn:
            for m in members:
                conn.execute(
                    update(store.residents)
                    .where(store.residents.c.id == m["id"], store.residents.c.status == "active")
                    .values(
                        status="moved_out",
                        left_on=on,
                        moved_to=destination.code,
                        updated_at=datetime.now(UTC),
                    )
                )
                _event(conn, m["id"], "move_out", on, {"to": destination.code})
        return [ResidentOut(**r) for r in moved]

    def receive_move_in(self, transfer: Transfer) -> list[ResidentOut]:
        """転入: take in people moving from another municipality, once (retries are no-ops)."""
        municipality(transfer.moved_from)
        if transfer.moved_from == self.municipality.code:
            raise InvalidInput("a move-in from the same municipality", field="moved_from")
        codes = [validate_resident_code(m.resident_code) for m in transfer.members]
        for m in transfer.members:
            if m.my_number is not None:
                validate(m.my_number)
        with self.engine.begin() as conn:
            existing = dict(
                conn.execute(
                    select(store.residents.c.resident_code, store.residents.c.id).where(
                        store.residents.c.resident_code.in_(codes),
                        store.residents.c.status == "active",
                    )
                )
                .tuples()
                .all()
            )
            household_id: str | None = None
            ids: list[str] = []
            for member, code in zip(transfer.members, codes, strict=True):
                if code in existing:
                    ids.append(existing[code])
                    continue
                items = member.items(transfer.address)
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
                if household_id is None:
                    household_id = conn.execute(
                        select(store.residents.c.household_id).where(
                            store.residents.c.id == ids[-1]
                        )
                    ).scalar_one()
        return [self.get(i) for i in ids]

    def reissue_number(self, resident_id: str, *, reason: str = "leak") -> ResidentOut:
        """個人番号の変更: after a leak, J-LIS issues a new number; the old one is retired."""
        with self.engine.connect() as conn:
            row = self._row(conn, resident_id)
        if row["status"] != "active" or row["my_number"] is None:
            raise Conflict("only a current resident's number can be changed", code="not_active")
        number = self.jlis.reissue_number(row["resident_code"], row["my_number"], reason)
        with self.engine.begin() as conn:
            conn.execute(
                update(store.residents)
                .where(store.residents.c.id == resident_id)
                .values(my_number=number, updated_at=datetime.now(UTC))
            )
            _event(conn, resident_id, "number", date.today(), {"reissued": True, "reason": reason})
        return self.get(resident_id)

    def record_death(self, resident_id: str, *, died_on: date) -> ResidentOut:
        """死亡届: the record stays, closed; the My Number is never given to anyone else."""
        with self.engine.begin() as conn:
            row = self._row(conn, resident_id)
            if row["status"] != "active":
                raise Conflict("this resident no longer lives here", code="not_active")
            if died_on < row["birth_date"] or died_on > date.today():
                raise InvalidInput("the date of death is not plausible", field="died_on")
            conn.execute(
                update(store.residents)
                .where(store.residents.c.id == resident_id)
                .values(status="deceased", left_on=died_on, updated_at=datetime.now(UTC))
            )
            _event(conn, resident_id, "death", died_on, {})
        return self.get(resident_id)


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
