"""The municipality's intermediate server (中間サーバー) and its requests through the hub.

Provider side (``POST /intermediate/provide``, the hub only): resident tax (住民税) and the
household, about the resident behind the municipality's own agency code, sealed to the
requester. Requester side: the municipality holds its own code for each enrolled resident
and asks the hub — e.g. the tax office's income for a child allowance claim
(``POST /api/residents/{id}/linkage/income``) — and decrypts the answer itself.

Enrolment (符号取得): a registration or a move-in enrols the person as soon as the record
is committed (:meth:`Linkage.enrol_registered`). The record never waits for J-LIS or the
hub: if either is out, the person stays unenrolled and is enrolled later — on next use by
the municipality itself (:meth:`Linkage.code_of`), or by the sweep that the next
registration runs once a previous enrolment failed (:meth:`Linkage.sweep`), or by an
operator's ``POST /api/linkage/enrol`` (every active resident not yet enrolled).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, bindparam, select

from mynumber import errors, jst
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.model import Municipality, Sex, age_on
from mynumber.orgs.municipality.schemas import IncomeOut, ResidentTax
from mynumber.orgs.municipality.services.care import care_insurance
from mynumber.orgs.municipality.store import agency_codes, resident_taxes
from mynumber.platform.context import OrgContext
from mynumber.platform.db import chunked, insert_ignoring_duplicates
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient
from mynumber.platform.hub_client import Exchanged, HubClient
from mynumber.platform.intermediate import ENROL_BATCH, IntermediateServer, ProvideIn
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.wire import ExchangeRecord

log = logging.getLogger("mynumber.municipality.linkage")

#: Residents the sweep enrols at most in one go (the rest wait for the next sweep).
SWEEP_LIMIT = 10_000
#: Seconds between two sweeps at most: a J-LIS or hub outage is not hammered on each
#: registration. This project's choice.
SWEEP_INTERVAL = 60.0

#: The procedure of the child allowance claim in the hub's permitted-exchange table.
CHILD_ALLOWANCE = "child_allowance_claim"
#: the police's one-stop address change (a row of the hub's permitted table)
LICENCE_ADDRESS_CHANGE = "licence_address_change"
ITEMS = frozenset({"resident_tax", "household", "basic_items", "care_insurance"})


class Linkage:
    """The municipality in the linkage network: its codes, its answers, its questions."""

    def __init__(
        self,
        *,
        municipality: Municipality,
        jlis: ServiceClient,
        hub: HubClient,
        keys: EncryptionKeys,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.sweep_interval = sweep_interval
        self.org = municipality.org
        self.jlis = jlis
        self.hub = hub
        self.keys = keys
        self.server = IntermediateServer(org=self.org, items=ITEMS, jlis=jlis, keys=keys)
        # True while some resident may be left unenrolled (at start: a crash or an outage
        # before it may have left some); the next registration then sweeps
        self._behind = True
        self._last_sweep = float("-inf")
        self._sweep_lock = threading.Lock()

    # --- codes -----------------------------------------------------------------------------

    def enrol(
        self, uow: UnitOfWork, resident_ids: list[str] | None = None, *, limit: int | None = None
    ) -> int:
        """Get our agency codes for residents (by their My Numbers, through J-LIS).

        ``resident_ids`` None: every active resident not yet enrolled (at most ``limit``).
        Returns how many were newly enrolled; those enrolled before are left as they are.
        """
        r, a = store.residents, agency_codes
        query = (
            select(r.c.id, r.c.my_number)
            .select_from(r.outerjoin(a, a.c.resident_id == r.c.id))
            .where(a.c.code.is_(None), r.c.my_number.is_not(None))
        )
        if resident_ids is None:
            query = query.where(r.c.status == "active")
            if limit is not None:
                query = query.order_by(r.c.id).limit(limit)
        with uow as conn:
            if resident_ids is None:
                pending = conn.execute(query).all()
            else:
                pending = []
                for part in chunked(resident_ids):
                    pending.extend(conn.execute(query.where(r.c.id.in_(part))).all())
        enrolled = 0
        for part in chunked(list(pending), ENROL_BATCH):
            code_of = self.server.codes([str(n) for _, n in part])
            now = datetime.now(UTC)
            rows = [
                {"resident_id": rid, "code": code, "enrolled_at": now}
                for rid, number in part
                if (code := code_of[str(number)]) is not None
            ]
            uow.run(partial(insert_ignoring_duplicates, table=agency_codes, rows=rows))
            enrolled += len(rows)
        return enrolled

    def enrol_registered(self, uow: UnitOfWork, resident_ids: list[str]) -> None:
        """符号取得 for people just registered or moved in, after their records committed.

        Never raises: with J-LIS or the hub out, the people are left for later (first use,
        the sweep, an operator's enrolment) and the registration stands. After a failure,
        or at the first registration since start, the sweep enrols whoever is still left.
        """
        try:
            self.enrol(uow, resident_ids)
        except errors.Error as exc:
            self._behind = True
            log.warning(
                "enrolment of %d new residents failed (%s); left for the sweep",
                len(resident_ids),
                exc.code,
            )
            return
        self.sweep(uow)

    def sweep(self, uow: UnitOfWork, *, force: bool = False) -> int | None:
        """Enrol active residents left unenrolled, at most :data:`SWEEP_LIMIT`, when some may
        be left (a failure, or a process start) and ``sweep_interval`` seconds have passed since
        the last sweep (``force``: now). Returns how many were enrolled (None: not run, or
        failed — logged, left for the next)."""
        now = time.monotonic()
        if not force and (not self._behind or now - self._last_sweep < self.sweep_interval):
            return None
        if not self._sweep_lock.acquire(blocking=False):
            return None  # another thread is sweeping
        try:
            self._last_sweep = now
            try:
                enrolled = self.enrol(uow, limit=SWEEP_LIMIT)
            except errors.Error as exc:
                log.warning("the enrolment sweep failed (%s); left for the next", exc.code)
                return None
            self._behind = enrolled >= SWEEP_LIMIT  # a full sweep: more may be left
            if enrolled:
                log.info("the enrolment sweep enrolled %d residents", enrolled)
            return enrolled
        finally:
            self._sweep_lock.release()

    def code_of(self, uow: UnitOfWork, resident_id: str) -> str:
        """Our code for the resident, enrolling on first use."""
        for _ in range(2):
            with uow as conn:
                exists = conn.scalar(
                    select(store.residents.c.id).where(store.residents.c.id == resident_id)
                )
                code = conn.scalar(
                    select(agency_codes.c.code).where(agency_codes.c.resident_id == resident_id)
                )
            if exists is None:
                raise errors.NotFound("no such resident")
            if code is not None:
                return str(code)
            self.enrol(uow, [resident_id])
        raise errors.Conflict("the resident has no current My Number", code="not_enrolled")

    def tell_police_of_move(self, uow: UnitOfWork, resident_ids: list[str], address: str) -> None:
        """住所変更のワンストップ (マイナ免許証): the movers' new address to the police by our
        own codes; the hub passes it on only for people the police linked (the others:
        ``not_enrolled``). Never raises: a move never waits for the police."""
        try:
            codes = [self.code_of(uow, i) for i in resident_ids]
            self.hub.deliver(
                procedure=LICENCE_ADDRESS_CHANGE,
                recipient="police",
                items=["notice"],
                codes=codes,
                messages=[{"address": address} for _ in codes],
            )
        except Exception as exc:  # the record is kept; the holder can still go to the police
            log.warning("address change not passed to the police: %s", type(exc).__name__)

    def set_resident_taxes(self, uow: UnitOfWork, records: list[ResidentTax]) -> int:
        """Record assessments, replacing those of the same resident and year; all or none.

        A request naming one resident and year twice, or a resident this municipality does
        not hold, is refused whole before anything is written.
        """
        t = resident_taxes
        seen: set[tuple[str, int]] = set()
        for index, record in enumerate(records):
            key = (record.resident_id, record.year)
            if key in seen:
                raise errors.InvalidInput(
                    f"records[{index}] repeats a resident and year given before",
                    field=f"records.{index}",
                )
            seen.add(key)
        wanted = list(dict.fromkeys(x.resident_id for x in records))
        known: set[str] = set()
        with uow as conn:
            for part in chunked(wanted):
                known.update(
                    conn.scalars(select(store.residents.c.id).where(store.residents.c.id.in_(part)))
                )
        for index, record in enumerate(records):
            if record.resident_id not in known:
                raise errors.InvalidInput(
                    f"records[{index}] names no resident of this municipality",
                    field=f"records.{index}.resident_id",
                )

        def work(conn: Any) -> None:
            conn.execute(
                t.delete().where(
                    and_(t.c.resident_id == bindparam("r"), t.c.year == bindparam("y"))
                ),
                [{"r": x.resident_id, "y": x.year} for x in records],
            )
            conn.execute(t.insert(), [x.model_dump() for x in records])

        if records:
            uow.run(work)
        return len(records)

    # --- provider side ---------------------------------------------------------------------

    def provide(self, uow: UnitOfWork, request: ProvideIn) -> str:
        return self.server.answer(request, partial(self._data, uow))

    def _data(self, uow: UnitOfWork, code: str, items: frozenset[str]) -> dict[str, Any] | None:
        r = store.residents
        with uow as conn:
            row = conn.execute(
                select(r)
                .select_from(r.join(agency_codes, agency_codes.c.resident_id == r.c.id))
                .where(agency_codes.c.code == code)
            ).first()
            if row is None:
                return None
            data: dict[str, Any] = {}
            if "basic_items" in items:  # 基本4情報, as the registry records them
                data["basic_items"] = {
                    "name": f"{row.family_name}\u3000{row.given_name}",
                    "name_kana": f"{row.family_name_kana}\u3000{row.given_name_kana}",
                    "address": row.address,
                    "birth_date": row.birth_date.isoformat(),
                    "sex": Sex(row.sex).label,
                }
            if "resident_tax" in items:
                years = conn.execute(
                    select(resident_taxes.c.year, resident_taxes.c.amount_yen)
                    .where(resident_taxes.c.resident_id == row.id)
                    .order_by(resident_taxes.c.year.desc())
                ).all()
                data["resident_tax"] = [{"year": y, "amount_yen": amount} for y, amount in years]
            if "household" in items:
                births = (
                    conn.execute(
                        select(r.c.birth_date).where(
                            r.c.household_id == row.household_id, r.c.status == "active"
                        )
                    )
                    .scalars()
                    .all()
                )
                today = jst.today()
                data["household"] = {
                    "active": row.status == "active",
                    "household_size": len(births),
                    "children_under_18": sum(1 for b in births if age_on(b, today) < 18),
                }
            if "care_insurance" in items:  # 介護保険: insured here, and the last 認定
                data["care_insurance"] = care_insurance(conn, row.id)
        return data

    # --- requester side --------------------------------------------------------------------

    def ask(
        self, uow: UnitOfWork, resident_id: str, *, procedure: str, provider: str, items: list[str]
    ) -> Exchanged:
        """情報照会 through the hub: the provider's answer, opened and checked."""
        return self.hub.exchange(
            self.code_of(uow, resident_id), procedure=procedure, provider=provider, items=items
        )

    def income_for_child_allowance(self, uow: UnitOfWork, resident_id: str) -> IncomeOut:
        """児童手当 認定請求: the tax office's income of the claimant."""
        answer = self.ask(
            uow, resident_id, procedure=CHILD_ALLOWANCE, provider="tax", items=["income"]
        )
        income = answer.data.get("income") if isinstance(answer.data, dict) else None
        if not isinstance(income, list):
            raise errors.Unavailable("the tax office answered no income", code="bad_answer")
        return IncomeOut(
            exchange_id=answer.exchange_id,
            provider=answer.provider,
            procedure=answer.procedure,
            income=income,
        )

    def records(self, uow: UnitOfWork, resident_id: str) -> list[ExchangeRecord]:
        """The resident's やりとり履歴 as the hub keeps it, oldest first."""
        return self.hub.records(self.code_of(uow, resident_id))


def build_linkage(ctx: OrgContext, *, municipality: Municipality) -> Linkage:
    """The municipality's linkage service with its keys and its clients of J-LIS and the hub."""
    keys = EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys)
    keys.ensure(municipality.org)
    identity = ctx.identity
    return Linkage(
        municipality=municipality,
        jlis=ServiceClient(ctx.directory, "jlis", identity),
        hub=HubClient(ctx.directory, identity, keys),
        keys=keys,
    )
