"""The intermediate server's routes, which only the hub may call: ``POST
/intermediate/provide`` and ``POST /intermediate/provide-bulk`` (see
:mod:`mynumber.platform.intermediate`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.platform.context import OrgContext
from mynumber.platform.web import signed_by
from mynumber.platform.wire import ProvideBulkIn, ProvideIn, ProvideOut


def provide_router(ctx: OrgContext, answer: Callable[[ProvideIn], str]) -> APIRouter:
    """``POST /intermediate/provide``, which only the hub may call."""
    router = APIRouter(tags=["intermediate server"])
    from_hub = Depends(signed_by(lambda org: org == "hub"))

    @router.post("/intermediate/provide", response_model=ProvideOut)
    def provide(body: ProvideIn, _: Annotated[str, from_hub]) -> ProvideOut:
        """情報提供 (the hub only): the answer, encrypted to the requester."""
        return ProvideOut(jwe=answer(body))

    return router


def provide_bulk_router(ctx: OrgContext, answer: Callable[[ProvideBulkIn], str]) -> APIRouter:
    """``POST /intermediate/provide-bulk``, which only the hub may call."""
    router = APIRouter(tags=["intermediate server"])
    from_hub = Depends(signed_by(lambda org: org == "hub"))

    @router.post("/intermediate/provide-bulk", response_model=ProvideOut)
    def provide_bulk(body: ProvideBulkIn, _: Annotated[str, from_hub]) -> ProvideOut:
        """一括情報提供 (the hub only): ``{"results": [data | null, …]}`` aligned with
        ``codes``, encrypted to the requester."""
        return ProvideOut(jwe=answer(body))

    return router
