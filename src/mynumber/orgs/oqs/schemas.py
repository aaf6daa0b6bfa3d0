"""The eligibility system's wire models."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Serial = Field(max_length=40, pattern="^[0-9a-fA-F]{1,40}$", description="auth serial, hex")


class SerialIn(BaseModel):
    serial: str = Serial


class RegistrationOut(BaseModel):
    registered: bool
    has_records: bool = Field(description="whether an insurer has registered eligibility")


class RegisteredOut(BaseModel):
    registered: bool


class ChallengeOut(BaseModel):
    challenge_id: str
    nonce: str = Field(description="base64: what the card signs in PIN mode")


class ConfirmIn(BaseModel):
    mode: Literal["face", "pin", "visual"]
    certificate: str = Field(max_length=8192, description="the auth certificate, DER in base64")
    challenge_id: str | None = Field(default=None, max_length=16)
    signature: str | None = Field(default=None, max_length=1024, description="base64")
    face_score: float | None = Field(default=None, ge=0.0, le=1.0)
    consent: list[Literal["drugs", "checkups", "diagnosis", "operations"]] = Field(
        default_factory=list, max_length=4
    )
    file_id: str = Field(default="", max_length=40, pattern="^[0-9A-Za-z_.-]*$")


class View(BaseModel):
    institution: str
    kind: str
    at: dt.datetime


class ViewsOut(BaseModel):
    views: list[View]
