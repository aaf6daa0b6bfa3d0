"""``POST /api/deliveries``, the receiver of deliveries, which only the hub may call (see
:mod:`mynumber.platform.deliveries`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.platform.context import OrgContext
from mynumber.platform.deliveries import HUB, Receivers
from mynumber.platform.web import signed_by
from mynumber.platform.wire import DeliveryIn, DeliveryOut


def receiver_router(ctx: OrgContext, receivers: Receivers) -> APIRouter:
    """``POST /api/deliveries``, which only the hub may call."""
    router = APIRouter(tags=["deliveries"])
    from_hub = Depends(signed_by(lambda org: org == HUB))

    @router.post("/api/deliveries", response_model=DeliveryOut)
    def receive(body: DeliveryIn, _: Annotated[str, from_hub]) -> DeliveryOut:
        """送達の受領 (the hub only): messages sealed to us, dispatched by procedure."""
        return receivers.receive(body)

    return router
