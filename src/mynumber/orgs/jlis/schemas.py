"""J-LIS's request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NumbersIn(BaseModel):
    resident_codes: list[str] = Field(max_length=100_000)
    reserve: bool = Field(
        default=False, description="reserve codes nobody holds yet for the calling municipality"
    )


class NumbersOut(BaseModel):
    numbers: list[str | None] = Field(
        description="My Numbers in the order of the codes asked for; null for a taken code"
    )
    taken: list[str] = Field(default_factory=list, description="codes another municipality holds")


class ReissueIn(BaseModel):
    resident_code: str
    old_number: str
    reason: str = Field(default="leak", max_length=40)


class ReissueOut(BaseModel):
    number: str
