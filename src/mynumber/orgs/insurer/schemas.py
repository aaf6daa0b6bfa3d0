"""An insurer's wire models: the members it takes in, the documents it is asked for."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator

from mynumber.insurance_dates import NO_NEW_PAPER_CARDS_FROM
from mynumber.platform.agency import Numbered


class Member(Numbered):
    """資格取得: a member's 被保険者 entry, with the My Number they gave."""

    symbol: str = Field(max_length=20, description="記号")
    number: str = Field(min_length=1, max_length=20, pattern="^[0-9]+$", description="番号")
    branch: str = Field(default="00", pattern="^[0-9]{2}$", description="枝番 (2 digits)")
    valid_from: date
    valid_to: date | None = None
    name: str | None = Field(default=None, max_length=100, description="氏名")
    name_kana: str | None = Field(default=None, max_length=100, description="氏名カナ")
    sex: str | None = Field(default=None, pattern="^[12]$", description="1 male, 2 female")
    birth_date: date | None = None
    relation: str = Field(default="1", pattern="^[12]$", description="1 本人, 2 家族")
    insured_name: str | None = Field(default=None, max_length=100, description="被保険者氏名")
    ratio: int | None = Field(default=None, description="一部負担金の割合 (10, 20 or 30 %)")
    paper_card_issued_on: date | None = Field(
        default=None, description="the paper 被保険者証 the member holds: its issue day"
    )
    paper_card_expires_on: date | None = Field(
        default=None, description="… and its own expiry (none: to the end of paper cards)"
    )

    @field_validator("paper_card_issued_on")
    @classmethod
    def _before_the_end(cls, value: date | None) -> date | None:
        if value is not None and value >= NO_NEW_PAPER_CARDS_FROM:
            raise ValueError("no paper insurance card is issued from 2024-12-02")
        return value


class DocumentIn(BaseModel):
    symbol: str = Field(max_length=20)
    number: str = Field(min_length=1, max_length=20, pattern="^[0-9]+$")
    branch: str = Field(default="00", pattern="^[0-9]{2}$")
