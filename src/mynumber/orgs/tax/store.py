"""The tax office's tables: taxpayers by the tax office's own agency code, income per year.

No My Number: a filing carries one, the office enrols it for its code and keeps the code.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String, Table

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

taxpayers = Table(
    "taxpayers",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),  # 機関別符号 of the tax office
    Column("enrolled_at", UtcDateTime, nullable=False),
)

#: 所得金額 per year, from the 確定申告 or the employer's 源泉徴収票.
incomes = Table(
    "incomes",
    metadata,
    Column("taxpayer_id", String(16), ForeignKey("taxpayers.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("income_yen", BigInteger, nullable=False),
    Column("filed_at", UtcDateTime, nullable=False),
)
