"""The card's 追記欄 as J-LIS keeps track of it: how many entries the counter wrote and when
the last slot filled — never what they say (the entries are on the card only).

The entries themselves are written on the chip (:meth:`CardIssuer.change_address`,
:mod:`mynumber.reader.cardfiles` for the layout) and sealed with the text AP. A full 追記欄
(:data:`ENDORSEMENT_SLOTS` entries, this project's choice) makes 特急発行 available to its
holder for :data:`EXPRESS_WINDOW` after it filled (services-reference §6: "full 追記欄
(apply within 30 days)").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from mynumber.errors import NotFound
from mynumber.orgs.jlis import store
from mynumber.platform.uow import UnitOfWork

__all__ = [
    "EXPRESS_WINDOW",
    "EndorsementStatus",
    "endorsement_status",
    "record_endorsement",
]

#: A full 追記欄 allows 特急発行 when applied for within this many days of its filling [O].
EXPRESS_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class EndorsementStatus:
    """How full the 追記欄 of a holder's current card is."""

    manufacture_number: str
    entries: int
    full_on: dt.date | None

    @property
    def full(self) -> bool:
        return self.full_on is not None

    @property
    def express_until(self) -> dt.date | None:
        """The last day 特急発行 may be applied for because the 追記欄 is full."""
        return None if self.full_on is None else self.full_on + EXPRESS_WINDOW


def record_endorsement(
    uow: UnitOfWork,
    manufacture_number: str,
    *,
    entries: int,
    full: bool,
    on: dt.date,
    address_fp: str | None,
) -> None:
    """The counter wrote the card's ``entries``-th entry on ``on`` (``full``: the last slot);
    the card now carries the address whose keyed hash is ``address_fp``."""
    c = store.cards.c
    values: dict[str, object] = {"endorsements": entries}
    if full:
        values["endorsements_full_on"] = on
    if address_fp is not None:
        values["address_fp"] = address_fp
    with uow as conn:
        conn.execute(
            update(store.cards).where(c.manufacture_number == manufacture_number).values(**values)
        )
        uow.commit()


def endorsement_status(uow: UnitOfWork, code_fp: str) -> EndorsementStatus:
    """The 追記欄 of the holder's current card (by the keyed hash of the resident code):
    the active or suspended one, the latest issued."""
    c = store.cards.c
    with uow as conn:
        row = conn.execute(
            select(c.manufacture_number, c.endorsements, c.endorsements_full_on)
            .where(c.code_fp == code_fp, c.status != "cancelled")
            .order_by(c.issued_at.desc())
            .limit(1)
        ).first()
    if row is None:
        raise NotFound("this resident has no current card", code="card_not_found")
    return EndorsementStatus(
        row.manufacture_number, int(row.endorsements), row.endorsements_full_on
    )
