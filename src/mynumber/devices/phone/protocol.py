"""The phone's side of login and signing, against any organisation of the deployment.

A PC page shows a QR code carrying ``{phone}/login?request=<URL>`` (or ``/sign?request=``):
the URL of a challenge resource. ``GET`` it for what is asked — for a login
``{"code", "challenge" (base64), "site", "expires_at"}``, for a signature the sign-request
shape (purpose, summary, the bytes) — then ``POST`` the card's answer to the same URL:
``{"signature", "certificate", "via"}`` or ``{"cms"}``. Mynaportal's resources are
``/portal/api/login/{code}`` and ``/portal/api/sign/{code}``; any organisation can offer
the same shape.

The phone talks only to resources under the deployment's own URLs (this project's choice:
a QR code must not send a PIN-verified signature, or the phone's requests, to any host).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
from pydantic import BaseModel, Field, ValidationError

from mynumber import errors
from mynumber.devices.phone.card import CardAnswer, JPKIToken, sign_challenge, sign_document
from mynumber.reader.cms import SigningToken

#: Mynaportal's challenge resources, under the portal's URL
PORTAL_LOGIN = "/portal/api/login/"
PORTAL_SIGN = "/portal/api/sign/"
MAX_URL = 2000

_ERROR_OF_STATUS: dict[int, type[errors.Error]] = {
    400: errors.InvalidInput,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.InvalidInput,
}


class ResourceRefused(errors.InvalidInput):
    """The request URL is not a resource of this deployment (or not a URL at all)."""

    code = "resource_not_allowed"


class BadResource(errors.Unavailable):
    """The resource answered something that is not the protocol's shape."""

    code = "bad_resource"


class _LoginBody(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    challenge: str = Field(min_length=1, max_length=1024)
    site: str = Field(min_length=1, max_length=500)
    expires_at: dt.datetime


class _SignBody(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    site: str = Field(min_length=1, max_length=500)
    purpose_ja: str = Field(min_length=1, max_length=500)
    purpose_en: str | None = Field(default=None, max_length=500)
    summary: str = Field(max_length=10_000)
    data: str = Field(min_length=1, max_length=400_000)
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LoginAsked:
    """What a login resource asks the phone to sign, and who asks."""

    url: str
    code: str
    challenge: bytes
    site: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SignAsked:
    """What a sign resource asks the phone to sign (detached CMS), and why."""

    url: str
    code: str
    site: str
    purpose_ja: str
    purpose_en: str | None
    summary: str
    data: bytes
    expires_at: dt.datetime

    @property
    def purpose(self) -> str:
        return self.purpose_ja if not self.purpose_en else f"{self.purpose_ja} / {self.purpose_en}"

    @property
    def digest(self) -> str:
        """The first 128 bits of SHA-256 of the bytes, grouped for reading aloud."""
        value = hashlib.sha256(self.data).hexdigest().upper()
        return " ".join(value[i : i + 8] for i in range(0, 32, 8))


def qr_url(phone_url: str, kind: str, resource: str) -> str:
    """What a QR code carries: the phone app's ``login``/``sign`` page for ``resource``."""
    return f"{phone_url.rstrip('/')}/{kind}?request={quote(resource, safe='')}"


def resource_of(target: str, *, kind: str, base_url: str) -> str:
    """The resource URL a target names: a one-time code (Mynaportal's, in the deployment
    at ``base_url``), a QR code's URL (``…?request=URL``) or the resource URL itself."""
    target = target.strip()
    if "://" not in target:
        code = target.replace("-", "").replace(" ", "").upper()
        if not code.isalnum() or not 4 <= len(code) <= 32:
            raise errors.InvalidInput("the code is 4-32 letters and digits", field="target")
        path = PORTAL_LOGIN if kind == "login" else PORTAL_SIGN
        return base_url.rstrip("/") + path + code
    asked = parse_qs(urlsplit(target).query).get("request")
    return unquote(asked[0]) if asked else target


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadResource(f"the resource's {field} is not base64") from exc


class Resources:
    """Challenge resources under ``allowed`` base URLs, reached with ``http``."""

    def __init__(self, *, allowed: Sequence[str], http: httpx.Client) -> None:
        self.allowed = [urlsplit(base.rstrip("/")) for base in allowed]
        self.http = http

    def check(self, url: str) -> str:
        """``url`` if it lies under one of the allowed base URLs; else ResourceRefused."""
        if not isinstance(url, str) or len(url) > MAX_URL:
            raise ResourceRefused("the request URL is missing or too long", field="request")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ResourceRefused("the request is not a URL", field="request") from exc
        segments = unquote(parts.path).split("/")
        if (
            parts.scheme not in ("http", "https")
            or parts.username is not None
            or parts.password is not None
            or parts.fragment
            or "." in segments
            or ".." in segments
            or "\\" in parts.path
        ):
            raise ResourceRefused("the request is not a plain http(s) URL", field="request")
        for base in self.allowed:
            if (
                parts.scheme == base.scheme
                and parts.hostname == base.hostname
                and port == base.port
                and (parts.path + "/").startswith(base.path + "/")
            ):
                return url
        raise ResourceRefused(
            "the request is not for this deployment: the phone talks only to "
            + ", ".join(f"{b.scheme}://{b.netloc}{b.path}" for b in self.allowed),
            field="request",
        )

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = self.check(url)
        try:
            response = self.http.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"the site did not answer: {type(exc).__name__}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            detail = payload.get("detail") if isinstance(payload, dict) else None
            code = payload.get("title") if isinstance(payload, dict) else None
            cls = _ERROR_OF_STATUS.get(response.status_code, errors.Unavailable)
            raise cls(str(detail or f"the site answered {response.status_code}"), code=code)
        if not isinstance(payload, dict):
            raise BadResource("the resource did not answer with a JSON object")
        return payload

    # --- login ----------------------------------------------------------------------------

    def login_asked(self, url: str) -> LoginAsked:
        """``GET`` a login resource: the challenge and who asks."""
        try:
            body = _LoginBody.model_validate(self._call("GET", url))
        except ValidationError as exc:
            raise BadResource("the resource's answer is not a login challenge") from exc
        return LoginAsked(
            url=url,
            code=body.code,
            challenge=_b64(body.challenge, "challenge"),
            site=body.site,
            expires_at=body.expires_at,
        )

    def answer_login(self, asked: LoginAsked, answer: CardAnswer, *, via: str) -> dict[str, Any]:
        """``POST`` the card's signature and certificate to the login resource."""
        return self._call("POST", asked.url, answer.to_json(via=via))

    def approve(self, url: str, client: JPKIToken, *, pin: str, via: str = "qr") -> dict[str, Any]:
        """Fetch the challenge at ``url``, sign it on the card after ``pin`` and send it.

        Raises :class:`mynumber.reader.PinIncorrect` / ``PinBlocked`` from the card, or the
        site's refusal as a :class:`mynumber.errors.Error`.
        """
        asked = self.login_asked(url)
        return self.answer_login(asked, sign_challenge(client, asked.challenge, pin=pin), via=via)

    # --- signing --------------------------------------------------------------------------

    def sign_asked(self, url: str) -> SignAsked:
        """``GET`` a sign resource: the purpose, a summary and the exact bytes."""
        try:
            body = _SignBody.model_validate(self._call("GET", url))
        except ValidationError as exc:
            raise BadResource("the resource's answer is not a sign request") from exc
        return SignAsked(
            url=url,
            code=body.code,
            site=body.site,
            purpose_ja=body.purpose_ja,
            purpose_en=body.purpose_en,
            summary=body.summary,
            data=_b64(body.data, "data"),
            expires_at=body.expires_at,
        )

    def answer_sign(self, asked: SignAsked, cms: bytes) -> dict[str, Any]:
        """``POST`` the detached CMS to the sign resource."""
        return self._call("POST", asked.url, {"cms": base64.b64encode(cms).decode()})

    def sign(self, url: str, client: SigningToken, *, password: str) -> dict[str, Any]:
        """Fetch the sign request at ``url``, sign its bytes on the card (or with the
        phone's own signing certificate), send the CMS.

        Raises ``PinIncorrect`` / ``PinBlocked`` / ``InvalidPin`` from the card, or the
        site's refusal as a :class:`mynumber.errors.Error`.
        """
        asked = self.sign_asked(url)
        return self.answer_sign(asked, sign_document(client, asked.data, password=password))
