"""The wire contract between a clinic (or pharmacy) and the オンライン資格確認等システム, used by
both sides: batch queries, the 照会番号, drug data and dispensing claims."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class BatchIn(BaseModel):
    requests: list[str] = Field(min_length=1, max_length=100, description="request XML documents")


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
