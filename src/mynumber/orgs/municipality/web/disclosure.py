"""After each staff request that logged entries about persons, their entries go to the
persons' Mynaportal (see :mod:`mynumber.orgs.municipality.services.disclosure`)."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from mynumber import errors
from mynumber.orgs.municipality.services.disclosure import Disclosure
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.municipality.disclosure")


#: The persons whose entries the current request logged (set by :class:`AfterRequest`).
_touched: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "disclosure_touched", default=None
)


class AfterRequest:
    """ASGI middleware: once a request's response is out, the persons it logged entries
    about are disclosed (in a worker thread; the entries are committed by then). The staff
    member already has the answer; a failure is logged (its code, no personal data), never
    reaches them, and leaves the entries pending."""

    def __init__(
        self, app: ASGIApp, disclosure: Disclosure, unit: Callable[[], UnitOfWork]
    ) -> None:
        self.app = app
        self.disclosure = disclosure
        self.unit = unit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        touched: set[str] = set()
        token = _touched.set(touched)
        try:
            await self.app(scope, receive, send)
        finally:
            _touched.reset(token)
        if touched:
            await anyio.to_thread.run_sync(self._send, touched)

    def _send(self, persons: set[str]) -> None:
        try:
            self.disclosure.send_pending(self.unit(), persons)
        except errors.Error as exc:
            log.warning("disclosure to Mynaportal failed (%s): kept for later", exc.code)
        except Exception as exc:  # the staff request never fails for this
            log.warning("disclosure to Mynaportal failed (%s)", type(exc).__name__)


def _note(person: str | None) -> None:
    touched = _touched.get()
    if person is not None and touched is not None:
        touched.add(person)


def install(
    app: FastAPI, *, disclosure: Disclosure, staff: Staff, unit: Callable[[], UnitOfWork]
) -> None:
    """Wire the disclosure into a municipality's app, run after each staff request that
    logged entries about persons (in a unit of work ``unit`` makes)."""
    staff.listeners.append(_note)
    app.add_middleware(AfterRequest, disclosure=disclosure, unit=unit)
