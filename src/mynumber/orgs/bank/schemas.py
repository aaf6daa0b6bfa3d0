"""A bank's wire models: the counter's account forms, the verification question and
answer, and the Zengin network's forwarded records with their result codes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mynumber import errors
from mynumber.orgs.bank.model import CLOSED, FILE_ID, FORWARD_SLICE, NAME_MISMATCH, NO_SUCH_ACCOUNT
from mynumber.payments import MAX_COUNT, RECORD_LENGTH, Transfer, ZenginError


class VerifyIn(BaseModel):
    branch_code: str = Field(max_length=3)
    deposit_type: str = Field(max_length=1)
    account_number: str = Field(max_length=7)
    holder_kana: str = Field(max_length=60, repr=False)


class OpenIn(BaseModel):
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    deposit_type: str = Field(
        default="1", pattern=r"^[1249]$", description="1 普通, 2 当座, 4 貯蓄"
    )
    account_number: str | None = Field(
        default=None, pattern=r"^[0-9]{1,7}$", description="drawn by the bank when left out"
    )
    holder_kana: str = Field(min_length=1, max_length=60, repr=False)


class OpenedOut(BaseModel):
    id: str = Field(description="the bank's own id for the account")
    branch_code: str
    deposit_type: str
    account_number: str
    holder_kana: str


class OpenManyIn(BaseModel):
    accounts: list[OpenIn] = Field(min_length=1, max_length=10_000)


class OpenedManyOut(BaseModel):
    accounts: list[OpenedOut]


class CloseIn(BaseModel):
    branch_code: str = Field(pattern=r"^[0-9]{3}$")
    deposit_type: str = Field(pattern=r"^[1249]$")
    account_number: str = Field(pattern=r"^[0-9]{1,7}$")


class VerifyOut(BaseModel):
    ok: bool = Field(description="the account exists, is open and is held by this name")
    reason: str | None = Field(
        default=None, description=f"why not: {NO_SUCH_ACCOUNT}, {CLOSED} or {NAME_MISMATCH}"
    )


class ForwardedRecord(BaseModel):
    index: int = Field(ge=1, le=MAX_COUNT, description="the record's place in the file (1 = first)")
    record: str = Field(
        min_length=RECORD_LENGTH,
        max_length=RECORD_LENGTH,
        description="the Zengin data record (データ区分 2) as in the file, 120 characters",
    )


class CreditsIn(BaseModel):
    file_id: str = Field(min_length=1, max_length=64, description="the payer's file id")
    records: list[ForwardedRecord] = Field(min_length=1, max_length=FORWARD_SLICE)

    def transfers(self) -> list[tuple[int, Transfer]]:
        """The forwarded records as transfers; a bad one refuses the whole call (422)."""
        if FILE_ID.fullmatch(self.file_id) is None:
            raise errors.InvalidInput("file_id: 1 to 64 letters, digits or ._:-", field="file_id")
        parsed = []
        for item in self.records:
            try:
                raw = item.record.encode("cp932")
            except UnicodeEncodeError as exc:
                raise errors.InvalidInput(
                    f"record {item.index} is not Zengin text", field="records"
                ) from exc
            try:
                parsed.append((item.index, Transfer.parse_record(raw, number=item.index)))
            except ZenginError as exc:
                raise errors.InvalidInput(f"record {item.index}: {exc}", field="records") from exc
        return parsed


class RecordResult(BaseModel):
    index: int
    code: str = Field(description="0 credited, 1 no such account, 2 closed, 3 holder name differs")


class CreditsOut(BaseModel):
    results: list[RecordResult]
