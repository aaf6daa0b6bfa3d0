"""J-LIS's count of the 追記欄 on its own migrated database: entries recorded per card, the
day the last slot filled and the 30 days of 特急発行 after it; never what the entries say."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from mynumber import errors
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.endorsements import endorsement_status, record_endorsement
from mynumber.platform.uow import UnitOfWork


def _card(uow: UnitOfWork, mfg: str, code_fp: str, issued_at: dt.datetime) -> None:
    with uow as conn:
        conn.execute(
            insert(store.cards).values(
                manufacture_number=mfg,
                municipality="131016",
                status="active",
                issued_at=issued_at,
                expires_on=issued_at.date() + dt.timedelta(days=3650),
                code_fp=code_fp,
            )
        )
        uow.commit()


def test_the_holders_current_card_fills_and_opens_express_for_30_days(database, clock) -> None:
    uow = UnitOfWork(database("jlis", "mynumber.orgs.jlis.migrations"))
    with pytest.raises(errors.NotFound):
        endorsement_status(uow, "f" * 32)
    _card(uow, "OLDCARD000001", "f" * 32, clock() - dt.timedelta(days=900))
    _card(uow, "NEWCARD000001", "f" * 32, clock())
    on = clock().date()

    record_endorsement(uow, "NEWCARD000001", entries=3, full=False, on=on, address_fp="a" * 32)
    status = endorsement_status(uow, "f" * 32)
    assert (status.manufacture_number, status.entries, status.full) == ("NEWCARD000001", 3, False)
    assert status.express_until is None

    record_endorsement(uow, "NEWCARD000001", entries=4, full=True, on=on, address_fp=None)
    status = endorsement_status(uow, "f" * 32)
    assert status.full and status.full_on == on
    assert status.express_until == on + dt.timedelta(days=30)
    with uow as conn:  # the address's keyed hash stays when none is given
        kept = conn.scalar(
            select(store.cards.c.address_fp).where(
                store.cards.c.manufacture_number == "NEWCARD000001"
            )
        )
    assert kept == "a" * 32
