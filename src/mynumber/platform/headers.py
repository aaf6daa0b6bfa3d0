"""Security headers on every answer of every organisation (ASGI middleware).

Every answer: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (no
referrer leaves the site; a form's ``Origin`` stays readable for the staff forms' check),
``X-Frame-Options: DENY``. HTML answers: a Content-Security-Policy that allows only the
organisation's own resources and the inline scripts that carry this request's nonce
(``<script nonce="{{ csp_nonce() }}">``, see :func:`mynumber.platform.web.templates_for`);
inline styles are allowed (the pages use ``style=`` attributes). HTML and JSON answers
that say nothing about caching get ``Cache-Control: no-store``: they may carry personal data.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The login page asks the PC's reader helper (``mynumber reader serve``) on a loopback
#: port to sign, hence ``connect-src`` loopback. No ``form-action``: the OpenID Connect
#: consent form ends in a redirect to the relying party, which it would block.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' http://127.0.0.1:* http://localhost:*; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
#: FastAPI's API pages (``/docs``, ``/redoc``) load Swagger UI from a CDN with inline
#: scripts: they get only the framing rule.
DOCS_CSP = "frame-ancestors 'none'"
_DOCS = ("/docs", "/redoc", "/docs/oauth2-redirect")
_ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
)


def csp_nonce(scope: Scope) -> str:
    """This request's script nonce (made on first use, kept in the request state)."""
    state = scope.setdefault("state", {})
    nonce = state.get("csp_nonce")
    if nonce is None:
        nonce = state["csp_nonce"] = secrets.token_urlsafe(16)
    return str(nonce)


class SecurityHeaders:
    """Adds the headers above to each answer, never replacing one the route set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = csp_nonce(scope)
        docs = scope["path"].endswith(_DOCS)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers.setdefault(name, value)
                kind = headers.get("content-type", "").split(";")[0].strip().lower()
                if kind == "text/html":
                    headers.setdefault(
                        "content-security-policy", DOCS_CSP if docs else CSP.format(nonce=nonce)
                    )
                if kind == "text/html" or kind.endswith("json"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, sending)
