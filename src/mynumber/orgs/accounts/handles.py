"""Registration handles: how the registry lets Mynaportal act for a person without either
learning the other's code for that person.

The portal asks the hub (under its own code, a permitted row) for the person's
``registration_handle``; the hub converts the code and forwards to the registry, which seals
the answer to the portal. A handle is the registry's own code and an expiry, encrypted with a
key only the registry holds (AES-256-GCM): opaque to the portal and the hub, short-lived, and
good only at the registry's portal routes. Each use of the handle is thus preceded by an
exchange the person sees in their やりとり履歴.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mynumber import errors

ITEM = "registration_handle"
#: How long a handle is good for: one visit to the registration page.
TTL_SECONDS = 15 * 60
_AAD = b"mynumber/accounts/registration-handle"


class HandleRefused(errors.Unauthorized):
    """The handle is forged, damaged or expired: ask the hub for a fresh one."""

    code = "bad_handle"


class Handles:
    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._aead = AESGCM(key)
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    def issue(self, code: str) -> str:
        nonce = os.urandom(12)
        body = json.dumps({"code": code, "exp": self._now() + TTL_SECONDS}).encode()
        sealed = nonce + self._aead.encrypt(nonce, body, _AAD)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def code_of(self, handle: str) -> str:
        """The registry's code inside a valid handle; :class:`HandleRefused` otherwise."""
        try:
            raw = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4))
            body = json.loads(self._aead.decrypt(raw[:12], raw[12:], _AAD))
            code, expires = str(body["code"]), int(body["exp"])
        except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError) as exc:
            raise HandleRefused("the registration handle is not valid") from exc
        if self._now() >= expires:
            raise HandleRefused("the registration handle has expired: start again")
        return code
