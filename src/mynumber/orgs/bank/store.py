"""A bank's tables: accounts by branch, deposit type and number, with the holder's name in
Zengin kana and whether the account is open; the 総合振込 files payers handed to it (as the
paying bank) with the result file answered; and the transfers it credited, its own
records and those the Zengin network carried to it — each once: one row per (paying bank,
file, record). Nothing sums them per account."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from mynumber.platform.db import UtcDateTime

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
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    UniqueConstraint("branch_code", "deposit_type", "number", name="accounts_by_number"),
)

#: 総合振込 files payers handed to this bank as paying bank, by the payer's Idempotency-Key:
#: the key is claimed (``results`` NULL) before any record is credited or forwarded, and the
#: result file stored once every record has its answer.
transfer_files = Table(
    "transfer_files",
    metadata,
    Column("id", String(64), primary_key=True),  # Idempotency-Key: the payer's file id
    Column("payer", String(40), nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 of the file's bytes
    Column("records", Integer, nullable=False),  # data records in the file
    Column("results", LargeBinary),  # the result file, as answered; NULL while routing
    Column("received_at", UtcDateTime, nullable=False),
)

#: 入金: one row per credited data record, by the paying bank (仕向銀行: this bank for its own
#: records, another for records the Zengin network carried here), its file id and the
#: record's index; the key makes a record credit at most once, however often it arrives.
credits = Table(
    "credits",
    metadata,
    Column("paying_bank", String(4), primary_key=True),  # "" for rows from before routing
    Column("file_id", String(64), primary_key=True),
    Column("record_index", Integer, primary_key=True),  # 1 = the file's first data record
    Column("account_id", String(16), ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("credited_at", UtcDateTime, nullable=False),
)
