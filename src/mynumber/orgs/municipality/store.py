"""A municipality's tables: households, residents and the history of each record."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

households = Table(
    "households",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("address", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

residents = Table(
    "residents",
    metadata,
    Column("id", String(16), primary_key=True),  # opaque; what URLs carry
    Column("resident_code", String(11), nullable=False),  # 住民票コード
    Column("my_number", String(12)),  # 個人番号, designated once J-LIS answers
    Column("family_name", String(30), nullable=False),
    Column("given_name", String(30), nullable=False),
    Column("family_name_kana", String(60), nullable=False),
    Column("given_name_kana", String(60), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("address", String(200), nullable=False),
    Column("household_id", String(16), ForeignKey("households.id"), nullable=False),
    Column("relationship", String(8), nullable=False),  # 続柄
    Column("status", String(10), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("registered_reason", String(10), nullable=False),  # birth | move_in | seed
    Column("moved_from", String(6)),
    Column("left_on", Date),
    Column("moved_to", String(6)),
    Column("idempotency_key", String(64), unique=True),
    Column("updated_at", UtcDateTime, nullable=False),
)
_ACTIVE = text("status = 'active'")
Index(
    "one_active_record_per_code",
    residents.c.resident_code,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index(
    "one_active_record_per_number",
    residents.c.my_number,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index(
    "one_active_record_per_person",
    residents.c.family_name,
    residents.c.given_name,
    residents.c.birth_date,
    residents.c.address,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index("residents_by_household", residents.c.household_id)

#: 異動履歴: every change to a record, oldest first.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # birth | move_in | move_out | death | number
    Column("on", Date, nullable=False),
    Column("detail", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

#: 個人番号の変更 needs two people: one supervisor asks (with the reason), another approves;
#: only then does J-LIS issue the new number.
reissue_requests = Table(
    "reissue_requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, index=True),
    Column("reason", String(20), nullable=False),
    Column("requested_by", String(24), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | approved
    Column("approved_by", String(24)),
    Column("approved_at", UtcDateTime),
)
