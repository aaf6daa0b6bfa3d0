"""The tables of コンビニ交付 at a municipality: 戸籍 (family registers kept here as
本籍地), 本籍地 issuance registrations, 印鑑登録 and the certificates issued at kiosks.
Declared on the registry's metadata (one database, one migration history)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text

from mynumber.orgs.municipality.store import metadata
from mynumber.platform.db import UtcDateTime

#: 戸籍: one family register whose 本籍 is in this municipality, and its 筆頭者.
koseki = Table(
    "koseki",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("honseki", String(200), nullable=False),
    Column("head_name", String(61), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

#: Who is in a family register; ``resident_id`` when the person also lives here.
koseki_members = Table(
    "koseki_members",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("koseki_id", String(16), ForeignKey("koseki.id"), nullable=False, index=True),
    Column("resident_id", String(16), index=True),
    Column("name", String(61), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("relationship", String(8), nullable=False),  # 筆頭者, 妻, 長男 …
    Column("address", String(200), nullable=False),  # for the 附票
    Column("events", Text, nullable=False),  # JSON list of [date, event] (身分事項)
)

#: 本籍地利用登録: a card (by manufacture number) allowed 戸籍 certificates from here.
honseki_registrations = Table(
    "honseki_registrations",
    metadata,
    Column("manufacture_number", String(13), primary_key=True),
    Column("member_id", String(16), ForeignKey("koseki_members.id"), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
)

#: 印鑑登録 with the number of its 印鑑登録証 (registration card).
seals = Table(
    "seals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, unique=True),
    Column("card_number", String(20), nullable=False, unique=True),
    Column("impression", String(8), nullable=False),  # the characters of the 印影
    Column("registered_on", Date, nullable=False),
)

#: Each certificate issued at a kiosk: what the verification page confirms.
kiosk_issuances = Table(
    "kiosk_issuances",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("verification_code", String(19), nullable=False, unique=True),
    Column("certificate", String(16), nullable=False),
    Column("resident_id", String(16)),
    Column("holder_name", String(61), nullable=False),
    Column("chain", String(40), nullable=False),
    Column("store", String(40), nullable=False),
    Column("transaction", String(32), nullable=False, unique=True),
    Column("fee_yen", Integer, nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False, index=True),
)
