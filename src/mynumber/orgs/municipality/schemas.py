"""The resident registry's request and response bodies. A My Number leaves only masked."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from mynumber.number import mask
from mynumber.orgs.municipality.model import BasicItems, Sex


class BasicItemsIn(BaseModel):
    family_name: str = Field(max_length=30, examples=["佐藤"])
    given_name: str = Field(max_length=30, examples=["花子"])
    family_name_kana: str = Field(max_length=60, examples=["サトウ"])
    given_name_kana: str = Field(max_length=60, examples=["ハナコ"])
    birth_date: date
    sex: Sex

    def items(self, address: str) -> BasicItems:
        return BasicItems(
            family_name=self.family_name,
            given_name=self.given_name,
            family_name_kana=self.family_name_kana,
            given_name_kana=self.given_name_kana,
            birth_date=self.birth_date,
            sex=self.sex,
            address=address,
        )


class RegisterIn(BasicItemsIn):
    """A birth (出生届) or a first registration; join a household or start one at an address."""

    address: str | None = Field(default=None, max_length=200)
    household_id: str | None = None
    relationship: str = "世帯主"
    reason: str = Field(default="birth", pattern="^(birth|move_in)$")
    registered_on: date | None = None
    idempotency_key: str | None = Field(default=None, max_length=64)


class ResidentOut(BaseModel):
    id: str
    municipality: str
    resident_code: str
    my_number_masked: str | None
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: Sex
    address: str
    household_id: str
    relationship: str
    status: str
    registered_on: date
    registered_reason: str
    moved_from: str | None
    left_on: date | None
    moved_to: str | None


class ResidentList(BaseModel):
    total: int
    residents: list[ResidentOut]


class MoveIn(BaseModel):
    to: str = Field(pattern=r"^\d{6}$", description="the receiving municipality's code")
    address: str = Field(max_length=200)
    moved_on: date | None = None
    whole_household: bool = False


class ReissueIn(BaseModel):
    reason: str = Field(default="leak", pattern=r"^[a-z_]{1,20}$")


class DeathIn(BaseModel):
    died_on: date


class SearchIn(BaseModel):
    """Search by identifier in a body, so a My Number never travels in a URL."""

    my_number: str | None = None
    resident_code: str | None = None


class TransferMember(BasicItemsIn):
    resident_code: str
    my_number: str | None
    relationship: str
    #: the manufacture numbers of the person's cards, which stay valid after the move (so
    #: the new municipality knows the card, e.g. for コンビニ交付)
    cards: list[Annotated[str, Field(pattern="^[A-Z0-9]{1,13}$")]] = Field(
        default_factory=list, max_length=10
    )


class Transfer(BaseModel):
    """転出証明: what the old municipality sends the new one when people move."""

    moved_from: str
    moved_on: date
    address: str = Field(max_length=200)
    members: list[TransferMember] = Field(min_length=1, max_length=20)


class TransferResult(BaseModel):
    residents: list[ResidentOut]


class HouseholdOut(BaseModel):
    id: str
    address: str
    members: list[ResidentOut]


def masked(number: str | None) -> str | None:
    return None if number is None else mask(number)


class ReissueRequestOut(BaseModel):
    """A re-issue waiting for a second supervisor's approval."""

    id: str
    resident_id: str
    reason: str
    requested_by: str
    status: str
