"""The registry's wire models: an account as a bank or Mynaportal sends it, and a
registration as the registry answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from mynumber.orgs.accounts.model import Account


class AccountIn(BaseModel):
    # lengths are loose here so that the domain checks say exactly what is wrong
    bank_code: str = Field(max_length=16)
    branch_code: str = Field(max_length=16)
    deposit_type: str = Field(default="1", max_length=16, description="1 普通, 2 当座, 4 貯蓄")
    account_number: str = Field(max_length=16)
    holder_kana: str = Field(
        max_length=60, repr=False, description="口座名義: the registrant's own name in kana"
    )

    def checked(self) -> Account:
        return Account.checked(
            bank_code=self.bank_code,
            branch_code=self.branch_code,
            deposit_type=self.deposit_type,
            number=self.account_number,
            holder_kana=self.holder_kana,
        )


class CounterIn(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    account: AccountIn


class CounterDeleteIn(BaseModel):
    my_number: str = Field(repr=False, max_length=14)


class PortalIn(BaseModel):
    handle: str = Field(max_length=200, description="from the hub: registration_handle")
    account: AccountIn


class PortalDeleteIn(BaseModel):
    handle: str = Field(max_length=200)


class RegistrationOut(BaseModel):
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    deposit_type: str
    account_number: str
    holder_kana: str
    channel: str
    registered_at: datetime
    updated_at: datetime


class BulkEntry(BaseModel):
    my_number: str = Field(repr=False, pattern=r"^[0-9]{12}$")
    account: AccountIn


class BulkIn(BaseModel):
    registrations: list[BulkEntry] = Field(max_length=10_000)


class BulkOut(BaseModel):
    registered: int = Field(description="how many were registered (unknown numbers skipped)")
