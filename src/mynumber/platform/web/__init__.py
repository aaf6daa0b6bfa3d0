"""The pieces every organisation's web layer is built from.

:func:`new_app` makes a FastAPI app that turns :class:`mynumber.errors.Error` into an HTTP
status and an RFC 9457 problem+json body in one place, so routes never catch domain
errors; :func:`templates_for` gives Jinja2 templates that extend the shared base page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mynumber import errors
from mynumber.platform.callers import SIGNED_BY
from mynumber.platform.headers import SecurityHeaders, csp_nonce
from mynumber.platform.limits import ConcurrencyGate, Gate
from mynumber.platform.logs import redact
from mynumber.platform.policy import tagged

log = logging.getLogger("mynumber.web")

STATUS_OF: dict[type[errors.Error], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Unavailable: 503,
    errors.RateLimited: 429,
}

_PLATFORM_TEMPLATES = Path(__file__).parent.parent / "templates"


def status_of(exc: errors.Error) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"type": f"urn:mynumber:error:{code}", "title": code, "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.Error)
    status = status_of(exc)
    field = getattr(exc, "field", None)
    extra = {"field": field} if field else {}
    log.info("refused: %s %s", exc.code, redact(exc.message), extra={"status": status})
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return problem(status, exc.code, exc.message, headers=headers, **extra)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()
    ]
    return problem(422, "invalid_input", "the request body is not valid", errors=fields)


class AccessLog:
    """One JSON log line per request: method, path, status and time (paths never carry a
    My Number by design, and the log filter redacts twelve-digit runs regardless).

    Plain ASGI middleware: unlike ``@app.middleware("http")`` it adds no task and no
    stream copy per request, which in-process calls between organisations feel.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if log.isEnabledFor(logging.INFO):
                method, path = scope["method"], scope.get("root_path", "") + scope["path"]
                log.info(
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )


def new_app(*, title: str, description: str = "", version: str = "0.1.0") -> FastAPI:
    """A FastAPI app with the shared error handling (an :class:`errors.Error` becomes its
    HTTP status with a problem+json body), a concurrency gate (``limits``, configured by
    the composition root) and security headers on every answer, the gate's 503 included."""
    app = FastAPI(title=title, description=description, version=version)
    app.add_exception_handler(errors.Error, _on_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_middleware(ConcurrencyGate, gate=Gate.of(app))
    app.add_middleware(SecurityHeaders)  # added last: outermost
    return app


def templates_for(org_templates: Path) -> Jinja2Templates:
    """Templates from the organisation's own folder, falling back to the shared ones."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(org_templates), jinja2.FileSystemLoader(_PLATFORM_TEMPLATES)]
    )
    env = jinja2.Environment(loader=loader, autoescape=True)
    env.globals["csp_nonce"] = _template_nonce
    return Jinja2Templates(env=env)


@jinja2.pass_context
def _template_nonce(context: jinja2.runtime.Context) -> str:
    """``<script nonce="{{ csp_nonce() }}">``: the nonce this page's CSP allows."""
    request = context.get("request")
    return csp_nonce(request.scope) if request is not None else ""


def signed_by(allowed: Callable[[str], bool], *, who: str = "") -> Callable[..., str]:
    """A dependency for routes that serve other organisations: the sender whose signature
    :class:`~mynumber.platform.callers.SignedRequests` verified before the body was read.

    ``allowed`` says which organisations this route serves; any other is refused (403);
    an unsigned request is refused (401). ``who`` names them for the route's policy.
    """

    @tagged("signed", who or "organisations")
    def dependency(request: Request) -> str:
        org = request.scope.get(SIGNED_BY)
        if not isinstance(org, str):
            raise errors.Unauthorized("the request is not signed", code="unsigned")
        if not allowed(org):
            raise errors.Forbidden(f"{org} may not call this", code="org_not_allowed")
        return org

    return dependency
