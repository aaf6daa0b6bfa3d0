"""The reception terminal's wire models (the reader's result in, answers out)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ChallengeOut(BaseModel):
    challenge_id: str
    nonce: str


class ReaderResultIn(BaseModel):
    """What the 顔認証付きカードリーダー hands the terminal after reading the card."""

    mode: Literal["face", "pin", "visual"]
    certificate: str = Field(max_length=8192, description="auth certificate, DER in base64")
    challenge_id: str | None = Field(default=None, max_length=16)
    signature: str | None = Field(default=None, max_length=1024)
    face_score: float | None = Field(default=None, ge=0.0, le=1.0)
    consent: list[Literal["drugs", "checkups", "diagnosis", "operations"]] = Field(
        default_factory=list, max_length=4
    )
    file_id: str = Field(default="", max_length=40, pattern="^[0-9A-Za-z_.-]*$")


class BatchIn(BaseModel):
    requests: list[str] = Field(min_length=1, max_length=100)


class BatchOut(BaseModel):
    answers: list[str]


class ReferenceIn(BaseModel):
    reference_number: str = Field(max_length=16, pattern="^[0-9A-Za-z_-]+$")


class Drug(BaseModel):
    dispensed_on: dt.date
    drug: str = Field(min_length=1, max_length=100)
    quantity: str = Field(min_length=1, max_length=40)
    days: int = Field(ge=1, le=365)


class DrugOut(Drug):
    pharmacy: str


class DrugsOut(BaseModel):
    drugs: list[DrugOut]


class ClaimIn(BaseModel):
    reference_number: str = Field(max_length=16, pattern="^[0-9A-Za-z_-]+$")
    drugs: list[Drug] = Field(min_length=1, max_length=100)


class ClaimOut(BaseModel):
    taken: int


class RegistrationOut(BaseModel):
    registered: bool
    has_records: bool
