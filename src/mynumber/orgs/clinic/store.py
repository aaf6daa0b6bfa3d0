"""The clinic's table: the confirmations its terminal made (the system's reference
numbers, no patient data — the answer XML stays with the clinic's own records system)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Engine, MetaData, String, Table

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

confirmations = Table(
    "confirmations",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("mode", String(10), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)


def record_confirmation(engine: Engine, reference: str, mode: str) -> None:
    """Keep the 照会番号 of a confirmation made here, with how the person was identified."""
    with engine.begin() as conn:
        conn.execute(
            confirmations.insert(),
            {"reference": reference, "mode": mode, "at": dt.datetime.now(dt.UTC)},
        )
