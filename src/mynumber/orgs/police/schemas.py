"""The police's wire models: licence records at the counter, the card's licence data, the
holder's signed applications (link, online course) and their answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from mynumber.orgs.police.model import Category, Holding

LicenceNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Short = Annotated[str, StringConstraints(min_length=1, max_length=20)]
#: A licence photo, base64 (up to 24 KiB of image: the free area's room, this project's choice).
MAX_PHOTO = 24 * 1024


class LicenceIn(BaseModel):
    """A first licence issued at the counter (after the test), held the way chosen there."""

    name: str = Field(min_length=1, max_length=100, description="氏名")
    birth_date: dt.date
    address: str = Field(min_length=1, max_length=200, description="住所")
    types: list[Short] = Field(min_length=1, max_length=14, description="免許の種類")
    conditions: list[Short] = Field(default_factory=list, max_length=10, description="条件等")
    holding: Holding = "card"
    photo: str = Field(default="", max_length=MAX_PHOTO * 4 // 3 + 4, description="base64")
    issued_on: dt.date | None = Field(default=None, description="default: today")


class LicenceOut(BaseModel):
    number: str
    name: str
    birth_date: dt.date
    address: str
    types: list[str]
    conditions: list[str]
    category: str
    issued_on: dt.date
    valid_until: dt.date
    holding: Holding
    holding_name: str
    commission: str
    linked: bool = Field(description="a signing certificate was presented to the police")
    card_pending: bool = Field(description="a change not yet written to the card")


class FeeOut(BaseModel):
    number: str
    kind: str
    holding: Holding
    amount: int = Field(description="¥")


class IssuedOut(BaseModel):
    licence: LicenceOut
    fee: FeeOut


class HoldingIn(BaseModel):
    holding: Holding


class RenewIn(BaseModel):
    """Renewal at the counter; ``category`` is the one the renewal is in (default: kept)."""

    category: Category | None = None
    holding: Holding | None = Field(default=None, description="default: kept")


class CardDataOut(BaseModel):
    """What the desk writes into the card's licence application, signed by the police."""

    number: str
    data: str = Field(description="base64 of the licence data (EF 0010)")
    signature: str = Field(description="base64 of the signature EF (EF 0011)")


class SignedIn(BaseModel):
    """An application signed by the holder with the card's signing key: the data (JSON,
    base64) and a detached CMS (base64) whose certificate is the 署名用電子証明書."""

    data: str = Field(min_length=1, max_length=8192)
    cms: str = Field(min_length=1, max_length=48 * 1024)


class LinkOut(BaseModel):
    number: str
    linked: bool
    services: list[str]


class CourseOut(BaseModel):
    course_id: str
    face_score: float
    chapters: list[str]


class CourseDoneIn(BaseModel):
    watched: list[Annotated[str, StringConstraints(max_length=40)]] = Field(max_length=20)


class RenewedOut(BaseModel):
    number: str
    valid_until: dt.date
    card_pending: bool
