"""Mynaportal's OpenID Connect provider: waiting authorization requests, consents, codes,
access tokens, userinfo, and the page of services a person has allowed.

A request from a relying party is kept server-side under a random id while the person logs
in and consents (the browser carries only the id). Codes are single-use, live
:data:`~mynumber.orgs.portal.model.oidc.CODE_TTL` and are bound to the client, the
redirect URI and the PKCE challenge; presenting a used code revokes the tokens it gave.
Withdrawing consent revokes the party's tokens at once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError

from mynumber.errors import Conflict, Unauthorized
from mynumber.orgs.portal import store
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.model.oidc import (
    CODE_TTL,
    REQUEST_TTL,
    OidcRequestUnknown,
    hash_secret,
    pairwise_sub,
    scopes_of,
)
from mynumber.orgs.portal.services.oidc_clients import RelyingParties, RelyingParty
from mynumber.orgs.portal.services.oidc_keys import load_or_create_signing_key
from mynumber.platform.context import OrgContext
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.uow import UnitOfWork


class InvalidToken(Unauthorized):
    """RFC 6750 ``invalid_token``: unknown, expired, revoked, or consent withdrawn."""

    code = "invalid_token"


@dataclass(frozen=True, slots=True)
class Grantee:
    """The person behind a grant, as one relying party may know them."""

    portal_code: str
    sub: str
    auth_time: dt.datetime
    claims: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a valid access token stands for."""

    client: RelyingParty
    portal_code: str
    scopes: tuple[str, ...]
    claims: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCode:
    """An authorization code taken from the table (Authlib's ``AuthorizationCodeMixin``)."""

    code_hash: str
    client_id: str
    portal_code: str
    redirect_uri: str | None
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: dt.datetime
    claims: dict[str, str] | None

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str]:
        return ["hwk", "pin"]  # RFC 8176: the card's key, unlocked by its PIN


@dataclass(frozen=True, slots=True)
class Pending:
    """An authorization request waiting for the person."""

    id: str
    client_id: str
    params: list[tuple[str, str]]
    portal_code: str | None
    sign_request: str | None
    statement: bytes | None

    @property
    def scope(self) -> str:
        return dict(self.params).get("scope", "")

    @property
    def nonce(self) -> str | None:
        return dict(self.params).get("nonce")


@dataclass(frozen=True, slots=True)
class Allowed:
    """One line of the page of services a person has allowed."""

    client_id: str
    name: str
    scopes: list[str]
    granted_at: dt.datetime


class OidcProvider:
    """The provider's use cases over the portal's database."""

    def __init__(
        self,
        *,
        issuer: str,
        signing_key: RSAKey,
        pairwise_key: bytes,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.issuer = issuer
        self.signing_key = signing_key
        self.pairwise_key = pairwise_key
        self.clock = clock
        self.clients = RelyingParties(clock=lambda: self.clock())

    def sub(self, client: RelyingParty, portal_code: str) -> str:
        return pairwise_sub(self.pairwise_key, client.sector, portal_code)

    # --- waiting requests ------------------------------------------------------------------

    def begin(self, uow: UnitOfWork, client_id: str, params: list[tuple[str, str]]) -> str:
        """Keep a validated authorization request; the browser carries only the id."""
        request_id = secrets.token_urlsafe(24)
        now = self.clock()
        with uow as conn:
            # requests nobody finished in time are of no use to anyone: drop them
            conn.execute(delete(store.oidc_requests).where(store.oidc_requests.c.expires_at < now))
            conn.execute(
                store.oidc_requests.insert().values(
                    id=request_id,
                    client_id=client_id,
                    params=json.dumps(params, ensure_ascii=False),
                    created_at=now,
                    expires_at=now + REQUEST_TTL,
                )
            )
            uow.commit()
        return request_id

    def pending(self, uow: UnitOfWork, request_id: str, portal_code: str | None = None) -> Pending:
        """A waiting request (not used, not expired; this person's once bound)."""
        r = store.oidc_requests.c
        with uow as conn:
            row = conn.execute(
                select(store.oidc_requests).where(r.id == str(request_id)[:64])
            ).first()
        if row is None or row.used_at is not None or self.clock() >= row.expires_at:
            raise OidcRequestUnknown(
                "no such sign-in request, or it was used or has expired: "
                "start again from the service / 連携サービスの画面からやり直してください"
            )
        if portal_code is not None and row.portal_code not in (None, portal_code):
            raise OidcRequestUnknown("this sign-in request belongs to someone else")
        return Pending(
            id=row.id,
            client_id=row.client_id,
            params=[(k, v) for k, v in json.loads(row.params)],
            portal_code=row.portal_code,
            sign_request=row.sign_request,
            statement=None if row.statement is None else bytes(row.statement),
        )

    def bind(self, uow: UnitOfWork, request_id: str, portal_code: str) -> None:
        """The first person to open the consent page owns the request."""
        r = store.oidc_requests.c
        with uow as conn:
            conn.execute(
                update(store.oidc_requests)
                .where(r.id == request_id, r.portal_code.is_(None))
                .values(portal_code=portal_code)
            )
            uow.commit()
        self.pending(uow, request_id, portal_code)

    def attach_signature_request(
        self,
        uow: UnitOfWork,
        request_id: str,
        portal_code: str,
        sign_request: str,
        statement: bytes,
    ) -> None:
        r = store.oidc_requests.c
        with uow as conn:
            conn.execute(
                update(store.oidc_requests)
                .where(r.id == request_id, r.portal_code == portal_code, r.used_at.is_(None))
                .values(sign_request=sign_request, statement=statement)
            )
            uow.commit()

    def finish(self, uow: UnitOfWork, request_id: str, portal_code: str) -> None:
        """Use the request up (once): a second answer to it is refused."""
        r = store.oidc_requests.c
        with uow as conn:
            taken = conn.execute(
                update(store.oidc_requests)
                .where(r.id == request_id, r.portal_code == portal_code, r.used_at.is_(None))
                .values(used_at=self.clock())
            ).rowcount
            uow.commit()
        if not taken:
            raise Conflict("this sign-in request was already answered", code="oidc_request_used")

    # --- consent ---------------------------------------------------------------------------

    def consent_covers(self, uow: UnitOfWork, portal_code: str, client_id: str, scope: str) -> bool:
        c = store.oidc_consents.c
        with uow as conn:
            kept = conn.scalar(
                select(c.scope).where(c.portal_code == portal_code, c.client_id == client_id)
            )
        return kept is not None and set(scopes_of(scope)) <= set(scopes_of(kept))

    def remember_consent(
        self, uow: UnitOfWork, portal_code: str, client_id: str, scope: str
    ) -> None:
        c = store.oidc_consents.c
        with uow as conn:
            kept = conn.scalar(
                select(c.scope).where(c.portal_code == portal_code, c.client_id == client_id)
            )
            if kept is None:
                conn.execute(
                    store.oidc_consents.insert().values(
                        portal_code=portal_code,
                        client_id=client_id,
                        scope=scope,
                        granted_at=self.clock(),
                    )
                )
            else:
                merged = " ".join(
                    s for s in oidc_model.SCOPES if s in set(scopes_of(kept) + scopes_of(scope))
                )
                conn.execute(
                    update(store.oidc_consents)
                    .where(c.portal_code == portal_code, c.client_id == client_id)
                    .values(scope=merged, granted_at=self.clock())
                )
            uow.commit()

    def allowed(self, uow: UnitOfWork, portal_code: str) -> list[Allowed]:
        """The services this person has allowed, newest first."""
        c, k = store.oidc_consents.c, store.oidc_clients.c
        with uow as conn:
            rows = conn.execute(
                select(c.client_id, k.name, c.scope, c.granted_at)
                .join(store.oidc_clients, k.client_id == c.client_id)
                .where(c.portal_code == portal_code)
                .order_by(c.granted_at.desc())
            ).all()
        return [Allowed(r.client_id, r.name, scopes_of(r.scope), r.granted_at) for r in rows]

    def withdraw(self, uow: UnitOfWork, portal_code: str, client_id: str) -> None:
        """Withdraw consent: the party's tokens for this person stop working at once."""
        c, t = store.oidc_consents.c, store.oidc_tokens.c
        now = self.clock()
        with uow as conn:
            gone = conn.execute(
                delete(store.oidc_consents).where(
                    c.portal_code == portal_code, c.client_id == client_id
                )
            ).rowcount
            if not gone:
                raise oidc_model.ClientUnknown("you have not allowed this service")
            conn.execute(
                update(store.oidc_tokens)
                .where(t.portal_code == portal_code, t.client_id == client_id)
                .where(t.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            uow.commit()

    # --- codes -----------------------------------------------------------------------------

    def save_code(self, uow: UnitOfWork, code: str, request: Any) -> None:
        grantee: Grantee = request.user
        data = request.payload.data
        now = self.clock()
        with uow as conn:
            conn.execute(
                store.oidc_codes.insert().values(
                    code_hash=hash_secret(code),
                    client_id=request.client.client_id,
                    portal_code=grantee.portal_code,
                    redirect_uri=data.get("redirect_uri"),
                    scope=request.scope,
                    nonce=data.get("nonce"),
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data.get("code_challenge_method", "S256"),
                    auth_time=grantee.auth_time,
                    claims=None if grantee.claims is None else json.dumps(grantee.claims),
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
            uow.commit()

    def take_code(self, uow: UnitOfWork, code: str, client: RelyingParty) -> StoredCode | None:
        """Use a code up as it is presented: ``None`` if unknown, another client's, expired,
        or used before — in which case every token it gave is revoked (RFC 6749 §4.1.2)."""
        k = store.oidc_codes.c
        code_hash = hash_secret(code)
        now = self.clock()
        with uow as conn:
            row = conn.execute(select(store.oidc_codes).where(k.code_hash == code_hash)).first()
            if row is None or row.client_id != client.client_id:
                return None
            taken = conn.execute(
                update(store.oidc_codes)
                .where(k.code_hash == code_hash, k.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            if not taken:
                t = store.oidc_tokens.c
                conn.execute(
                    update(store.oidc_tokens)
                    .where(t.code_hash == code_hash, t.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                uow.commit()
                return None
            uow.commit()
        if now >= row.expires_at:
            return None
        return StoredCode(
            code_hash=row.code_hash,
            client_id=row.client_id,
            portal_code=row.portal_code,
            redirect_uri=row.redirect_uri,
            scope=row.scope,
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            auth_time=row.auth_time,
            claims=None if row.claims is None else json.loads(row.claims),
        )

    def grantee_of(self, uow: UnitOfWork, code: StoredCode) -> Grantee | None:
        client = self.clients.get(uow, code.client_id)
        if client is None:
            return None
        return Grantee(code.portal_code, self.sub(client, code.portal_code), code.auth_time)

    def nonce_used(self, uow: UnitOfWork, client_id: str, nonce: str) -> bool:
        """A nonce is good for one code per client (a replayed request is refused)."""
        k = store.oidc_codes.c
        with uow as conn:
            found = conn.scalar(
                select(k.code_hash).where(and_(k.client_id == client_id, k.nonce == nonce))
            )
        return found is not None

    def first_use_of_assertion(
        self, uow: UnitOfWork, client_id: str, jti: object, exp: object
    ) -> bool:
        """Record a private_key_jwt assertion's ``jti``; ``False`` when it was used before
        (or is not a usable id). Kept until the assertion's ``exp``."""
        if not isinstance(jti, str) or not 8 <= len(jti) <= 128:
            return False
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return False
        now = self.clock()
        u = store.oidc_used_assertions
        try:
            with uow as conn:
                conn.execute(delete(u).where(u.c.expires_at < now))
                conn.execute(
                    u.insert().values(
                        jti=f"{client_id}:{jti}"[:200],
                        expires_at=dt.datetime.fromtimestamp(
                            min(float(exp), now.timestamp() + 3600), dt.UTC
                        ),
                    )
                )
                uow.commit()
        except IntegrityError:
            return False
        return True

    # --- tokens and userinfo ---------------------------------------------------------------

    def save_token(self, uow: UnitOfWork, token: dict[str, Any], request: Any) -> None:
        code: StoredCode = request.authorization_code
        now = self.clock()
        with uow as conn:
            conn.execute(
                store.oidc_tokens.insert().values(
                    token_hash=hash_secret(token["access_token"]),
                    code_hash=code.code_hash,
                    client_id=code.client_id,
                    portal_code=code.portal_code,
                    scope=code.scope,
                    claims=None if code.claims is None else json.dumps(code.claims),
                    issued_at=now,
                    expires_at=now + dt.timedelta(seconds=int(token["expires_in"])),
                )
            )
            uow.commit()

    def token_grant(self, uow: UnitOfWork, access_token: str) -> TokenGrant:
        """Who an access token speaks for, and with what scope; the consent must still
        stand and the party still be registered."""
        t, c = store.oidc_tokens.c, store.oidc_consents.c
        if not isinstance(access_token, str) or not 0 < len(access_token) <= 200:
            raise InvalidToken("send the access token as a Bearer token")
        with uow as conn:
            row = conn.execute(
                select(store.oidc_tokens).where(t.token_hash == hash_secret(access_token))
            ).first()
            consented = (
                row is not None
                and conn.scalar(
                    select(c.scope).where(
                        c.portal_code == row.portal_code, c.client_id == row.client_id
                    )
                )
                is not None
            )
        if row is None or row.revoked_at is not None or self.clock() >= row.expires_at:
            raise InvalidToken("the access token is unknown, expired or revoked")
        if not consented:
            raise InvalidToken("the person withdrew consent for this service")
        client = self.clients.get(uow, row.client_id)
        if client is None:
            raise InvalidToken("the relying party was removed")
        return TokenGrant(client, row.portal_code, tuple(scopes_of(row.scope)), row.claims)

    def userinfo(self, uow: UnitOfWork, access_token: str) -> dict[str, Any]:
        """What the token's scope releases: ``sub``; with ``profile_basic4`` the four items
        with their JPKI proof; with ``name`` … ``gender`` those items. The consent must still
        stand."""
        grant = self.token_grant(uow, access_token)
        info: dict[str, Any] = {"sub": self.sub(grant.client, grant.portal_code)}
        if oidc_model.wants_items(grant.scopes) and grant.claims:
            info.update(json.loads(grant.claims))
        return info


def oidc_provider(ctx: OrgContext) -> OidcProvider:
    """The provider of a portal app: issuer ``BASE/portal``, keys in ``DATA/portal``."""
    folder = ctx.settings.data_dir / "portal"
    return OidcProvider(
        issuer=ctx.settings.base_url.rstrip("/") + "/portal",
        signing_key=load_or_create_signing_key(folder),
        pairwise_key=secret_bytes(folder / "oidc-pairwise.key"),
    )
