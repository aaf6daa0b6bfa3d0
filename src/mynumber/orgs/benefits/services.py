"""The benefit office's use cases besides the run: programmes, their status, and the
one-click applications Mynaportal delivers through the hub — each on a
:class:`~mynumber.platform.uow.UnitOfWork` the caller makes (a route's ``Work``, the
deliveries receiver's, a command's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from mynumber import errors, jst
from mynumber.orgs.benefits import model, store
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

PAYEE_STATUSES = ("pending", "no_account", "instructed", "credited", "failed")
INSTRUCTION_STATUSES = ("planned", "credited", "failed")


class Programmes:
    """Programmes on the office's database, for the municipalities this deployment serves."""

    def __init__(self, *, served: Iterable[str]) -> None:
        self.served = tuple(served)

    def create(
        self,
        uow: UnitOfWork,
        *,
        name: str,
        amount: int,
        per: str,
        municipalities: list[str],
        as_of: date | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        by: str,
    ) -> dict[str, Any]:
        """A new programme made by staff member ``by``, not yet approved;
        :class:`errors.Conflict` if the name is taken."""
        checked = model.Programme.checked(
            name=name,
            amount=amount,
            per=per,
            municipalities=municipalities,
            as_of=as_of or jst.today(),
            min_age=min_age,
            max_age=max_age,
            served=self.served,
        )
        row: dict[str, Any] = {
            "id": new_id(),
            "name": checked.name,
            "amount": checked.amount,
            "per": checked.per,
            "municipalities": " ".join(checked.municipalities),
            "as_of": checked.as_of,
            "min_age": checked.min_age,
            "max_age": checked.max_age,
            "payer_name": model.PAYER_NAME,
            "payer_code": model.PAYER_CODE,
            "payer_bank": model.PAYER_BANK,
            "payer_branch": model.PAYER_BRANCH,
            "payer_deposit_type": model.PAYER_DEPOSIT_TYPE,
            "payer_account": model.PAYER_ACCOUNT,
            "created_at": datetime.now(UTC),
            "created_by": by,
            "approved_by": None,
            "approved_at": None,
        }
        p = store.programmes.c

        def work(conn: Connection) -> None:
            if conn.scalar(select(p.id).where(p.name == checked.name)) is not None:
                raise errors.Conflict("a programme has this name", code="programme_exists")
            conn.execute(store.programmes.insert().values(**row))

        uow.run(work)
        return self.get(uow, row["id"])

    def approve(self, uow: UnitOfWork, programme_id: str, *, by: str) -> dict[str, Any]:
        """Approve a programme as staff member ``by``, who did not make it
        (:class:`model.OwnProgramme`); approving an approved programme changes nothing."""
        p = store.programmes.c

        def work(conn: Connection) -> None:
            row = conn.execute(
                select(p.created_by, p.approved_at).where(p.id == programme_id)
            ).first()
            if row is None:
                raise errors.NotFound("no such programme", code="no_programme")
            model.check_approver(maker=row.created_by, approver=by)
            if row.approved_at is None:
                conn.execute(
                    store.programmes.update()
                    .where(p.id == programme_id, p.approved_at.is_(None))
                    .values(approved_by=by, approved_at=datetime.now(UTC))
                )

        uow.run(work)
        return self.get(uow, programme_id)

    def require_approved(self, uow: UnitOfWork, programme_id: str) -> dict[str, Any]:
        """The programme, or :class:`model.NotApproved` while nobody approved it."""
        programme = self.get(uow, programme_id)
        if not programme["approved"]:
            raise model.NotApproved(
                "the programme is not approved yet: another staff member "
                "with the approver role must approve it first"
            )
        return programme

    def find(self, uow: UnitOfWork, ref: str) -> str:
        """A programme's id from its id or its name."""
        p = store.programmes.c
        with uow as conn:
            found = conn.scalar(select(p.id).where((p.id == ref) | (p.name == ref)))
        if found is None:
            raise errors.NotFound("no such programme", code="no_programme")
        return str(found)

    def get(self, uow: UnitOfWork, programme_id: str) -> dict[str, Any]:
        with uow as conn:
            row = (
                conn.execute(select(store.programmes).where(store.programmes.c.id == programme_id))
                .mappings()
                .first()
            )
        if row is None:
            raise errors.NotFound("no such programme", code="no_programme")
        return _public(dict(row))

    def count(self, uow: UnitOfWork) -> int:
        """How many programmes there are (for the health report)."""
        with uow as conn:
            return int(conn.scalar(select(func.count()).select_from(store.programmes)) or 0)

    def all(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        with uow as conn:
            rows = conn.execute(
                select(store.programmes).order_by(store.programmes.c.created_at.desc())
            ).mappings()
            return [_public(dict(r)) for r in rows]

    def status(self, uow: UnitOfWork, programme_id: str) -> dict[str, Any]:
        """Counts and yen per payee and instruction status, rounds, files with their
        trailer totals and results, notices by outcome."""
        programme = self.get(uow, programme_id)
        y, i, f = store.payees.c, store.instructions.c, store.transfer_files.c
        r, n = store.rounds.c, store.notices.c
        with uow as conn:
            payees = {
                s: {"count": c, "yen": int(t or 0)}
                for s, c, t in conn.execute(
                    select(y.status, func.count(), func.sum(y.amount))
                    .where(y.programme_id == programme_id)
                    .group_by(y.status)
                )
            }
            instructions = {
                s: {"count": c, "yen": int(t or 0)}
                for s, c, t in conn.execute(
                    select(i.status, func.count(), func.sum(i.amount))
                    .where(i.programme_id == programme_id)
                    .group_by(i.status)
                )
            }
            rounds = [
                {
                    "number": x.number,
                    "phase": x.phase,
                    "transfer_date": x.transfer_date.isoformat(),
                    "finished": x.finished_at is not None,
                }
                for x in conn.execute(
                    select(store.rounds).where(r.programme_id == programme_id).order_by(r.number)
                )
            ]
            transfer_files = [
                {
                    "id": x.id,
                    "round": x.round,
                    "bank_code": x.bank_code,
                    "part": x.part,
                    "count": x.count,
                    "total": x.total,
                    "status": x.status,
                    "credited_count": x.credited_count,
                    "credited_total": x.credited_total,
                    "path": x.path,
                    "result_path": x.result_path,
                }
                for x in conn.execute(
                    select(store.transfer_files)
                    .where(f.programme_id == programme_id)
                    .order_by(f.round, f.id)
                )
            ]
            notices: dict[str, int] = dict(
                conn.execute(
                    select(n.outcome, func.count())
                    .where(n.programme_id == programme_id)
                    .group_by(n.outcome)
                ).all()
            )
            # a per-person programme pays each eligible person: its payees are its eligible
            # people (a household programme keeps them apart, and pays each household's head)
            eligible = (
                sum(x["count"] for x in payees.values())
                if programme["per"] == "person"
                else conn.scalar(
                    select(func.count())
                    .select_from(store.eligibles)
                    .where(store.eligibles.c.programme_id == programme_id)
                )
            )
        empty = {"count": 0, "yen": 0}
        return {
            "programme": programme,
            "phase": rounds[-1]["phase"] if rounds else "not_started",
            "eligible": int(eligible or 0),
            "payees": {s: payees.get(s, empty) for s in PAYEE_STATUSES},
            "instructions": {s: instructions.get(s, empty) for s in INSTRUCTION_STATUSES},
            "rounds": rounds,
            "files": transfer_files,
            "notices": {k: int(v) for k, v in notices.items()},
        }


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "amount": row["amount"],
        "per": row["per"],
        "municipalities": row["municipalities"].split(),
        "as_of": row["as_of"].isoformat(),
        "min_age": row["min_age"],
        "max_age": row["max_age"],
        "payer": {
            "name": row["payer_name"],
            "bank_code": row["payer_bank"],
            "branch_code": row["payer_branch"],
        },
        "approved": row["approved_at"] is not None,
        "approved_at": None if row["approved_at"] is None else row["approved_at"].isoformat(),
        "created_by": row["created_by"],
        "approved_by": row["approved_by"],
    }


class BenefitApplications:
    """One-click applications (``benefit_application``) the hub delivers from Mynaportal."""

    def receive(
        self, uow: UnitOfWork, delivery_id: str, codes: list[str | None], messages: list[Any]
    ) -> list[bool]:
        """Keep each valid application of a payee (the newest per person and programme);
        accepted per code. A message that fails a check is refused and changes nothing."""
        if len(messages) != len(codes):
            raise errors.InvalidInput("messages and codes differ in number", field="sealed")
        now = datetime.now(UTC)
        accepted: list[bool] = []
        rows: list[dict[str, Any]] = []
        y = store.payees.c
        with uow as conn:
            for code, message in zip(codes, messages, strict=True):
                row = None if code is None else _application(code, message, delivery_id, now)
                if row is not None:
                    is_payee = conn.scalar(
                        select(y.id).where(
                            y.programme_id == row["programme_id"], y.code == row["code"]
                        )
                    )
                    row = row if is_payee is not None else None
                accepted.append(row is not None)
                if row is not None:
                    rows.append(row)
        a = store.applications

        def work(conn: Connection) -> None:
            for row in rows:
                conn.execute(
                    a.delete().where(
                        a.c.programme_id == row["programme_id"], a.c.code == row["code"]
                    )
                )
                conn.execute(a.insert().values(**row))

        if rows:
            uow.run(work)
        return accepted


def _application(code: str, message: Any, delivery_id: str, now: datetime) -> dict[str, Any] | None:
    """The application's row, or None if the message is not a valid one."""
    if not isinstance(message, dict):
        return None
    programme, choice = message.get("programme"), message.get("choice")
    if not isinstance(programme, str) or choice not in ("registered", "account"):
        return None
    row: dict[str, Any] = {
        "programme_id": programme,
        "code": code,
        "choice": choice,
        "bank_code": None,
        "branch_code": None,
        "deposit_type": None,
        "account_number": None,
        "delivery_id": delivery_id,
        "received_at": now,
    }
    if choice == "account":
        account = message.get("account")
        if not isinstance(account, dict):
            return None
        try:
            checked = model.check_account(account)
        except (errors.InvalidInput, KeyError, TypeError, ValueError):
            return None
        row.update(checked)
    return row
