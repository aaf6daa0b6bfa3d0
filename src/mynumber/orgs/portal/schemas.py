"""Mynaportal's request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
