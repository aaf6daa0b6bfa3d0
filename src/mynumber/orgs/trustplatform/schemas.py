"""The platform operator's wire models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class EkycIn(BaseModel):
    """What the person signed (base64) and the detached CMS made with the card (base64)."""

    data: str = Field(min_length=1, max_length=20000)
    signature: str = Field(min_length=1, max_length=40000)


class EkycOut(BaseModel):
    id: str
    provider: str
    serial: str
    items: dict[str, Any] | None
    checked_at: dt.datetime
    keep_until: dt.date


class SignerOut(BaseModel):
    field: str
    serial: str
    items: dict[str, Any] | None


class ContractOut(BaseModel):
    id: str
    provider: str
    title: str
    completed_at: dt.datetime
    signers: list[SignerOut]


class StatusOut(BaseModel):
    field: str | None = None
    serial: str
    status: str
    revoked_at: dt.datetime | None = None
    reason: str | None = None
    meaning: str | None = None


class SignatureReportOut(BaseModel):
    field: str
    intact: bool
    trusted: bool
    revocation_embedded: bool
    timestamped: bool
    signed_at: dt.datetime | None
    modified_after_signing: bool
    serial: str
    items: dict[str, Any] | None
    ok: bool
    current: StatusOut | None = None


class VerifyOut(BaseModel):
    ok: bool
    document_timestamp: dt.datetime | None
    document_timestamp_ok: bool
    signatures: list[SignatureReportOut]


class ProviderOut(BaseModel):
    id: str
    name: str
    service: str
    ekyc: bool


class ClientKeyIn(BaseModel):
    """A provider's public RSA key as a JWK (``kty``, ``n``, ``e``)."""

    jwk: dict[str, str]


class ClientKeyOut(BaseModel):
    client_id: str
    jwk: dict[str, str]


class SignTransactionIn(BaseModel):
    """A SHA-256 ``hash`` or a DER ``digest_info`` (base64, exactly one), and the client's
    ``private_key_jwt`` assertion (RFC 7523)."""

    client_assertion_type: str = Field(max_length=100)
    client_assertion: str = Field(min_length=1, max_length=8192)
    hash: str | None = Field(default=None, max_length=200)
    digest_info: str | None = Field(default=None, max_length=200)


class SignTransactionOut(BaseModel):
    sign_transaction_id: str
    provider: str
    digest_info: str
    status: str
    expires_at: dt.datetime


class AuthorizeIn(BaseModel):
    """The card's signature over the DigestInfo and the signing certificate (base64 DER)."""

    signature: str = Field(min_length=1, max_length=1000)
    certificate: str = Field(min_length=1, max_length=8000)


class SignedStatementIn(BaseModel):
    """A JSON statement (base64) and the detached CMS the person made over it with the
    card's signing key (base64)."""

    data: str = Field(min_length=1, max_length=4000)
    signature: str = Field(min_length=1, max_length=20000)


class ConsentOut(BaseModel):
    id: str
    provider: str
    serial: str


class WithdrawnOut(BaseModel):
    withdrawn: int


class LatestItemsOut(BaseModel):
    field: str
    serial: str
    status: str
    name: str | None = None
    gender: int | None = None
    birth_date: str | None = None
    address: str | None = None
    changed: list[str]


class AuthSerialOut(BaseModel):
    sign_serial: str
    auth_serial: str
    auth_status: str
