"""J-LIS's tables. It keeps keyed hashes, never a My Number or a resident code in clear.

Two tables, each keyed by one hash, so a bulk load maintains two indexes and no more.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

#: Resident record codes in use nationwide (住基ネット keeps them unique across
#: municipalities), with the generation of the code's current My Number (null: none yet).
resident_codes = Table(
    "resident_codes",
    metadata,
    Column("code_fp", String(32), primary_key=True),
    Column("municipality", String(6), nullable=False),
    Column("reserved_at", DateTime(timezone=True), nullable=False),
    Column("generation", Integer),
)

#: Every My Number ever issued, by keyed hash; a retired one stays, so it is never reissued.
issued_numbers = Table(
    "issued_numbers",
    metadata,
    Column("number_fp", String(32), primary_key=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
    Column("retire_reason", String(40)),
)
