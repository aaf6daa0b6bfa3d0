"""Mynaportal's request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from mynumber.pki.cms import MAX_CMS_BYTES


class ChallengeOut(BaseModel):
    code: str = Field(description="the one-time code shown on the PC and in the QR code")
    challenge: str = Field(description="base64 bytes to sign with the auth key (PKCS#1 v1.5)")
    site: str = Field(description="who asks: the portal's name and login page")
    expires_at: datetime


class StartIn(BaseModel):
    method: str = Field(default="cli", pattern="^(qr|phone|reader|cli)$")


class StartOut(ChallengeOut):
    id: str


class AnswerIn(BaseModel):
    signature: str = Field(max_length=1024, description="base64 RSA signature")
    certificate: str = Field(max_length=8192, description="base64 DER auth certificate")
    via: str | None = Field(default=None, pattern="^(qr|phone|reader|cli)$")


class AnswerOut(BaseModel):
    result: str
    first_login: bool
    message: str


class StatusOut(BaseModel):
    state: str
    reason: str | None = None
    detail: str | None = None


# 署名要求 (sign requests): what the phone fetches and posts back
class SignAsked(BaseModel):
    code: str
    site: str = Field(description="who asks: the portal")
    purpose_ja: str
    purpose_en: str | None
    summary: str = Field(description="what the phone shows of the data")
    data: str = Field(description="base64 of the exact bytes to sign (detached CMS)")
    expires_at: datetime


class SignAnswer(BaseModel):
    cms: str = Field(max_length=MAX_CMS_BYTES * 2, description="base64 DER detached CMS")


class SignDone(BaseModel):
    result: str
    message: str


class SignStatus(BaseModel):
    state: str
    reason: str | None = None
    detail: str | None = None
    next: str | None = None


# 連携サービス (OpenID relying parties) as the operator registers them
class ClientIn(BaseModel):
    name: str = Field(max_length=100)
    redirect_uris: list[str] = Field(min_length=1, max_length=20)
    public: bool = False
    sector: str | None = Field(default=None, max_length=255)
    #: an RSA public key (JWK): the client authenticates with private_key_jwt, no secret
    jwk: dict[str, str | list[str]] | None = Field(default=None, max_length=20)


# sign transactions (the デジタル認証アプリ-style API)
class SignTransactionIn(BaseModel):
    """A SHA-256 ``hash`` or a DER ``digest_info`` (base64, exactly one)."""

    hash: str | None = Field(default=None, max_length=200)
    digest_info: str | None = Field(default=None, max_length=200)


class SignTransactionOut(BaseModel):
    sign_transaction_id: str
    client_id: str
    digest_info: str
    status: str
    expires_at: datetime


class SignTransactionAuthorizeIn(BaseModel):
    """The card's signature over the DigestInfo and the signing certificate (base64 DER)."""

    signature: str = Field(min_length=1, max_length=1000)
    certificate: str = Field(min_length=1, max_length=8000)
