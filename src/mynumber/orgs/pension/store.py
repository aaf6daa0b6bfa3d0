"""The pension service's tables: members by its own agency code, with their pension record."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

members = Table(
    "members",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),  # 機関別符号 of the pension service
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("category", String(1), nullable=False),  # 被保険者種別: 1, 2, 3 (or R: receiving)
    Column("contribution_months", Integer, nullable=False),  # 保険料納付済期間
    Column("annual_benefit_yen", BigInteger),  # 年金額, once receiving
)
