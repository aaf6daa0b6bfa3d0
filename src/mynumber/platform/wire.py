"""The hub's wire contracts with the organisations it forwards to, used by both sides.

The hub builds these bodies and checks these answers (``orgs/hub/clients.py``); a
provider's intermediate server (:mod:`mynumber.platform.intermediate`) and a recipient's
receiver (:mod:`mynumber.platform.deliveries`) take them as their routes' bodies. One
definition, so neither side can drift from the other.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

#: People per bulk exchange (the hub's ``POST /exchanges/bulk``)
MAX_BULK = 100_000
#: Persons per delivery (the hub's ``POST /api/deliveries``)
MAX_DELIVERY_CODES = 10_000
#: The largest sealed payload a delivery carries
MAX_SEALED = 16_000_000


class ProvideIn(BaseModel):
    """A request the hub forwards: the provider's own code for the person, never a number."""

    exchange_id: str
    code: str
    requester: str
    procedure: str
    items: list[str]


class ProvideBulkIn(BaseModel):
    """A bulk request the hub forwards: the provider's codes, null where the hub found none."""

    exchange_id: str
    requester: str
    procedure: str
    items: list[str]
    codes: list[str | None] = Field(max_length=MAX_BULK)


class ProvideOut(BaseModel):
    """An intermediate server's answer, single or bulk: sealed to the requester."""

    jwe: str


class DeliveryIn(BaseModel):
    """What the hub forwards to a recipient's ``POST /api/deliveries``."""

    delivery_id: str = Field(max_length=32)
    sender: str = Field(max_length=40, description="the sending organisation")
    procedure: str = Field(max_length=60)
    items: list[str] = Field(max_length=3)
    codes: list[Annotated[str, Field(max_length=32)] | None] = Field(
        max_length=MAX_DELIVERY_CODES, description="the recipient's own code per person; null: none"
    )
    sealed: str = Field(max_length=MAX_SEALED)


class DeliveryOut(BaseModel):
    """A recipient's answer to a delivery."""

    accepted: list[bool] = Field(description="aligned with codes: was the message taken")
    sealed: str | None = Field(
        default=None, description='the reply sealed to the sender: {"answers": [...]}'
    )
