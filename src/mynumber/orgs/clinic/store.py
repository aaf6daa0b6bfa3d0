"""The clinic's table: the confirmations its terminal made (the system's reference
numbers, no patient data — the answer XML stays with the clinic's own records system)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: The 照会番号 of each confirmation made here, with how the person was identified.
confirmations = Table(
    "confirmations",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("mode", String(10), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
