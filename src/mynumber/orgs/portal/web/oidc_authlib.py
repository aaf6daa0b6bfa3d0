"""Authlib's framework-free OAuth 2.0 / OpenID Connect core, adapted to the portal.

Authlib ships server integrations for Flask and Django only; its core
(``AuthorizationServer``, the code grant, ``CodeChallenge``, ``OpenIDCode``) needs a request
object and a way to answer, which :class:`PortalRequest` and :class:`PortalAuthorizationServer`
give. The web layer reads the query and form first (the form is async in Starlette) and hands
a finished :class:`PortalRequest` to the synchronous core. Storage is
:class:`mynumber.orgs.portal.services.oidc.OidcProvider`'s, in the unit of work of the HTTP
request the :class:`PortalRequest` came with: the server's entry points make it the current
one while Authlib's core runs (its storage hooks, such as ``query_client(client_id)``, are
not given the request).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from fastapi.responses import JSONResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.services.oidc_keys import ALGORITHM
from mynumber.platform.uow import UnitOfWork

if TYPE_CHECKING:
    from mynumber.orgs.portal.services.oidc import Grantee, OidcProvider, StoredCode
    from mynumber.orgs.portal.services.oidc_clients import RelyingParty


#: The unit of work of the request Authlib's core is serving in this thread (or task).
_WORK: ContextVar[UnitOfWork | None] = ContextVar("portal_oidc_work", default=None)


def _work() -> UnitOfWork:
    work = _WORK.get()
    if work is None:
        raise RuntimeError("Authlib's core runs only inside a PortalAuthorizationServer call")
    return work


@contextmanager
def _serving(request: Any) -> Iterator[None]:
    if not isinstance(request, PortalRequest):
        raise TypeError("the web layer builds a PortalRequest first")
    token = _WORK.set(request.uow)
    try:
        yield
    finally:
        _WORK.reset(token)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class PortalRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth request already read off the wire: method, URL, headers, query, form; and
    the unit of work of the HTTP request it came with."""

    def __init__(
        self,
        uow: UnitOfWork,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        *,
        query: list[tuple[str, str]] | None = None,
        form: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.uow = uow
        self._query = query or []
        self._form = form or []
        self.payload = _Payload(self._query + self._form)

    @property
    def args(self) -> dict[str, str]:
        return dict(self._query)

    @property
    def form(self) -> dict[str, str]:
        return dict(self._form)


class PkceForEveryone(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 for every client, confidential ones too (RFC 9700 §2.1.1):
    Authlib's ``CodeChallenge(required=True)`` enforces it only for public clients."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256",
                redirect_uri=redirect_uri,
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "code_challenge_method must be S256", redirect_uri=redirect_uri
            )
        try:
            super().validate_code_challenge(grant, redirect_uri)
        except InvalidRequestError as exc:
            exc.redirect_uri = redirect_uri
            raise

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier' (PKCE is required)")
        super().validate_code_verifier(grant, result)


class PortalCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization code grant over the portal's tables; a code is taken (used) the
    moment it is presented, and a second presentation revokes what the first gave."""

    TOKEN_ENDPOINT_AUTH_METHODS = [  # noqa: RUF012
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ]

    @property
    def provider(self) -> OidcProvider:
        provider: OidcProvider = self.server.provider
        return provider

    def save_authorization_code(self, code: str, request: PortalRequest) -> None:
        self.provider.save_code(_work(), code, request)

    def query_authorization_code(self, code: str, client: RelyingParty) -> StoredCode | None:
        return self.provider.take_code(_work(), code, client)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing to do: :meth:`query_authorization_code` already used the code up."""

    def authenticate_user(self, authorization_code: StoredCode) -> Grantee | None:
        return self.provider.grantee_of(_work(), authorization_code)


class PortalPrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    """``private_key_jwt`` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT signed RS256 by
    the client's registered key, ``iss`` = ``sub`` = its client id, ``aud`` the token
    endpoint (or the issuer), ``exp`` within five minutes, a ``jti`` good once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"
    MAX_LIFE_SECONDS = 300

    def __init__(self, provider: OidcProvider) -> None:
        super().__init__(validate_jti=True, leeway=0)
        self.provider = provider

    def get_audiences(self) -> list[str]:
        return [self.provider.issuer + "/oidc/token", self.provider.issuer]

    def verify_claims(self, claims: Any) -> None:
        super().verify_claims(claims)
        exp = claims.get("exp")
        now = self.provider.clock().timestamp()
        if not isinstance(exp, int | float) or exp > now + self.MAX_LIFE_SECONDS:
            raise InvalidClientError(description="the client assertion lives too long")

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        return self.provider.first_use_of_assertion(
            _work(), str(claims["sub"]), jti, claims.get("exp")
        )

    def resolve_client_public_key(self, client: RelyingParty) -> RSAKey:
        if client.jwk is None:
            raise InvalidClientError(description="this client has registered no key")
        return RSAKey.import_key(json.loads(client.jwk))

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(
                description="the assertion is not signed by the client's key"
            ) from exc
        self.verify_claims(token.claims)
        return token.claims


class PortalOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens: RS256 with the portal's key (``kid`` in the JWKS), pairwise ``sub``."""

    def __init__(self, provider: OidcProvider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def resolve_client_private_key(self, client: RelyingParty) -> RSAKey:
        return self.provider.signing_key

    def get_client_algorithm(self, client: RelyingParty) -> str:
        return ALGORITHM

    def get_encode_header(self, client: RelyingParty) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": str(self.provider.signing_key.kid), "typ": "JWT"}

    def get_client_claims(self, client: RelyingParty) -> dict[str, Any]:
        return {"iss": self.provider.issuer, "aud": [client.client_id]}

    def validate_openid_authorization_request(self, grant: Any, redirect_uri: str) -> None:
        """A nonce is required and good once; the refusal goes back to the service."""
        try:
            super().validate_openid_authorization_request(grant, redirect_uri)
        except InvalidRequestError as exc:
            exc.redirect_uri = redirect_uri
            raise

    def exists_nonce(self, nonce: str, request: PortalRequest) -> bool:
        return self.provider.nonce_used(_work(), request.payload.client_id, nonce)

    def generate_user_info(self, user: Grantee, scope: str) -> dict[str, Any]:
        return {"sub": user.sub}


class PortalAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server bound to the portal's provider service."""

    def __init__(self, provider: OidcProvider) -> None:
        super().__init__(scopes_supported=list(oidc_model.SCOPES))
        self.provider = provider
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: oidc_model.new_secret(),
                expires_generator=lambda client, grant_type: int(
                    oidc_model.TOKEN_TTL.total_seconds()
                ),
            ),
        )
        self.register_client_auth_method("private_key_jwt", PortalPrivateKeyJWT(provider))
        self.register_grant(PortalCodeGrant, [PkceForEveryone(), PortalOpenIDCode(provider)])

    def query_client(self, client_id: str) -> RelyingParty | None:
        return self.provider.clients.get(_work(), client_id)

    def save_token(self, token: dict[str, Any], request: PortalRequest) -> None:
        self.provider.save_token(_work(), token, request)

    # the entry points the web layer calls: each runs in its request's unit of work

    def get_consent_grant(self, request: Any = None, end_user: Any = None) -> Any:
        with _serving(request):
            return super().get_consent_grant(request, end_user)

    def create_authorization_response(
        self, request: Any = None, grant_user: Any = None, grant: Any = None
    ) -> Any:
        with _serving(request):
            return super().create_authorization_response(request, grant_user, grant)

    def create_token_response(self, request: Any = None) -> Any:
        with _serving(request):
            return super().create_token_response(request)

    def create_oauth2_request(self, request: Any) -> PortalRequest:
        if not isinstance(request, PortalRequest):
            raise TypeError("the web layer builds a PortalRequest first")
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError(
            "the provider has no JSON-bodied endpoints (token and consent are forms)"
        )

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        if isinstance(body, list | tuple):
            body = json.dumps(dict(body))
        return Response(body or b"", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal receivers."""
