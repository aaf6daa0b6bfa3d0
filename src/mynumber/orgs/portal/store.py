"""Mynaportal's tables: accounts keyed by the portal's own code for a person
(開示システム用符号, from J-LIS), never a My Number; challenges, sessions, logins, notices."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("portal_code", String(32), primary_key=True),
    Column("municipality", String(6), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    # the portal's code for the person at the linkage hub (from J-LIS, on first need)
    Column("hub_code", String(32)),
)

#: One-time login challenges; ``browser_hash`` binds a QR login to the PC browser that
#: asked for it, ``claimed_at`` marks the session it gave.
challenges = Table(
    "challenges",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("nonce", LargeBinary(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("browser_hash", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("state", String(8), nullable=False),  # pending | done | refused
    Column("portal_code", String(32)),
    Column("reason", String(40)),
    Column("claimed_at", DateTime(timezone=True)),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

#: Every login attempt that reached the portal: for the person when known.
logins = Table(
    "logins",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("method", String(8), nullable=False),
    Column("result", String(8), nullable=False),  # success | refused
    Column("reason", String(40)),
    Column("serial", String(40)),
)
Index("logins_by_person", logins.c.portal_code, logins.c.at)

notices = Table(
    "notices",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("read_at", DateTime(timezone=True)),
)

#: What J-LIS said about each login certificate it was asked about: the person's portal
#: code behind an auth-certificate serial (a serial never changes hands, so a later login
#: with the same certificate need not ask again; a new certificate is asked about once).
login_certificates = Table(
    "login_certificates",
    metadata,
    Column("serial", String(40), primary_key=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("municipality", String(6), nullable=False),
    Column("learned_at", DateTime(timezone=True), nullable=False),
)
