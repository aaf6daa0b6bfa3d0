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

# --- OpenID Connect provider (orgs/portal/oidc*.py) -----------------------------------------

#: Relying parties registered with ``mynumber portal client add``: a confidential client's
#: secret is kept only as its SHA-256; ``sector`` keys the pairwise ``sub``.
oidc_clients = Table(
    "oidc_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64)),
    Column("redirect_uris", Text, nullable=False),  # JSON list
    Column("sector", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Authorization requests waiting for the person (login, consent, signature), by random id:
#: the browser carries only the id.
oidc_requests = Table(
    "oidc_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("params", Text, nullable=False),  # JSON list of [name, value]
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("portal_code", String(32)),
    Column("sign_request", String(64)),
    Column("statement", LargeBinary),
    Column("used_at", DateTime(timezone=True)),
)

#: Authorization codes (by SHA-256): single use, bound to client, redirect_uri and PKCE.
oidc_codes = Table(
    "oidc_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("portal_code", String(32), nullable=False),
    Column("redirect_uri", Text),
    Column("scope", Text, nullable=False),
    Column("nonce", String(255)),
    Column("code_challenge", String(128), nullable=False),
    Column("code_challenge_method", String(8), nullable=False),
    Column("auth_time", DateTime(timezone=True), nullable=False),
    Column("claims", Text),  # JSON: the basic items and their JPKI proof, when consented
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

#: Access tokens (by SHA-256), traced to the code they came from (revoked if it is replayed).
oidc_tokens = Table(
    "oidc_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("portal_code", String(32), nullable=False),
    Column("scope", Text, nullable=False),
    Column("claims", Text),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
Index("oidc_tokens_by_grant", oidc_tokens.c.portal_code, oidc_tokens.c.client_id)

#: What a person allowed a relying party; withdrawing it revokes the party's tokens.
oidc_consents = Table(
    "oidc_consents",
    metadata,
    Column("portal_code", String(32), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("scope", Text, nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)
