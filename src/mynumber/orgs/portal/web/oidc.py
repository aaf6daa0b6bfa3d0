"""Mynaportal as an OpenID Connect provider, on the web: discovery, JWKS, the authorization
endpoint, the consent page, the token and userinfo endpoints, and 連携サービス (the services a
person has allowed, where consent is withdrawn).

Thin: each route reads the request (the form is async), then hands it to Authlib's core or to
:class:`~mynumber.orgs.portal.services.oidc.OidcProvider` in a worker thread.
"""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import hmac
from typing import Annotated, Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError
from fastapi import APIRouter, Cookie, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mynumber.errors import Error
from mynumber.orgs.portal.model import Session, SessionRequired
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.services.oidc import Grantee, InvalidToken, OidcProvider, Pending
from mynumber.orgs.portal.services.oidc_keys import ALGORITHM, jwks
from mynumber.orgs.portal.services.oidc_release import BasicItemsRelease, SignerNotHolder
from mynumber.orgs.portal.web.deps import DISCOVERY, OIDC_ENDPOINT, RESIDENT
from mynumber.orgs.portal.web.oidc_authlib import PortalAuthorizationServer, PortalRequest
from mynumber.orgs.portal.web.pages import Pages
from mynumber.pki import CertificateError
from mynumber.platform.secrets import same_secret
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work

AUTHORIZE = "/oidc/authorize"
#: an authorization request is kept while the person logs in: bound its size
MAX_QUERY = 4096


def _strings(items: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in items if isinstance(v, str)]


class OidcPages:
    """What the OpenID routes share: the portal's pages, the provider, Authlib's server."""

    def __init__(self, pages: Pages, provider: OidcProvider, release: BasicItemsRelease) -> None:
        self.pages = pages
        self.provider = provider
        self.release = release
        self.server = PortalAuthorizationServer(provider)

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def authorize_request(
        self, uow: UnitOfWork, request: Request, params: list[tuple[str, str]]
    ) -> PortalRequest:
        return PortalRequest(uow, "GET", self.issuer + AUTHORIZE, request.headers, query=params)

    def session(self, uow: UnitOfWork, token: str | None) -> Session | None:
        try:
            return self.pages.portal.session(uow, token)
        except SessionRequired:
            return None

    def grantee(
        self,
        uow: UnitOfWork,
        pending: Pending,
        session: Session,
        claims: dict[str, str] | None = None,
    ) -> Grantee:
        client = self.provider.clients.require(uow, pending.client_id)
        return Grantee(
            session.portal_code,
            self.provider.sub(client, session.portal_code),
            session.created_at,
            claims,
        )

    def error_page(self, request: Request, error: OAuth2Error | str, status: int = 400) -> Response:
        """An error the relying party cannot be told of (unknown client, unregistered
        redirect URI): shown to the person, never redirected (RFC 6749 §4.1.2.1)."""
        if isinstance(error, OAuth2Error):
            code, detail = str(error.error), str(error.description or "")
        else:
            code, detail = "invalid_request", error
        return self.pages.render(
            request, "oidc_error.html", status=status, error=code, detail=detail, session=None
        )

    # --- the browser that started a request ------------------------------------------------
    # An authorization request belongs to the browser that made it: the authorization
    # endpoint gives that browser a cookie named after the request, holding a MAC of its id;
    # the consent page, the consent answer and the release ask for it back. Someone else
    # who opens the consent URL (sent a link by the party that started it) has no such
    # cookie, and gets an error page and no code, even if they allowed that service before.

    @staticmethod
    def browser_cookie(request_id: str) -> str:
        return f"oidc_{request_id}"

    def browser_token(self, request_id: str) -> str:
        return hmac.digest(
            self.pages.csrf_key, f"oidc-browser:{request_id}".encode(), "sha256"
        ).hex()

    def bind_browser(self, request: Request, response: Response, request_id: str) -> None:
        response.set_cookie(
            self.browser_cookie(request_id),
            self.browser_token(request_id),
            max_age=int(oidc_model.REQUEST_TTL.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.pages.secure,
            path=request.scope.get("root_path", "") + "/oidc",
        )

    def other_browser(self, request: Request, request_id: str) -> Response | None:
        """An error page when this browser did not start the request, else None."""
        held = request.cookies.get(self.browser_cookie(request_id))
        if held is not None and same_secret(held, self.browser_token(request_id)):
            return None
        return self.error_page(
            request,
            "この連携の要求は別のブラウザーで始められました。サービスの画面からやり直して"
            "ください / this sign-in request was started in another browser: start again "
            "from the service",
            status=403,
        )

    def answer(self, request: Request, response: Response) -> Response:
        """Authlib answers a redirect with 302; the browser gets 303 (after a POST)."""
        if response.status_code == 302:
            return RedirectResponse(response.headers["location"], status_code=303)
        return response


def router(oidc: OidcPages) -> APIRouter:
    web = APIRouter(tags=["openid"])
    provider = oidc.provider
    pages = oidc.pages

    @web.get("/.well-known/openid-configuration", dependencies=[DISCOVERY])
    def discovery() -> dict[str, Any]:
        """OpenID Provider metadata (OpenID Connect Discovery 1.0 §3)."""
        iss = oidc.issuer
        return {
            "issuer": iss,
            "authorization_endpoint": iss + AUTHORIZE,
            "token_endpoint": iss + "/oidc/token",
            "userinfo_endpoint": iss + "/oidc/userinfo",
            "jwks_uri": iss + "/oidc/jwks.json",
            "scopes_supported": list(oidc_model.SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                *oidc_model.BASIC4_CLAIMS,
                *oidc_model.PROOF_CLAIMS,
            ],
            "ui_locales_supported": ["ja", "en"],
        }

    @web.get("/oidc/jwks.json", dependencies=[DISCOVERY])
    def keys() -> dict[str, Any]:
        """The public key (JWK Set) that ID tokens are signed with; ``kid`` names it."""
        return jwks(provider.signing_key)

    @web.get(AUTHORIZE, include_in_schema=False, dependencies=[OIDC_ENDPOINT])
    async def authorize(
        uow: Work, request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """The authorization endpoint: check the request, keep it under a random id, and
        send the person to log in (if needed), then to the consent page."""
        if len(request.url.query) > MAX_QUERY:
            return oidc.error_page(request, "the authorization request is too long")
        params = _strings(request.query_params.multi_items())
        prefix = request.scope.get("root_path", "")

        def start() -> Response:
            session = oidc.session(uow, portal_session)
            try:
                oidc.server.get_consent_grant(
                    oidc.authorize_request(uow, request, params),
                    end_user=None if session is None else session.portal_code,
                )
            except OAuth2Error as error:
                if error.redirect_uri:
                    return oidc.answer(request, oidc.server.handle_error_response(None, error))
                return oidc.error_page(request, error)
            request_id = provider.begin(uow, dict(params)["client_id"], params)
            if session is None:
                next_page = f"{prefix}/login?oidc={request_id}"
            else:
                next_page = f"{prefix}/oidc/consent?request={request_id}"
            response = RedirectResponse(next_page, status_code=303)
            oidc.bind_browser(request, response, request_id)
            return response

        return await run_in_threadpool(start)

    @web.get(
        "/oidc/consent",
        response_class=HTMLResponse,
        include_in_schema=False,
        dependencies=[RESIDENT],
    )
    def consent_page(
        uow: Work,
        request: Request,
        request_id: Annotated[str, Query(alias="request", max_length=64)] = "",
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """同意画面: which service asks, for what; or straight back if already allowed."""
        prefix = request.scope.get("root_path", "")
        session = oidc.session(uow, portal_session)
        if session is None:
            return RedirectResponse(f"{prefix}/login?oidc={request_id}", status_code=303)
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        pending = provider.pending(uow, request_id, session.portal_code)
        if (other := oidc.other_browser(request, pending.id)) is not None:
            return other
        provider.bind(uow, pending.id, session.portal_code)
        client = provider.clients.require(uow, pending.client_id)
        oreq = oidc.authorize_request(uow, request, pending.params)
        try:
            grant = oidc.server.get_consent_grant(oreq, end_user=session.portal_code)
        except OAuth2Error as error:
            return oidc.error_page(request, error)
        scope = str(oreq.scope)
        prompt = set(oidc_model.scopes_of(dict(pending.params).get("prompt")))
        if (
            not oidc_model.wants_items(oidc_model.scopes_of(scope))
            and "consent" not in prompt
            and provider.consent_covers(uow, session.portal_code, client.client_id, scope)
        ):
            provider.finish(uow, pending.id, session.portal_code)
            response = oidc.server.create_authorization_response(
                oreq, grant_user=oidc.grantee(uow, pending, session), grant=grant
            )
            return oidc.answer(request, response)
        if "none" in prompt:  # the service asked not to show any page
            provider.finish(uow, pending.id, session.portal_code)
            required = ConsentRequiredError(
                redirect_uri=grant.redirect_uri, state=oreq.payload.state
            )
            return oidc.answer(request, oidc.server.handle_error_response(oreq, required))
        return pages.render(
            request,
            "consent.html",
            session=session,
            client=client,
            pending=pending,
            scopes=[(s, oidc_model.SCOPE_LABELS[s]) for s in oidc_model.scopes_of(scope)],
            basic4=oidc_model.wants_items(oidc_model.scopes_of(scope)),
            redirect_uri=dict(pending.params).get("redirect_uri")
            or client.get_default_redirect_uri(),
        )

    @web.post("/oidc/consent", include_in_schema=False, dependencies=[RESIDENT])
    def consent(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        request_id: Annotated[str, Form(alias="request", max_length=64)],
        decision: Annotated[str, Form(max_length=8)],
    ) -> Response:
        """The person's answer: allow (remembered until withdrawn) or deny (access_denied)."""
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        pending = provider.pending(uow, request_id, session.portal_code)
        if (other := oidc.other_browser(request, pending.id)) is not None:
            return other
        if pending.portal_code != session.portal_code:
            raise oidc_model.OidcRequestUnknown("open the consent page first")
        oreq = oidc.authorize_request(uow, request, pending.params)
        try:
            grant = oidc.server.get_consent_grant(oreq, end_user=session.portal_code)
        except OAuth2Error as error:
            return oidc.error_page(request, error)
        if decision != "allow":
            provider.finish(uow, pending.id, session.portal_code)
            response = oidc.server.create_authorization_response(oreq, grant_user=None, grant=grant)
            return oidc.answer(request, response)
        scope = str(oreq.scope)
        if oidc_model.wants_items(oidc_model.scopes_of(scope)):
            # the basic items go out only with a signature: on to the phone, then release
            client = provider.clients.require(uow, pending.client_id)
            asked = oidc.release.ask(
                uow,
                portal_code=session.portal_code,
                issuer=oidc.issuer,
                client=client,
                nonce=pending.nonce,
                next_path=f"/portal/oidc/release?request={pending.id}",
                claims=oidc_model.released_claims(oidc_model.scopes_of(scope)),
            )
            provider.attach_signature_request(
                uow, pending.id, session.portal_code, asked.sign_request, asked.statement
            )
            prefix = request.scope.get("root_path", "")
            return RedirectResponse(f"{prefix}/sign/{asked.sign_request}", status_code=303)
        provider.finish(uow, pending.id, session.portal_code)
        provider.remember_consent(uow, session.portal_code, pending.client_id, scope)
        response = oidc.server.create_authorization_response(
            oreq, grant_user=oidc.grantee(uow, pending, session), grant=grant
        )
        return oidc.answer(request, response)

    @web.get("/oidc/release", include_in_schema=False, dependencies=[RESIDENT])
    def release(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.api_session)],
        request_id: Annotated[str, Query(alias="request", max_length=64)] = "",
    ) -> Response:
        """Where the signing page continues: check the release signature, then back to the
        service with a code (the four items and their proof wait at userinfo)."""
        prefix = request.scope.get("root_path", "")
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        pending = provider.pending(uow, request_id, session.portal_code)
        if (other := oidc.other_browser(request, pending.id)) is not None:
            return other
        if pending.sign_request is None or pending.statement is None:
            raise oidc_model.OidcRequestUnknown("nothing was signed for this sign-in request")
        try:
            asked = oidc_model.scopes_of(dict(pending.params).get("scope"))
            claims = oidc.release.collect(
                uow,
                portal_code=session.portal_code,
                sign_request=pending.sign_request,
                statement=pending.statement,
                claims=oidc_model.released_claims(asked),
                proof=oidc_model.BASIC4 in asked,
            )
        except (CertificateError, SignerNotHolder) as exc:
            provider.finish(uow, pending.id, session.portal_code)
            return oidc.error_page(request, f"{exc.message} ({exc.code})", status=403)
        except Error as exc:  # the municipality's record could not be reached
            return oidc.error_page(
                request,
                "ご本人の記録を確認できませんでした。しばらくしてからやり直してください / "
                f"your record could not be checked now: try again later ({exc.code})",
                status=503,
            )
        if claims is None:  # not signed yet: back to the page that waits for the phone
            return RedirectResponse(f"{prefix}/sign/{pending.sign_request}", status_code=303)
        oreq = oidc.authorize_request(uow, request, pending.params)
        try:
            grant = oidc.server.get_consent_grant(oreq, end_user=session.portal_code)
        except OAuth2Error as error:
            return oidc.error_page(request, error)
        provider.finish(uow, pending.id, session.portal_code)
        provider.remember_consent(uow, session.portal_code, pending.client_id, str(oreq.scope))
        response = oidc.server.create_authorization_response(
            oreq, grant_user=oidc.grantee(uow, pending, session, claims), grant=grant
        )
        return oidc.answer(request, response)

    @web.post("/oidc/token", dependencies=[OIDC_ENDPOINT])
    async def token(uow: Work, request: Request) -> Response:
        """The token endpoint: code + PKCE verifier (+ client secret) → access and ID token."""
        form = _strings((await request.form()).multi_items())
        oreq = PortalRequest(
            uow, "POST", oidc.issuer + "/oidc/token", request.headers, query=[], form=form
        )
        response: Response = await run_in_threadpool(oidc.server.create_token_response, oreq)
        return response

    def _userinfo(uow: UnitOfWork, request: Request, form: list[tuple[str, str]]) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else dict(form).get("access_token", "")
        try:
            if not token:
                raise InvalidToken("send the access token as a Bearer token")
            body = provider.userinfo(uow, token)
        except InvalidToken as exc:
            return JSONResponse(
                {"error": "invalid_token", "error_description": exc.message},
                status_code=401,
                headers={
                    "WWW-Authenticate": f'Bearer error="invalid_token", '
                    f'error_description="{exc.message}"'
                },
            )
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @web.get("/oidc/userinfo", dependencies=[OIDC_ENDPOINT])
    async def userinfo(uow: Work, request: Request) -> Response:
        """UserInfo (OpenID Connect Core §5.3): ``sub``, and the four basic items with their
        JPKI proof when the person released them."""
        response: Response = await run_in_threadpool(_userinfo, uow, request, [])
        return response

    @web.post("/oidc/userinfo", dependencies=[OIDC_ENDPOINT])
    async def userinfo_post(uow: Work, request: Request) -> Response:
        """UserInfo by POST (the token in the header or the form)."""
        form = _strings((await request.form()).multi_items())
        response: Response = await run_in_threadpool(_userinfo, uow, request, form)
        return response

    @web.get(
        "/oidc/services",
        response_class=HTMLResponse,
        include_in_schema=False,
        dependencies=[RESIDENT],
    )
    def services(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """連携サービス: the services this person has allowed, each with a withdraw button."""
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        return pages.render(
            request,
            "services.html",
            session=session,
            allowed=provider.allowed(uow, session.portal_code),
            labels=oidc_model.SCOPE_SHORT,
        )

    @web.post(
        "/oidc/services/{client_id}/withdraw", include_in_schema=False, dependencies=[RESIDENT]
    )
    def withdraw(
        uow: Work,
        request: Request,
        client_id: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        provider.withdraw(uow, session.portal_code, client_id)
        return RedirectResponse(
            f"{request.scope.get('root_path', '')}/oidc/services?withdrawn=1", status_code=303
        )

    return web
