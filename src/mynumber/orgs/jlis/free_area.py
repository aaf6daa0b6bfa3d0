"""J-LIS's standing approvals for the free area (空き領域): which issuer (an employer, a
公安委員会) may open a session on which application. J-LIS's operator approves, lists and
withdraws; a grant of a session key (``POST /jlis/cards/{mfg}/free-area/{application}``)
is refused to an issuer without a standing approval (services-reference §4: a private firm
passes the minister's review and is published by 告示; here J-LIS's record stands for it —
this project's model)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, update

from mynumber.errors import Conflict, Forbidden, NotFound
from mynumber.orgs.jlis import store
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

APPLICATIONS = ("employee", "licence")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "issuer": row.issuer,
        "application": row.application,
        "approved_at": row.approved_at,
        "withdrawn_at": row.withdrawn_at,
        "active": row.withdrawn_at is None,
    }


def approve(uow: UnitOfWork, issuer: str, application: str) -> dict[str, Any]:
    """A standing approval for ``issuer`` on ``application``; one active at a time."""
    if application not in APPLICATIONS:
        raise NotFound("no such free-area application", code="free_area_application")
    a = store.free_area_approvals.c
    with uow as conn:
        active = conn.scalar(
            select(a.id).where(
                a.issuer == issuer, a.application == application, a.withdrawn_at.is_(None)
            )
        )
        if active is not None:
            raise Conflict("this issuer is approved already", code="already_approved")
        approval = new_id()
        conn.execute(
            insert(store.free_area_approvals).values(
                id=approval, issuer=issuer, application=application, approved_at=_now()
            )
        )
        row = conn.execute(select(store.free_area_approvals).where(a.id == approval)).one()
        uow.commit()
        return _out(row)


def approvals(uow: UnitOfWork, *, active_only: bool = False) -> list[dict[str, Any]]:
    a = store.free_area_approvals.c
    query = select(store.free_area_approvals).order_by(a.approved_at, a.id)
    if active_only:
        query = query.where(a.withdrawn_at.is_(None))
    with uow as conn:
        return [_out(r) for r in conn.execute(query)]


def withdraw(uow: UnitOfWork, approval_id: str) -> dict[str, Any]:
    """Withdraw an approval: the issuer gets no more session keys."""
    a = store.free_area_approvals.c
    with uow as conn:
        row = conn.execute(select(store.free_area_approvals).where(a.id == approval_id)).first()
        if row is None:
            raise NotFound("no such approval", code="no_approval")
        if row.withdrawn_at is not None:
            raise Conflict("the approval is withdrawn already", code="withdrawn")
        conn.execute(
            update(store.free_area_approvals).where(a.id == approval_id).values(withdrawn_at=_now())
        )
        row = conn.execute(select(store.free_area_approvals).where(a.id == approval_id)).one()
        uow.commit()
        return _out(row)


def require(uow: UnitOfWork, issuer: str, application: str) -> None:
    """Forbidden unless ``issuer`` holds a standing approval for ``application``."""
    a = store.free_area_approvals.c
    with uow as conn:
        found = conn.scalar(
            select(a.id).where(
                a.issuer == issuer, a.application == application, a.withdrawn_at.is_(None)
            )
        )
    if found is None:
        raise Forbidden(
            f"{issuer} holds no standing approval for the {application} application",
            code="not_approved",
        )
