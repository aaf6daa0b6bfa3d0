"""The hub's tables: people by keyed hash, agency codes, and the exchange record.

No My Number, no resident code, no 取得番号 in clear, and never the data exchanged.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: One row per person the hub knows, by keyed hash of the 取得番号 (see ``codes``).
persons = Table(
    "persons",
    metadata,
    Column("person_fp", String(32), primary_key=True),
    Column("ref", String(16), nullable=False, unique=True),  # internal reference
    Column("created_at", UtcDateTime, nullable=False),
)

#: (agency, agency code) → internal reference; one code per person and agency.
codes = Table(
    "codes",
    metadata,
    Column("agency", String(40), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("person_ref", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # on SQLite, clustered on its key: a code is converted by one search, and the index by
    # person below holds the key too (migration 0002)
    sqlite_with_rowid=False,
)
Index("one_code_per_person_and_agency", codes.c.person_ref, codes.c.agency, unique=True)

#: やりとり履歴: append-only, hash-chained (see ``chain``). ``at`` is kept as the ISO text the
#: hash covers, so reading it back can never change the hash.
records = Table(
    "records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("exchange_id", String(16), nullable=False),
    Column("person", String(16), nullable=False),  # internal reference; "" if none matched
    Column("requester", String(40), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("procedure", String(60), nullable=False),
    Column("items", Text, nullable=False),  # space-separated item names
    Column("outcome", String(24), nullable=False),  # provided | refused | not_found | …
    Column("reason", Text, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("records_by_person", records.c.person, records.c.seq)


def population(conn: Connection) -> tuple[int, int]:
    """How many people and how many agency codes the hub holds."""
    people = conn.scalar(select(func.count()).select_from(persons)) or 0
    held = conn.scalar(select(func.count()).select_from(codes)) or 0
    return int(people), int(held)
