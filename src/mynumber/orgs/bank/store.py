"""A bank's tables: accounts by branch, deposit type and number, with the holder's name in
Zengin kana and whether the account is open. No balances and no transactions are modelled."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, UniqueConstraint

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("branch_code", String(3), nullable=False),
    Column("deposit_type", String(1), nullable=False),  # 預金種目 (domain-reference §10)
    Column("number", String(7), nullable=False),
    Column("holder_kana", String(30), nullable=False),  # 口座名義, Zengin half-width kana
    Column("status", String(6), nullable=False),  # open | closed
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    UniqueConstraint("branch_code", "deposit_type", "number", name="accounts_by_number"),
)
