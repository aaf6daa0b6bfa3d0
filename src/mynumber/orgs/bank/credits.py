"""入金 at a receiving bank (被仕向銀行): data records of a paying bank's 総合振込 file, each
credited at most once.

Two ways in, one rule. The paying bank credits the records of a payer's file addressed to
itself directly (:meth:`Credits.credit`); the Zengin network (全銀システム) carries every
other record to its receiving bank as a signed bank-to-bank call,
``POST /api/zengin/credits`` (callers: other banks), with the file id and the records with
their indexes in the file. Either way a credit is one row keyed by (paying bank, file id,
record index), so the same record arriving again — a paying bank that crashed before
storing its result file and forwards again, two racing forwards — is answered "credited"
and credits nothing twice. A record is checked against this bank's accounts: no such
account, closed, holder name differs, or credited.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.payments import MAX_COUNT, RECORD_LENGTH, ResultCode, Transfer, ZenginError, bank
from mynumber.platform.context import OrgContext
from mynumber.platform.db import bulk_insert, chunked
from mynumber.platform.web import signed_by

#: Records per network call (the paying bank sends a receiving bank's records in slices).
FORWARD_SLICE = 20_000
#: What a file id may look like (the payer's Idempotency-Key).
FILE_ID = re.compile(r"^[0-9A-Za-z._:-]{1,64}$")
#: Account numbers per lookup statement (SQLite allows 32,766 parameters).
_SLICE = 30_000


def same_name(a: str, b: str) -> bool:
    """Holder names in Zengin kana are the same name, spaces between names ignored
    (as the bank's 口座名義の確認 compares them)."""
    return a.replace(" ", "") == b.replace(" ", "")


def bank_of(org: str) -> str | None:
    """``bank-0005`` → ``0005``; None for an organisation that is not a bank."""
    code = org.removeprefix("bank-")
    return code if code != org and re.fullmatch(r"[0-9]{4}", code) else None


class Credits:
    """One bank's credits over its own database."""

    def __init__(self, *, engine: Engine, code: str) -> None:
        self.engine = engine
        self.code = bank(code).code

    def credit(
        self, paying_bank: str, file_id: str, records: Sequence[tuple[int, Transfer]]
    ) -> list[ResultCode]:
        """Each (index, transfer) addressed to this bank checked and credited once; the
        result codes in the same order. One transaction: all of it or nothing."""
        if any(t.bank_code != self.code for _, t in records):
            raise errors.InvalidInput("a record is addressed to another bank", field="records")
        indexes = [n for n, _ in records]
        if len(set(indexes)) != len(indexes):
            raise errors.InvalidInput("a record index appears twice", field="records")
        now = datetime.now(UTC)
        c = store.credits.c
        with self.engine.begin() as conn:
            done: dict[int, int] = {}
            for part in chunked(indexes, _SLICE):
                for index, amount in conn.execute(
                    select(c.record_index, c.amount).where(
                        c.paying_bank == paying_bank,
                        c.file_id == file_id,
                        c.record_index.in_(part),
                    )
                ):
                    done[index] = amount
            accounts = self._accounts(conn, [t for n, t in records if n not in done])
            codes: list[ResultCode] = []
            rows: list[dict[str, Any]] = []
            for index, transfer in records:
                if index in done:
                    if done[index] != transfer.amount:
                        raise errors.Conflict(
                            f"record {index} of {file_id} was credited with another amount",
                            code="record_changed",
                        )
                    codes.append(ResultCode.CREDITED)
                    continue
                code, account_id = self._check(accounts, transfer)
                codes.append(code)
                if account_id is not None:
                    rows.append(
                        {
                            "paying_bank": paying_bank,
                            "file_id": file_id,
                            "record_index": index,
                            "account_id": account_id,
                            "amount": transfer.amount,
                            "credited_at": now,
                        }
                    )
            # a racing delivery of the same record inserted first: it is credited once
            bulk_insert(conn, store.credits, rows, ignore_duplicates=True)
        return codes

    @staticmethod
    def _check(
        accounts: dict[tuple[str, str, str], tuple[str, str, str]], transfer: Transfer
    ) -> tuple[ResultCode, str | None]:
        key = (transfer.branch_code, transfer.deposit_type.value, transfer.account_number)
        account = accounts.get(key)
        if account is None:
            return ResultCode.NO_SUCH_ACCOUNT, None
        account_id, status, kana = account
        if status != "open":
            return ResultCode.ACCOUNT_CLOSED, None
        if not same_name(kana, transfer.payee_name):
            return ResultCode.NAME_MISMATCH, None
        return ResultCode.CREDITED, account_id

    @staticmethod
    def _accounts(
        conn: Any, transfers: Sequence[Transfer]
    ) -> dict[tuple[str, str, str], tuple[str, str, str]]:
        """(branch, deposit type, number) → (id, status, holder kana) of the accounts here."""
        numbers = list({t.account_number for t in transfers})
        a = store.accounts.c
        query = select(a.branch_code, a.deposit_type, a.number, a.id, a.status, a.holder_kana)
        found: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        for part in chunked(numbers, _SLICE):
            for branch, kind, number, id_, status, kana in conn.execute(
                query.where(a.number.in_(part))
            ):
                found[(branch, kind, number)] = (id_, status, kana)
        return found


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


class RecordResult(BaseModel):
    index: int
    code: str = Field(description="0 credited, 1 no such account, 2 closed, 3 holder name differs")


class CreditsOut(BaseModel):
    results: list[RecordResult]


def parse_records(body: CreditsIn) -> list[tuple[int, Transfer]]:
    """The forwarded records as transfers; a bad one refuses the whole call (422)."""
    if FILE_ID.fullmatch(body.file_id) is None:
        raise errors.InvalidInput("file_id: 1 to 64 letters, digits or ._:-", field="file_id")
    parsed = []
    for item in body.records:
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


def router(ctx: OrgContext, service: Credits) -> APIRouter:
    own = f"bank-{service.code}"
    from_bank = Depends(
        signed_by(lambda org: bank_of(org) is not None and org != own, who="another bank")
    )
    api = APIRouter(tags=["zengin"])

    @api.post("/zengin/credits", response_model=CreditsOut)
    async def receive(body: CreditsIn, sender: Annotated[str, from_bank]) -> CreditsOut:
        """全銀システム (paying banks only, signed): records of a payer's 総合振込 file
        addressed to this bank, with their indexes in the file. Each is checked and
        credited at most once per (paying bank, file id, index) — the same records again
        are answered the same and credit nothing twice. A bad record refuses the whole
        call (nothing credited). The answer is a result code per record."""
        records = parse_records(body)
        paying_bank = bank_of(sender)
        assert paying_bank is not None  # the dependency let only banks through
        codes = await run_in_threadpool(service.credit, paying_bank, body.file_id, records)
        return CreditsOut(
            results=[
                RecordResult(index=n, code=code.value)
                for (n, _), code in zip(records, codes, strict=True)
            ]
        )

    return api
