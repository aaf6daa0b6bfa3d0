"""The police's tables: licence records, the fees taken at the counter, online courses."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

licences = Table(
    "licences",
    metadata,
    Column("number", String(12), primary_key=True),  # 免許証番号 (12 digits)
    Column("name", String(100), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("address", String(200), nullable=False),
    Column("types", Text, nullable=False),  # JSON list: 普通, 中型, 普自二, …
    Column("conditions", Text, nullable=False),  # JSON list: 眼鏡等, AT限定, …
    Column("category", String(4), nullable=False),  # 優良, 一般, 違反, 初回
    Column("issued_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),  # the licence's own, not the card's
    Column("photo", LargeBinary, nullable=False),
    Column("holding", String(8), nullable=False),  # card, plastic, both
    # 署名用電子証明書 presented: the serial and the police's own agency code at the hub
    Column("signer_serial", String(40)),
    Column("hub_code", String(32), unique=True),
    Column("linked_at", UtcDateTime),
    # a change (renewal, address) the card's licence application does not show yet
    Column("card_pending", Boolean, nullable=False, server_default=false()),
    Column("written_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)

fees = Table(
    "fees",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(12), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # first, renewal, add_card, add_plastic
    Column("holding", String(8), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

courses = Table(
    "courses",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("number", String(12), nullable=False, index=True),
    Column("face_score", Float, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
)
