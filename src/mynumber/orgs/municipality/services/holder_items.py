"""The records behind J-LIS's question for a card holder's current four items
(基本4情報の最新情報提供; the route and the follow-up of a move are in
:mod:`mynumber.orgs.municipality.web.holder_items`)."""

from __future__ import annotations

import json

from sqlalchemy import RowMapping, select

from mynumber import errors
from mynumber.orgs.municipality import store
from mynumber.platform.uow import UnitOfWork


def holder_of_card(uow: UnitOfWork, manufacture_number: str) -> RowMapping:
    """The record of the person a card of that number was issued to here; NotFound if none."""
    e, r = store.events.c, store.residents.c
    with uow as conn:
        for resident_id, detail in conn.execute(
            select(e.resident_id, e.detail).where(
                e.kind == "card_issued", e.detail.contains(manufacture_number)
            )
        ):
            if json.loads(detail).get("manufacture_number") == manufacture_number:
                row = (
                    conn.execute(select(store.residents).where(r.id == resident_id))
                    .mappings()
                    .first()
                )
                if row is not None:
                    return row
    raise errors.NotFound("no card of that number was issued here", code="unknown_card")


def latest_record(uow: UnitOfWork, resident_code: str) -> RowMapping | None:
    """The newest record here of the person with that resident code, if any."""
    r = store.residents.c
    with uow as conn:
        return (
            conn.execute(
                select(store.residents)
                .where(r.resident_code == resident_code)
                .order_by(r.updated_at.desc())
            )
            .mappings()
            .first()
        )
