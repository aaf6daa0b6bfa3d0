"""Mynaportal's tables: accounts keyed by the portal's own code for a person
(開示システム用符号, from J-LIS), never a My Number; challenges, sessions, logins, notices."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("portal_code", String(32), primary_key=True),
    Column("municipality", String(6), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime),
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
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("state", String(8), nullable=False),  # pending | done | refused
    Column("portal_code", String(32)),
    Column("reason", String(40)),
    Column("claimed_at", UtcDateTime),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    # 代理: the portal code of the person this session acts for (see ``proxies``)
    Column("acting_for", String(32)),
)

#: Every login attempt that reached the portal: for the person when known.
logins = Table(
    "logins",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32)),
    Column("at", UtcDateTime, nullable=False),
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
    Column("created_at", UtcDateTime, nullable=False),
    Column("sender", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("read_at", UtcDateTime),
    Column("link", String(300)),
    # the sending organisation and its own name for the notice: one notice per ref
    Column("sender_org", String(40)),
    Column("ref", String(64)),
    UniqueConstraint("portal_code", "sender_org", "ref", name="one_notice_per_ref"),
)

#: 代理人の登録: a one-time code the grantor hands to the grantee (kept as its SHA-256).
proxy_invitations = Table(
    "proxy_invitations",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("principal_code", String(32), nullable=False, index=True),
    Column("scope", String(8), nullable=False),  # view | apply
    Column("until", UtcDateTime),  # the right's end, if the grantor set one
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),  # the code's end
    Column("used_at", UtcDateTime),
    Column("used_by", String(32)),
)

#: Wrong 代理人 invitation codes a person entered, and refusals for too many of them.
proxy_code_attempts = Table(
    "proxy_code_attempts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("outcome", String(8), nullable=False),  # wrong | blocked
)
Index("proxy_code_attempts_by_person", proxy_code_attempts.c.portal_code, proxy_code_attempts.c.at)

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
    Column("created_at", UtcDateTime, nullable=False),
    Column("until", UtcDateTime),
    Column("revoked_at", UtcDateTime),
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
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(80), nullable=False),
)
Index("proxy_actions_by_principal", proxy_actions.c.principal_code, proxy_actions.c.at)

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
    Column("created_at", UtcDateTime, nullable=False),
    Column("jwk", Text),  # JSON: the RSA public key of a private_key_jwt client
)

#: ``jti`` of private_key_jwt client assertions already presented (each is good once),
#: kept until the assertion would have expired.
oidc_used_assertions = Table(
    "oidc_used_assertions",
    metadata,
    Column("jti", String(200), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
)

#: Authorization requests waiting for the person (login, consent, signature), by random id:
#: the browser carries only the id.
oidc_requests = Table(
    "oidc_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("params", Text, nullable=False),  # JSON list of [name, value]
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("portal_code", String(32)),
    Column("sign_request", String(64)),
    Column("statement", LargeBinary),
    Column("used_at", UtcDateTime),
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
    Column("auth_time", UtcDateTime, nullable=False),
    Column("claims", Text),  # JSON: the basic items and their JPKI proof, when consented
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
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
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
Index("oidc_tokens_by_grant", oidc_tokens.c.portal_code, oidc_tokens.c.client_id)

#: Sign transactions (the デジタル認証アプリ-style API): a relying party holding an access
#: token with scope ``sign`` asks for a hash (DigestInfo) to be signed; the card holder's
#: signature and certificate are kept once checked.
oidc_sign_transactions = Table(
    "oidc_sign_transactions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("portal_code", String(32), nullable=False),
    Column("algorithm", String(8), nullable=False),
    Column("digest", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(8), nullable=False),  # pending | signed
    Column("signature", LargeBinary),
    Column("certificate", LargeBinary),
)

#: What a person allowed a relying party; withdrawing it revokes the party's tokens.
oidc_consents = Table(
    "oidc_consents",
    metadata,
    Column("portal_code", String(32), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("scope", Text, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
)

#: A request to sign exact bytes with the card's signing key (署名用電子証明書), for the
#: logged-in person; the phone answers with a detached CMS (``cms``) once. ``data`` is
#: cleared when the caller has taken the result (:meth:`SignRequests.forget_data`).
sign_requests = Table(
    "sign_requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("portal_code", String(32), nullable=False, index=True),
    Column("purpose_ja", String(200), nullable=False),
    Column("purpose_en", String(200)),
    Column("summary", Text, nullable=False),
    Column("data", LargeBinary),
    Column("data_hash", String(64), nullable=False),
    Column("next_path", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("state", String(8), nullable=False),  # pending | signed | refused
    Column("used_at", UtcDateTime),
    Column("reason", String(40)),
    Column("cms", LargeBinary),
    Column("serial", String(40)),
    Column("signed_at", UtcDateTime),
)

#: E-applications (電子申請) as the portal keeps them: status and the sealed payload it
#: delivered (JWE to the municipality), never the form in clear. The actor (who applied)
#: and the applicant (for whom) are kept apart: a proxy may apply for someone.
applications = Table(
    "applications",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("actor_code", String(32), nullable=False, index=True),
    Column("applicant_code", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("sign_request_id", String(16)),
    Column("sealed", Text),
    Column("delivery_id", String(40)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("decision_reason", Text),
)

#: The random key each application form carries: a second post with the same key (double
#: click, retries, concurrent posts) finds the first application instead of making one.
submissions = Table(
    "submissions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("application_id", String(16), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
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
    Column("learned_at", UtcDateTime, nullable=False),
)

#: 本人確認情報の提供状況: who at a municipality looked at or changed the person's resident
#: record, as the municipality passed it on through the hub (labels as it sent them: the
#: staff member's role, never their name). One row per (person, sender, ref): a resend adds
#: nothing.
record_accesses = Table(
    "record_accesses",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_code", String(32), nullable=False),
    Column("sender_org", String(40), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("role", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("purpose", String(100), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("portal_code", "sender_org", "ref", name="one_record_access_per_ref"),
)
Index("record_accesses_by_person", record_accesses.c.portal_code, record_accesses.c.at)
