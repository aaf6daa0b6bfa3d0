"""The reception terminal's wire models (the reader's result in, answers out)."""

from __future__ import annotations

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


class RegistrationOut(BaseModel):
    registered: bool
    has_records: bool
