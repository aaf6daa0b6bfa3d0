"""The hub's wire contracts, used by both sides.

- Towards the hub (an agency or the portal asking): :class:`ExchangeIn` /
  :class:`ExchangeOut` (``POST /hub/exchanges``), :class:`BulkExchangeIn` /
  :class:`BulkExchangeOut` (``/exchanges/bulk``), :class:`DeliverIn` / :class:`DeliverOut`
  (``/api/deliveries``), :class:`RecordsIn`, :class:`ExchangeRecord` and
  :class:`RecordsExport` (``/records``, ``/records/export``). The hub's routes take and
  answer them (``orgs/hub/schemas.py``); :class:`~mynumber.platform.hub_client.HubClient`
  sends and checks them.
- From the hub (forwarded): :class:`ProvideIn` / :class:`ProvideBulkIn` / :class:`ProvideOut`
  to a provider's intermediate server (:mod:`mynumber.platform.intermediate`),
  :class:`DeliveryIn` / :class:`DeliveryOut` to a recipient's receiver
  (:mod:`mynumber.platform.deliveries`); the hub builds these bodies and checks these
  answers (``orgs/hub/clients.py``).

One definition, so neither side can drift from the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, RootModel, StringConstraints

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


# --- towards the hub ------------------------------------------------------------------------


class ExchangeIn(BaseModel):
    """情報照会: one person, by the requester's own code."""

    code: str = Field(max_length=32, description="the requester's own code for the person")
    procedure: str = Field(max_length=60)
    provider: str = Field(max_length=40, description="a kind (tax) or an organisation")
    items: list[str] = Field(min_length=1, max_length=20)


class ExchangeOut(BaseModel):
    exchange_id: str
    provider: str
    procedure: str
    items: list[str]
    jwe: str = Field(description="the provider's answer, sealed to the requester (RFC 7516)")


class BulkExchangeIn(BaseModel):
    """一括情報照会: many people of one provider, by the requester's own codes."""

    procedure: str = Field(max_length=60)
    provider: str = Field(max_length=40, description="one organisation (accounts, tax …)")
    items: list[str] = Field(min_length=1, max_length=20)
    codes: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description="the requester's own codes for the people, one each",
    )


class BulkExchangeOut(BaseModel):
    exchange_id: str
    jwe: str = Field(
        description='the provider\'s {"results": [data | null, …]}, aligned with `codes`, '
        "sealed to the requester (RFC 7516)"
    )


class DeliverIn(BaseModel):
    """A sender's delivery to the hub (which forwards it as a :class:`DeliveryIn`)."""

    procedure: str = Field(max_length=60)
    recipient: str = Field(max_length=40, description="an organisation, or a kind (municipality)")
    items: list[str] = Field(min_length=1, max_length=3, description="notice, application, …")
    codes: list[Annotated[str, Field(max_length=32)]] = Field(
        min_length=1,
        max_length=MAX_DELIVERY_CODES,
        description="the sender's own code for each person",
    )
    sealed: str = Field(
        max_length=MAX_SEALED,
        description='compact JWE to the recipient; plaintext {"messages": [...]} aligned '
        "with codes (see mynumber.platform.deliveries)",
    )


class DeliverOut(BaseModel):
    """The hub's answer to a sender."""

    delivery_id: str
    accepted: list[bool] = Field(description="per code: did the recipient take the message")
    sealed: str | None = Field(description="the recipient's reply, sealed to the sender")
    reasons: list[str | None] = Field(
        default_factory=list,
        description="per code: why the message was not taken (null where it was); the "
        "recipient's own reason, if any, is in its sealed reply",
    )


class RecordsIn(BaseModel):
    code: str = Field(max_length=32, description="the caller's own code for the person")


class ExchangeRecord(BaseModel):
    """One entry of a person's やりとり履歴, as the hub's chain holds it."""

    seq: int
    at: datetime
    exchange_id: str
    requester: str
    provider: str
    procedure: str
    procedure_name: str
    items: list[str]
    outcome: str
    reason: str | None
    hash: str


class ExchangeRecords(RootModel[list[ExchangeRecord]]):
    """``POST /hub/records``: the person's records, oldest first."""


class ChainHead(BaseModel):
    seq: int
    hash: str


class RecordsExport(BaseModel):
    """``POST /hub/records/export``: the records with the chain head to check them against."""

    exported_at: datetime
    chain_head: ChainHead
    records: list[ExchangeRecord]
