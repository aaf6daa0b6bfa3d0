"""The insurer's tables: members by its own agency code, with their eligibility."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, MetaData, String, Table

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
    Column("name", String(100)),  # 氏名
    Column("name_kana", String(100)),  # 氏名カナ (full-width)
    Column("sex", String(1)),  # 1 male, 2 female
    Column("birth_date", Date),
    Column("relation", String(1)),  # 1 被保険者本人, 2 被扶養者
    Column("insured_name", String(100)),  # the 被保険者's name, for a family member
    Column("ratio", Integer),  # 一部負担金の割合 (%)
    Column("paper_card_issued_on", Date),  # the paper 被保険者証 (issued before 2024-12-02)
    Column("paper_card_expires_on", Date),
    Column("certificate_issued_on", Date),  # the last 資格確認書 issued
    Column("certificate_valid_to", Date),  # … and its last day
)
