"""A bank's routes: the counter opens and closes accounts (a clerk), a signed caller asks
口座名義の確認, payers send 総合振込 files, other banks forward Zengin records, and a health
report. Each route parses, is authorised, and makes one service call in the request's unit
of work."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mynumber.orgs.bank.deps import Clerk, Closer
from mynumber.orgs.bank.model import PAYERS, bank_of, org_name
from mynumber.orgs.bank.schemas import (
    CloseIn,
    CreditsIn,
    CreditsOut,
    OpenedManyOut,
    OpenedOut,
    OpenIn,
    OpenManyIn,
    RecordResult,
    VerifyIn,
    VerifyOut,
)
from mynumber.orgs.bank.services import Bank, Credits, Transfers
from mynumber.platform.policy import public
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work

_OCTETS = "application/octet-stream"


def router(*, bank: Bank, credits: Credits, transfers: Transfers, staff: Staff) -> APIRouter:
    """Every route of the bank, over its services."""
    org = org_name(bank.code)
    signed = Depends(signed_by(lambda caller: caller != org, who="another organisation"))
    from_payer = Depends(signed_by(lambda caller: caller in PAYERS, who="a paying body"))
    from_bank = Depends(
        signed_by(lambda caller: bank_of(caller) is not None and caller != org, who="another bank")
    )
    api = APIRouter()

    @api.post("/api/accounts/bulk", response_model=OpenedManyOut, status_code=201, tags=["counter"])
    def open_accounts(body: OpenManyIn, acting: Clerk, uow: Work) -> OpenedManyOut:
        """口座開設 by the back office, many at once, all or none (numbers drawn unless given)."""
        rows = bank.open_many(uow, [a.model_dump(exclude_none=True) for a in body.accounts])
        with staff.unit_of_work() as conn:
            for row in rows:
                staff.record(
                    conn,
                    actor=acting.session,
                    role=acting.role,
                    action="accounts.open",
                    purpose="counter",
                    person=row["id"],
                )
        return OpenedManyOut(accounts=[_opened(row) for row in rows])

    @api.post("/api/accounts", response_model=OpenedOut, status_code=201, tags=["counter"])
    def open_account(body: OpenIn, acting: Clerk, uow: Work) -> OpenedOut:
        """口座開設 at the counter (a clerk): the number is drawn unless given."""
        row = bank.open_account(uow, body.model_dump(exclude_none=True))
        staff.log(acting, action="accounts.open", purpose="counter", person=row["id"])
        return _opened(row)

    @api.post("/api/accounts/close", status_code=204, tags=["counter"])
    def close_account(body: CloseIn, acting: Closer, uow: Work) -> None:
        """解約 at the counter (a clerk): the account stays on file, closed."""
        closed = bank.close_account(uow, body.branch_code, body.deposit_type, body.account_number)
        staff.log(acting, action="accounts.close", purpose="counter", person=closed)

    @api.post("/api/accounts/verify", response_model=VerifyOut)
    def verify(body: VerifyIn, _: Annotated[str, signed], uow: Work) -> VerifyOut:
        """口座確認 (signed callers only): yes, or no and why not."""
        verdict = bank.verify(
            uow,
            branch_code=body.branch_code,
            deposit_type=body.deposit_type,
            number=body.account_number,
            holder_kana=body.holder_kana,
        )
        return VerifyOut(ok=verdict.ok, reason=verdict.reason)

    @api.post(
        "/api/transfers",
        name="receive",
        tags=["transfers"],
        response_class=Response,
        responses={200: {"content": {_OCTETS: {}}, "description": "the result file"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {_OCTETS: {"schema": {"type": "string", "format": "binary"}}},
            },
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 64},
                    "description": "the payer's file id: the same id again gets the same "
                    "result file and credits nothing twice",
                }
            ],
        },
    )
    async def receive_file(
        request: Request,
        payer: Annotated[str, from_payer],
        uow: Work,
        key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
    ) -> Response:
        """総合振込 (payers only, signed): the body is a Zengin 総合振込 file (cp932, 120-byte
        records) naming this bank as 仕向銀行. The whole file is checked first (a bad one
        is refused and credits nothing); records addressed to this bank are credited here,
        the others sent over the Zengin network to their receiving banks. The answer is
        one result file in the file's order, each data record carrying its result code at
        position 114 (0 credited, 1 no such account, 2 closed, 3 name differs, 4 receiving
        bank not connected, 9 other). 503 if a receiving bank's answer was lost: send the
        same file again."""
        data = await request.body()
        answer = await run_in_threadpool(transfers.receive, uow, payer=payer, key=key, data=data)
        return Response(answer, media_type=_OCTETS)

    @api.post("/api/zengin/credits", response_model=CreditsOut, name="receive", tags=["zengin"])
    async def receive_credits(
        body: CreditsIn, sender: Annotated[str, from_bank], uow: Work
    ) -> CreditsOut:
        """全銀システム (paying banks only, signed): records of a payer's 総合振込 file
        addressed to this bank, with their indexes in the file. Each is checked and
        credited at most once per (paying bank, file id, index) — the same records again
        are answered the same and credit nothing twice. A bad record refuses the whole
        call (nothing credited). The answer is a result code per record."""
        records = body.transfers()
        paying_bank = bank_of(sender)
        assert paying_bank is not None  # the dependency let only banks through
        codes = await run_in_threadpool(credits.credit, uow, paying_bank, body.file_id, records)
        return CreditsOut(
            results=[
                RecordResult(index=n, code=code.value)
                for (n, _), code in zip(records, codes, strict=True)
            ]
        )

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz(uow: Work) -> dict[str, object]:
        return health(uow, bank)

    return api


def health(uow: UnitOfWork, bank: Bank) -> dict[str, Any]:
    """The bank's health report: it answers, and how many accounts it keeps."""
    return {"org": org_name(bank.code), "ok": True, "accounts": bank.count(uow)}


def _opened(row: dict[str, Any]) -> OpenedOut:
    return OpenedOut(
        id=row["id"],
        branch_code=row["branch_code"],
        deposit_type=row["deposit_type"],
        account_number=row["number"],
        holder_kana=row["holder_kana"],
    )
