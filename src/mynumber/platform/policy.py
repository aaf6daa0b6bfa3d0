"""Who may call a route: every route of every organisation declares it, the default is nobody.

A route's policy is a dependency tagged with :data:`POLICY` — a staff permission
(:func:`mynumber.platform.staff.web.staff`), a signed organisation request
(:func:`mynumber.platform.web.signed_by`), a resident's Mynaportal session, a registered
verifier's credential, or :func:`public` with the reason it is public by design.
:func:`policies_of` reads them back, so a test can walk every route of every organisation
and fail on one that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fastapi import Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

POLICY = "__mynumber_policy__"

Kind = Literal["public", "staff", "signed", "resident", "verifier", "device"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Policy:
    """``kind`` of caller a route serves, and what exactly (a permission, a reason)."""

    kind: Kind
    detail: str


def tagged(kind: Kind, detail: str) -> Callable[[F], F]:
    """Mark a dependency callable as the policy ``kind``/``detail``."""

    def mark(dependency: F) -> F:
        setattr(dependency, POLICY, Policy(kind, detail))
        return dependency

    return mark


def public(reason: str) -> Any:
    """A route open to anyone, with the reason it is public by design (a ``Depends``)."""

    @tagged("public", reason)
    def open_to_anyone() -> None:
        return None

    return Depends(open_to_anyone)


def marker(kind: Kind, detail: str) -> Any:
    """A router-wide declaration for routes that check their caller themselves (a resident's
    session resolved in the route, a one-time code): ``APIRouter(dependencies=[marker(…)])``."""

    @tagged(kind, detail)
    def declared() -> None:
        return None

    return Depends(declared)


def _walk(dependant: Dependant) -> Iterator[Policy]:
    found = getattr(dependant.call, POLICY, None)
    if isinstance(found, Policy):
        yield found
    for sub in dependant.dependencies:
        yield from _walk(sub)


def policies_of(route: APIRoute) -> list[Policy]:
    """Every policy a route declares (through its own and its router's dependencies)."""
    return list(_walk(route.dependant))
