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
    # 代理: the portal code of the person this session acts for (see ``proxies``)
    Column("acting_for", String(32)),
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

#: お知らせ: title and body encrypted at rest (see ``inbox``); ``link`` a /portal/... path.
notices = Table(
    "notices",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("read_at", DateTime(timezone=True)),
    Column("link", String(300)),
)

#: 代理人の登録: a one-time code the grantor hands to the grantee (kept as its SHA-256).
proxy_invitations = Table(
    "proxy_invitations",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("principal_code", String(32), nullable=False, index=True),
    Column("scope", String(8), nullable=False),  # view | apply
    Column("until", DateTime(timezone=True)),  # the right's end, if the grantor set one
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),  # the code's end
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", String(32)),
)

#: A right to act for another person, between portal codes; revoked_at ends it at once.
proxies = Table(
    "proxies",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("principal_code", String(32), nullable=False),
    Column("agent_code", String(32), nullable=False),
    Column("scope", String(8), nullable=False),
    Column("principal_name", String(100)),  # 氏名 as the municipality gives it
    Column("agent_name", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("invitation_id", String(16), nullable=False),
)
Index("proxies_by_principal", proxies.c.principal_code, proxies.c.created_at)
Index("proxies_by_agent", proxies.c.agent_code, proxies.c.created_at)

#: Everything done under a proxy right, for the principal to see (who, what, when).
proxy_actions = Table(
    "proxy_actions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("proxy_id", String(16), nullable=False),
    Column("principal_code", String(32), nullable=False),
    Column("agent_code", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(80), nullable=False),
)
Index("proxy_actions_by_principal", proxy_actions.c.principal_code, proxy_actions.c.at)
