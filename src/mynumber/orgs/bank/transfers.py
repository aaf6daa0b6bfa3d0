"""総合振込 received by a bank: a payer's Zengin file in, the result file out.

``POST /api/transfers`` (signed; payers in :data:`PAYERS`), the body the raw file
(:mod:`mynumber.payments.zengin`, cp932, 120-byte records), ``Idempotency-Key`` the payer's
file id. The whole file is checked before anything is credited (a bad file is a 422 and
changes nothing). Then each data record gets a :class:`~mynumber.payments.ResultCode`:
addressed to another bank, no such account, closed, holder name differs, or credited; the
credits and the result file are stored in one transaction under the key, so the same key
again answers the same bytes and credits nothing twice (two racing submissions included:
the key is the primary key), and the same key with other bytes is a 409.

The bank keeps what it credited and nothing else: no route shows an account's money.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.payments import (
    MAX_COUNT,
    RECORD_LENGTH,
    ResultCode,
    TransferResult,
    bank,
    read_file,
    write_results,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.db import bulk_insert, chunked
from mynumber.platform.web import signed_by

#: Organisations that may send transfer files (the benefit office; other payers can join).
PAYERS = ("benefits",)
#: What an Idempotency-Key may look like (the payer's file id).
_KEY = re.compile(r"^[0-9A-Za-z._:-]{1,64}$")
#: The largest file: header, MAX_COUNT data records, trailer, end, each with CRLF.
MAX_BYTES = (MAX_COUNT + 3) * (RECORD_LENGTH + 2)
#: Account numbers per lookup statement (SQLite allows 32,766 parameters).
_SLICE = 30_000
_OCTETS = "application/octet-stream"


def _same_name(a: str, b: str) -> bool:
    """Holder names in Zengin kana are the same name, spaces between names ignored
    (as the bank's 口座名義の確認 compares them)."""
    return a.replace(" ", "") == b.replace(" ", "")


class Transfers:
    """One bank's 総合振込 intake over its own database."""

    def __init__(self, *, engine: Engine, code: str) -> None:
        self.engine = engine
        self.code = bank(code).code

    def receive(self, *, payer: str, key: str | None, data: bytes) -> bytes:
        """Credit the file's transfers to this bank's accounts once; the result file."""
        if key is None or _KEY.fullmatch(key) is None:
            raise errors.InvalidInput(
                "Idempotency-Key must be the file id: 1 to 64 letters, digits or ._:-",
                field="Idempotency-Key",
            )
        if len(data) > MAX_BYTES:
            raise errors.InvalidInput("the file is larger than one 総合振込 file", field="file")
        digest = hashlib.sha256(data).hexdigest()
        stored = self._stored(key)
        if stored is not None:
            return self._again(stored, payer, digest)
        parsed = read_file(data)  # ZenginError (422) before anything is credited
        crlf = data[RECORD_LENGTH : RECORD_LENGTH + 2] == b"\r\n"
        accounts = self._accounts(parsed.transfers)
        now = datetime.now(UTC)
        results: list[TransferResult] = []
        credited: list[dict[str, Any]] = []
        for index, transfer in enumerate(parsed.transfers, start=1):
            if transfer.bank_code != self.code:
                code = ResultCode.NOT_THIS_BANK
            else:
                account = accounts.get(
                    (transfer.branch_code, transfer.deposit_type.value, transfer.account_number)
                )
                if account is None:
                    code = ResultCode.NO_SUCH_ACCOUNT
                elif account[1] != "open":
                    code = ResultCode.ACCOUNT_CLOSED
                elif not _same_name(account[2], transfer.payee_name):
                    code = ResultCode.NAME_MISMATCH
                else:
                    code = ResultCode.CREDITED
                    credited.append(
                        {
                            "file_id": key,
                            "record_index": index,
                            "account_id": account[0],
                            "amount": transfer.amount,
                            "credited_at": now,
                        }
                    )
            results.append(TransferResult(transfer, code))
        answer = write_results(parsed.header, results, crlf=crlf)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    store.transfer_files.insert().values(
                        id=key,
                        payer=payer,
                        digest=digest,
                        records=len(results),
                        results=answer,
                        received_at=now,
                    )
                )
                bulk_insert(conn, store.credits, credited)
        except IntegrityError:  # the same key raced in: one of the two was kept
            stored = self._stored(key)
            if stored is None:
                raise
            return self._again(stored, payer, digest)
        return answer

    def _stored(self, key: str) -> Any:
        f = store.transfer_files.c
        with self.engine.connect() as conn:
            return conn.execute(select(f.payer, f.digest, f.results).where(f.id == key)).first()

    @staticmethod
    def _again(stored: Any, payer: str, digest: str) -> bytes:
        """The answer already given for this key, if it is the same payer's same file."""
        if stored.payer != payer or stored.digest != digest:
            raise errors.Conflict(
                "this Idempotency-Key was used for another file", code="idempotency_key_reused"
            )
        return bytes(stored.results)

    def _accounts(self, transfers: Any) -> dict[tuple[str, str, str], tuple[str, str, str]]:
        """(branch, deposit type, number) → (id, status, holder kana) of the accounts here."""
        numbers = list({t.account_number for t in transfers if t.bank_code == self.code})
        a = store.accounts.c
        query = select(a.branch_code, a.deposit_type, a.number, a.id, a.status, a.holder_kana)
        found: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        with self.engine.connect() as conn:
            for part in chunked(numbers, _SLICE):
                for branch, kind, number, id_, status, kana in conn.execute(
                    query.where(a.number.in_(part))
                ):
                    found[(branch, kind, number)] = (id_, status, kana)
        return found


def router(ctx: OrgContext, service: Transfers) -> APIRouter:
    from_payer = Depends(signed_by(ctx.verifier(), lambda org: org in PAYERS))
    api = APIRouter(tags=["transfers"])

    @api.post(
        "/transfers",
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
    async def receive(
        request: Request,
        payer: Annotated[str, from_payer],
        key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
    ) -> Response:
        """総合振込 (payers only, signed): the body is a Zengin 総合振込 file (cp932, 120-byte
        records). The whole file is checked first (a bad one is refused and credits
        nothing); the answer is the result file, each data record carrying its result code
        at position 114 (0 credited, 1 no such account, 2 closed, 3 name differs,
        4 addressed to another bank)."""
        data = await request.body()
        answer = await run_in_threadpool(service.receive, payer=payer, key=key, data=data)
        return Response(answer, media_type=_OCTETS)

    return api
