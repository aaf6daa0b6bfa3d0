"""The insurer's tables: members by its own agency code, with their eligibility."""

from __future__ import annotations

from sqlalchemy import Column, Date, MetaData, String, Table

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

members = Table(
    "members",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),  # 機関別符号 of the insurer
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("symbol", String(20), nullable=False),  # 被保険者証の記号
    Column("number", String(20), nullable=False),  # 番号
    Column("branch", String(2), nullable=False),  # 枝番
    Column("valid_from", Date, nullable=False),  # 資格取得日
    Column("valid_to", Date),  # 資格喪失日
)
