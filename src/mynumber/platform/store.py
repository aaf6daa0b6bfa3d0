"""The tables every organisation's database carries besides its own (see
:data:`mynumber.platform.db.PLATFORM_MIGRATIONS`): the nonces of signed requests it
accepted, its staff directory, staff sign-in challenges and sessions, and its access log."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
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

#: Nonces of accepted signed requests, kept for the signing window (replays are refused
#: across restarts); swept once older than the window.
seen_nonces = Table(
    "seen_nonces",
    metadata,
    Column("org", String(40), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", Float, nullable=False),
)
Index("seen_nonces_by_time", seen_nonces.c.seen_at)

#: The organisation's staff directory: who may sign in, with which roles, for how long,
#: with which card (the serial of the user-authentication certificate they enrolled).
staff_members = Table(
    "staff_members",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("roles", String(200), nullable=False),  # space-separated role names
    Column("auth_serial", String(40), unique=True),  # NULL for the local administrator
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_to", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(24), nullable=False),
    Column("removed_at", UtcDateTime),
)

#: One-time sign-in challenges (QR code / one-time code), paired with the browser or
#: device that started them by the hash of a secret only it holds.
staff_challenges = Table(
    "staff_challenges",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("nonce", LargeBinary(32), nullable=False),
    Column("pair_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("state", String(10), nullable=False),  # pending | done | refused
    Column("staff_id", String(24)),
    Column("serial", String(40)),
    Column("reason", String(40)),
    Column("certificate", LargeBinary),  # the card's auth certificate, for the session
    Column("used_at", UtcDateTime),
    Column("claimed_at", UtcDateTime),
)
Index("staff_challenges_by_expiry", staff_challenges.c.expires_at)

#: Staff sessions: a browser's cookie, a command line's bearer token, or a token an
#: administrator issued. Only the token's SHA-256 is kept.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(24), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # card | token | local
    Column("csrf", String(64), nullable=False),
    Column("serial", String(40)),  # the card's auth serial (status re-checked while in use)
    Column("certificate", LargeBinary),  # its DER, to ask J-LIS about it again
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status_checked_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(20)),
)

#: The access log: every staff read or change of a person's data, append-only and
#: hash-chained (each entry holds the previous one's hash). ``disclosed`` marks entries
#: passed on to the person (Mynaportal); it is not part of the chain.
access_log = Table(
    "access_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC, as hashed
    Column("actor", String(24), nullable=False),
    Column("actor_name", String(60), nullable=False),
    Column("role", String(40), nullable=False),
    Column("person", String(40)),
    Column("action", String(40), nullable=False),
    Column("purpose", String(80), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("disclosed", Boolean, nullable=False, server_default=false()),
)
Index("access_log_by_person", access_log.c.person)
Index("access_log_undisclosed", access_log.c.disclosed, access_log.c.seq)

#: The head of the access log (one row): appending updates it in the same transaction,
#: which makes appenders take turns.
access_log_head = Table(
    "access_log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
