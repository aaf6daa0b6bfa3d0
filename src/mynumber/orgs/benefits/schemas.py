"""The benefit office's wire models: a programme as a planner makes it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class ProgrammeIn(BaseModel):
    name: str = Field(max_length=100)
    amount: int = Field(description="yen per person, or per household member")
    per: Literal["person", "household"] = "person"
    municipalities: list[str] = Field(min_length=1, max_length=50)
    as_of: date | None = Field(default=None, description="基準日 (default today)")
    min_age: int | None = None
    max_age: int | None = None
