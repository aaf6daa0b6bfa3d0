"""Staff sign-in pages and API, and the dependencies routes use to say which permission they
need (:func:`staff`).

Every organisation mounts the same sign-in under ``<org>/staff/``: the page shows a QR code
and a one-time code; the staff member's phone app (``/phone/``) or ``mynumber staff
sign-in`` signs the challenge with their own card; the page, which waits by reloading
itself (no script), then gets its session cookie — HttpOnly, SameSite=Strict, scoped to the
organisation's path. The command line gets a bearer token the same way (a device flow).

A route declares ``Annotated[Acting, Depends(staff("residents.register"))]``: no session →
401 (a page: to the sign-in page), a role without the permission → 403. A session from a
cookie must also bring the form's CSRF token (field ``csrf`` or header ``X-CSRF-Token``) on
every unsafe request, and an ``Origin`` (when the browser sends one) of this server.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
import segno
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.middleware import Middleware

from mynumber import errors
from mynumber.platform.callers import DatabaseNonces, SignedRequests
from mynumber.platform.context import OrgContext
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.limits import RateLimit
from mynumber.platform.policy import public, tagged
from mynumber.platform.secrets import same_secret
from mynumber.platform.signing import RequestVerifier
from mynumber.platform.staff.model import (
    Acting,
    CsrfRefused,
    PermissionDenied,
    Roles,
    StaffRequired,
    StaffSession,
)
from mynumber.platform.staff.services import Staff
from mynumber.platform.web import problem, templates_for

SESSION_COOKIE = "staff_session"
#: A sign-in's id as the service makes them (anything else never reaches the database)
ID_PATTERN = r"^[0-9A-Za-z_-]{1,40}$"
PAIR_COOKIE = "staff_pair"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_templates = templates_for(Path(__file__).with_name("templates"))


def _staff_of(request: Request) -> Staff:
    found = getattr(request.app.state, "staff", None)
    if not isinstance(found, Staff):
        raise errors.Unavailable("this organisation has no staff directory")
    return found


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _same_origin(request: Request, origin: str) -> bool:
    if origin == "null":
        return False
    ours = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    base = getattr(request.app.state, "base_url", None)
    if isinstance(base, str):
        parts = urlsplit(base)
        ours.add(f"{parts.scheme}://{parts.netloc}")
    return origin.rstrip("/") in ours


async def _session(request: Request) -> StaffSession:
    staff = _staff_of(request)
    bearer = _bearer(request)
    token = bearer or request.cookies.get(SESSION_COOKIE)
    session = await anyio.to_thread.run_sync(staff.session, token)
    if bearer is None and request.method not in _SAFE:
        origin = request.headers.get("origin")
        if origin is not None and not _same_origin(request, origin):
            raise CsrfRefused("a form from another site is refused")
        sent = request.headers.get("x-csrf-token")
        if sent is None and "form" in request.headers.get("content-type", ""):
            sent = str((await request.form()).get("csrf") or "") or None
        if not sent or not same_secret(sent, session.csrf):
            raise CsrfRefused("the form's CSRF token is missing or wrong: reload the page")
        return StaffSession(
            session.staff_id, session.name, session.roles, session.csrf, session.kind, True
        )
    return StaffSession(
        session.staff_id, session.name, session.roles, session.csrf, session.kind, bearer is None
    )


def staff(permission: str) -> Callable[..., Any]:
    """A dependency: the signed-in staff member acting under a role that grants ``permission``."""

    @tagged("staff", permission)
    async def dependency(request: Request) -> Acting:
        session = await _session(request)
        role = _staff_of(request).roles.granting(session.roles, permission)
        if role is None:
            raise PermissionDenied(f"your roles do not allow {permission}")
        return Acting(session, role, permission)

    return dependency


@tagged("staff", "signed in")
async def any_staff(request: Request) -> StaffSession:
    """Any signed-in staff member (signing out, who am I)."""
    return await _session(request)


StaffMemberSession = Annotated[StaffSession, Depends(any_staff)]


# --- the sign-in pages and API -------------------------------------------------------------


class SignInStartOut(BaseModel):
    id: str
    code: str
    challenge: str
    site: str
    expires_at: str
    pair_secret: str = Field(description="what claims the session once the card answered")


class ChallengeOut(BaseModel):
    code: str
    challenge: str
    site: str
    expires_at: str


class AnswerIn(BaseModel):
    signature: str = Field(max_length=1024)
    certificate: str = Field(max_length=8192)
    via: str = Field(default="phone", max_length=20)


class ClaimIn(BaseModel):
    pair_secret: str = Field(min_length=20, max_length=100)


class TokenOut(BaseModel):
    token: str
    expires_at: str


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.InvalidInput(f"{field} is not base64", field=field) from exc


def _safe_next(request: Request, next_url: str | None) -> str:
    prefix = str(request.scope.get("root_path", ""))
    if (
        next_url
        and next_url.startswith(prefix + "/")
        and not next_url.startswith("//")
        and "\\" not in next_url
        and len(next_url) <= 300
    ):
        return next_url
    return prefix + "/"


def sign_in_router(*, title: str, base_url: str, limit: RateLimit | None = None) -> APIRouter:
    """``/staff/…``: the sign-in page, the device API, sign-out. ``limit`` bounds the
    sign-in starts (the page and the device API) per client address."""
    router = APIRouter(prefix="/staff", tags=["staff sign-in"])
    by_code = public("staff sign-in by a one-time code only the staff member's device learns")
    limited = Depends(limit or RateLimit.per_minute(0, 1))

    def site(request: Request) -> str:
        return f"{title} 職員認証 (staff sign-in) — {base_url}{request.scope.get('root_path', '')}"

    def challenge_json(request: Request, c: Any) -> dict[str, str]:
        return {
            "code": c.code,
            "challenge": base64.b64encode(c.nonce).decode(),
            "site": site(request),
            "expires_at": c.expires_at.isoformat(),
        }

    def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="strict",
            secure=base_url.startswith("https://"),
            path=request.scope.get("root_path") or "/",
        )

    @router.get("/login", dependencies=[by_code, limited])
    def login(
        request: Request, next: Annotated[str | None, Query(max_length=300)] = None
    ) -> Response:
        """The sign-in page: a new one-time challenge paired with this browser."""
        pair = secrets.token_urlsafe(32)
        challenge = _staff_of(request).start(pair)
        target = quote(_safe_next(request, next), safe="")
        response = RedirectResponse(f"login/wait?id={challenge.id}&next={target}", status_code=303)
        set_cookie(request, response, PAIR_COOKIE, pair)
        return response

    @router.get("/login/wait", response_class=HTMLResponse, dependencies=[by_code])
    def wait(
        request: Request,
        id: Annotated[str, Query(pattern=ID_PATTERN)],
        next: Annotated[str | None, Query(max_length=300)] = None,
    ) -> Response:
        """The QR code and one-time code for the staff member's phone; the page reloads
        itself until the card answered, then gets the session cookie and goes on to ``next``."""
        prefix = request.scope.get("root_path", "")
        pair = request.cookies.get(PAIR_COOKIE)
        if not pair:
            return RedirectResponse(f"{prefix}/staff/login", status_code=303)
        result = _staff_of(request).poll(id, pair)
        if result.state == "done" and result.token:
            response: Response = RedirectResponse(_safe_next(request, next), status_code=303)
            set_cookie(request, response, SESSION_COOKIE, result.token)
            response.delete_cookie(PAIR_COOKIE, path=prefix or "/")
            return response
        values: dict[str, Any] = {"title": title, "state": result.state, "prefix": prefix}
        values["reason"] = result.reason
        if result.state == "pending" and result.code:
            resource = f"{base_url}{prefix}/staff/api/sign-in/{result.code}"
            phone = f"{base_url}/phone/login?request={quote(resource, safe='')}"
            values |= {
                "code": result.code,
                "qr_svg": segno.make(phone, error="m").svg_inline(scale=4, dark="#1f2933"),
                "phone_url": phone,
            }
        return _templates.TemplateResponse(
            request,
            "staff_login.html",
            values,
            status_code=401 if result.state in ("refused", "expired") else 200,
            headers={"Cache-Control": "no-store"},
        )

    @router.post(
        "/api/sign-in",
        response_model=SignInStartOut,
        status_code=201,
        dependencies=[by_code, limited],
    )
    def start(request: Request) -> SignInStartOut:
        """A sign-in for a device without a browser (``mynumber staff sign-in``)."""
        pair = secrets.token_urlsafe(32)
        challenge = _staff_of(request).start(pair)
        return SignInStartOut(
            id=challenge.id, pair_secret=pair, **challenge_json(request, challenge)
        )

    @router.get("/api/sign-in/{code}", response_model=ChallengeOut, dependencies=[by_code])
    def challenge(request: Request, code: str) -> ChallengeOut:
        """What the device shows and signs: the site that asks and the challenge."""
        if len(code) > 12:
            raise errors.InvalidInput("a sign-in code is 8 characters", field="code")
        return ChallengeOut(**challenge_json(request, _staff_of(request).challenge(code)))

    @router.post("/api/sign-in/{code}", dependencies=[by_code])
    def answer(request: Request, code: str, body: AnswerIn) -> dict[str, str]:
        """The card's answer: the signature over the challenge and the auth certificate."""
        if len(code) > 12:
            raise errors.InvalidInput("a sign-in code is 8 characters", field="code")
        member = _staff_of(request).answer(
            code,
            signature=_b64(body.signature, "signature"),
            certificate=_b64(body.certificate, "certificate"),
        )
        return {"result": "ok", "staff": member.name}

    @router.post(
        "/api/sign-in/{challenge_id}/session", response_model=TokenOut, dependencies=[by_code]
    )
    def claim(
        request: Request, challenge_id: Annotated[str, PathParam(pattern=ID_PATTERN)], body: ClaimIn
    ) -> TokenOut:
        """The device flow's session: a bearer token, once, for whoever started the sign-in."""
        result = _staff_of(request).poll(challenge_id, body.pair_secret)
        if result.state != "done" or result.token is None:
            why = f" ({result.reason})" if result.reason else ""
            raise StaffRequired(f"the sign-in is {result.state}{why}")
        return TokenOut(token=result.token, expires_at=result.expires_at or "")

    @router.get("/api/me")
    def me(session: StaffMemberSession) -> dict[str, Any]:
        """Who is signed in, with which roles (and the CSRF token for JSON clients)."""
        return {
            "id": session.staff_id,
            "name": session.name,
            "roles": list(session.roles),
            "csrf": session.csrf,
        }

    @router.post("/logout")
    def logout(request: Request, session: StaffMemberSession) -> Response:
        """Sign out: the session ends here and now."""
        token = _bearer(request) or request.cookies.get(SESSION_COOKIE)
        if token:
            _staff_of(request).end(token)
        response = RedirectResponse(
            f"{request.scope.get('root_path', '')}/staff/login", status_code=303
        )
        response.delete_cookie(SESSION_COOKIE, path=request.scope.get("root_path") or "/")
        return response

    return router


async def _on_staff_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.Error)
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        prefix = request.scope.get("root_path", "")
        path = request.scope.get("path", "/")
        # a mounted app's scope path may or may not carry its mount prefix already
        target = quote(path if path.startswith(prefix + "/") else prefix + path)
        return RedirectResponse(f"{prefix}/staff/login?next={target}", status_code=303)
    response = problem(401, exc.code, exc.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
    return response


async def _on_forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.Error)
    if "text/html" in request.headers.get("accept", ""):
        return _templates.TemplateResponse(
            request,
            "staff_denied.html",
            {"message": exc.message, "prefix": request.scope.get("root_path", "")},
            status_code=403,
        )
    return problem(403, exc.code, exc.message)


def install(app: FastAPI, ctx: OrgContext, *, engine: Engine, roles: Roles, title: str) -> Staff:
    """Give an organisation's app its guard and its staff: signed requests checked (nonces
    in its database) and body sizes limited, the staff directory, sign-in under
    ``/staff/``. Returns the staff service (the command line enrols and issues tokens)."""
    folder = ctx.settings.data_dir / ctx.org.replace("/", "-")
    authority = JlisVerifierClient(
        ctx.directory,
        ctx.identity,
        folder / "jlis-staff-verifier.credential",
        register_path="/verifiers/staff",
    )
    service = Staff(engine=engine, org=ctx.org, roles=roles, authority=authority)
    app.state.staff = service
    app.state.base_url = ctx.settings.base_url
    # innermost of the app's middleware: the security headers and the concurrency gate
    # (added by new_app) wrap it, so its refusals carry the headers and wait their turn
    app.user_middleware.append(
        Middleware(SignedRequests, verifier=RequestVerifier(ctx.keys, DatabaseNonces(engine)))
    )
    app.add_exception_handler(StaffRequired, _on_staff_required)
    app.add_exception_handler(PermissionDenied, _on_forbidden)
    app.add_exception_handler(CsrfRefused, _on_forbidden)
    limit = RateLimit.per_minute(
        ctx.settings.staff_sign_in_rate_per_minute, ctx.settings.staff_sign_in_burst
    )
    app.include_router(sign_in_router(title=title, base_url=ctx.settings.base_url, limit=limit))
    return service
