"""The hub's wire models: enrolment (J-LIS's, the hub's own), and the exchanges, deliveries
and records every agency uses, which live in :mod:`mynumber.platform.wire` so the hub and
its callers share one definition."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mynumber.orgs.hub.model import MAX_ENROL
from mynumber.platform.wire import (
    BulkExchangeIn,
    BulkExchangeOut,
    DeliverIn,
    DeliverOut,
    ExchangeIn,
    ExchangeOut,
    RecordsIn,
)

__all__ = [
    "BulkExchangeIn",
    "BulkExchangeOut",
    "CodesIn",
    "CodesOut",
    "DeliverIn",
    "DeliverOut",
    "ExchangeIn",
    "ExchangeOut",
    "RecordsIn",
]


class CodesIn(BaseModel):
    agency: str = Field(max_length=40)
    acquisition: list[str] = Field(max_length=MAX_ENROL)


class CodesOut(BaseModel):
    codes: list[str]
