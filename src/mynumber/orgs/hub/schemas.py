"""The hub's wire models: enrolment, exchanges (one person or many), deliveries and the
person's records, as agencies and J-LIS send them and the hub answers."""

# no `from __future__ import annotations`: pydantic reads the Annotated fields
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from mynumber.orgs.hub.model import MAX_BULK, MAX_CODES, MAX_ENROL
from mynumber.platform.wire import MAX_SEALED


class CodesIn(BaseModel):
    agency: str = Field(max_length=40)
    acquisition: list[str] = Field(max_length=MAX_ENROL)


class CodesOut(BaseModel):
    codes: list[str]


class ExchangeIn(BaseModel):
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


class DeliveryIn(BaseModel):
    procedure: str = Field(max_length=60)
    recipient: str = Field(max_length=40, description="an organisation, or a kind (municipality)")
    items: list[str] = Field(min_length=1, max_length=3, description="notice, application, …")
    codes: list[Annotated[str, Field(max_length=32)]] = Field(
        min_length=1, max_length=MAX_CODES, description="the sender's own code for each person"
    )
    sealed: str = Field(
        max_length=MAX_SEALED,
        description='compact JWE to the recipient; plaintext {"messages": [...]} aligned '
        "with codes (see mynumber.platform.deliveries)",
    )


class DeliveryOut(BaseModel):
    delivery_id: str
    accepted: list[bool] = Field(description="per code: did the recipient take the message")
    sealed: str | None = Field(description="the recipient's reply, sealed to the sender")
    reasons: list[str | None] = Field(
        default_factory=list,
        description="per code: why the message was not taken (null where it was); the "
        "recipient's own reason, if any, is in its sealed reply",
    )


class BulkExchangeIn(BaseModel):
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


class RecordsIn(BaseModel):
    code: str = Field(max_length=32, description="the caller's own code for the person")
