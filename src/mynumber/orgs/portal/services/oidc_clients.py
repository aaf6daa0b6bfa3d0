"""Relying parties of Mynaportal's OpenID Connect provider: register, list, remove, look up.

A confidential client gets a secret shown once and kept only as its SHA-256; a public client
(a mobile or single-page app) has none and must use PKCE, as every client must here. A
``private_key_jwt`` client (RFC 7523 §2.2, as the デジタル認証アプリ asks of its clients)
registers an RSA public key instead of receiving a secret and authenticates at the token
endpoint with a JWT signed by its private key; it may use no other method.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from mynumber.errors import InvalidInput
from mynumber.orgs.portal import store
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.model.oidc import ClientUnknown
from mynumber.platform.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """A registered client, shaped as Authlib's ``ClientMixin`` expects."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    sector: str
    public: bool
    created_at: dt.datetime
    secret_hash: str | None = None
    jwk: str | None = None  # JSON RSA public key (private_key_jwt)

    # --- authlib.oauth2.rfc6749.ClientMixin ------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return oidc_model.allowed_scope(scope)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match (RFC 9700 §2.1)

    def check_client_secret(self, client_secret: str) -> bool:
        return oidc_model.check_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        if self.jwk is not None:
            return method == "private_key_jwt"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass(frozen=True, slots=True)
class Registered:
    client: RelyingParty
    secret: str | None  # shown once


class RelyingParties:
    """The client table of the portal's database."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.clock = clock

    def add(
        self,
        uow: UnitOfWork,
        *,
        name: str,
        redirect_uris: list[str],
        public: bool,
        sector: str | None = None,
        jwk: Mapping[str, object] | None = None,
    ) -> Registered:
        """Register a relying party; a confidential one's secret is returned this once, a
        ``private_key_jwt`` one (``jwk`` given) gets no secret."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a client needs a name of 1–100 characters", field="name")
        if not redirect_uris:
            raise InvalidInput("give at least one --redirect-uri", field="redirect_uri")
        uris = tuple(dict.fromkeys(oidc_model.check_redirect_uri(u) for u in redirect_uris))
        if jwk is not None and public:
            raise InvalidInput("a public client has no key", field="jwk")
        public_jwk = None if jwk is None else oidc_model.client_public_jwk(jwk)
        secret = None if public or public_jwk is not None else oidc_model.new_secret()
        client_id = oidc_model.new_client_id()
        client = RelyingParty(
            client_id=client_id,
            name=name,
            redirect_uris=uris,
            sector=oidc_model.sector_of(uris, client_id, sector),
            public=public,
            created_at=self.clock(),
            secret_hash=None if secret is None else oidc_model.hash_secret(secret),
            jwk=public_jwk,
        )
        with uow as conn:
            conn.execute(
                store.oidc_clients.insert().values(
                    client_id=client.client_id,
                    name=client.name,
                    secret_hash=client.secret_hash,
                    redirect_uris=json.dumps(list(uris)),
                    sector=client.sector,
                    created_at=client.created_at,
                    jwk=client.jwk,
                )
            )
            uow.commit()
        return Registered(client, secret)

    def get(self, uow: UnitOfWork, client_id: str) -> RelyingParty | None:
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        with uow as conn:
            row = conn.execute(
                select(store.oidc_clients).where(store.oidc_clients.c.client_id == client_id)
            ).first()
        return None if row is None else _client(row)

    def require(self, uow: UnitOfWork, client_id: str) -> RelyingParty:
        client = self.get(uow, client_id)
        if client is None:
            raise ClientUnknown("no such relying party")
        return client

    def all(self, uow: UnitOfWork) -> list[RelyingParty]:
        with uow as conn:
            rows = conn.execute(
                select(store.oidc_clients).order_by(store.oidc_clients.c.created_at)
            ).all()
        return [_client(r) for r in rows]

    def remove(self, uow: UnitOfWork, client_id: str) -> None:
        """Remove a party with its consents, codes and tokens (they stop working at once)."""
        with uow as conn:
            gone = conn.execute(
                delete(store.oidc_clients).where(store.oidc_clients.c.client_id == client_id)
            ).rowcount
            if not gone:
                raise ClientUnknown("no such relying party")
            for table in (
                store.oidc_consents,
                store.oidc_codes,
                store.oidc_tokens,
                store.oidc_requests,
            ):
                conn.execute(delete(table).where(table.c.client_id == client_id))
            uow.commit()


def _client(row: object) -> RelyingParty:
    m = row._mapping  # type: ignore[attr-defined]
    return RelyingParty(
        client_id=m["client_id"],
        name=m["name"],
        redirect_uris=tuple(json.loads(m["redirect_uris"])),
        sector=m["sector"],
        public=m["secret_hash"] is None and m["jwk"] is None,
        created_at=m["created_at"],
        secret_hash=m["secret_hash"],
        jwk=m["jwk"],
    )
