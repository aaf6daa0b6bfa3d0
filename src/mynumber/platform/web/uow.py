"""The unit of work a route hands to the use case it calls: one per request, on the
database of the organisation whose app serves the request."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from typing import Annotated

from fastapi import Depends, Request

from mynumber.platform.composition import services_of
from mynumber.platform.uow import UnitOfWork


def unit_of_work(request: Request) -> UnitOfWork:
    """A fresh, unopened unit of work on this organisation's database."""
    return UnitOfWork(services_of(request.app).engine)


#: A route's unit of work: ``def route(uow: Work) -> …: service.do(uow, …)``.
Work = Annotated[UnitOfWork, Depends(unit_of_work)]
