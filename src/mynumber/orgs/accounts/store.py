"""The registry's tables: holders by the registry's own agency code (no My Number), and at
most one registered account per holder (the primary key makes "one per person" a rule)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    MetaData,
    String,
    Table,
    func,
    select,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

holders = Table(
    "holders",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),  # 機関別符号 of the registry
    Column("enrolled_at", UtcDateTime, nullable=False),
)

#: 公金受取口座: one per holder (公金受取口座登録法; domain-reference §7.1).
registrations = Table(
    "registrations",
    metadata,
    Column("holder_id", String(16), ForeignKey("holders.id"), primary_key=True),
    Column("bank_code", String(4), nullable=False),
    Column("branch_code", String(3), nullable=False),
    Column("deposit_type", String(1), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("holder_kana", String(30), nullable=False),
    Column("channel", String(12), nullable=False),  # portal | bank_counter | demo
    Column("registered_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def count_registrations(conn: Connection) -> int:
    """How many accounts are registered."""
    return int(conn.scalar(select(func.count()).select_from(registrations)) or 0)
