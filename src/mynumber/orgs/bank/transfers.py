"""総合振込 at the paying bank (仕向銀行): a payer's Zengin file in, ONE result file out.

``POST /api/transfers`` (signed; payers in :data:`PAYERS`), the body the raw file
(:mod:`mynumber.payments.zengin`, cp932, 120-byte records) whose header names this bank as
仕向銀行, ``Idempotency-Key`` the payer's file id. The whole file is checked before anything
is done (a bad file is a 422 and changes nothing). Then the key is claimed with the file's
digest, the records addressed to this bank are credited here
(:class:`~mynumber.orgs.bank.credits.Credits`), and the others go, grouped per receiving
bank, over the Zengin network (:mod:`mynumber.orgs.bank.network`). Each record gets a
:class:`~mynumber.payments.ResultCode` — credited, no such account, closed, holder name
differs, receiving bank not connected, other — and the result file, in the file's order,
is stored under the key: the same key again answers the same bytes and credits nothing
twice (every bank keys its credits by (paying bank, file id, index), so routing again after
a crash before the result was stored is harmless), and the same key with other bytes is a
409. If a receiving bank's answer is lost the call is a 503 and the payer sends again.

The bank keeps what it credited and nothing else: no route shows an account's money.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.orgs.bank.credits import FORWARD_SLICE, Credits
from mynumber.orgs.bank.network import ZenginNetwork
from mynumber.payments import (
    MAX_COUNT,
    RECORD_LENGTH,
    ResultCode,
    Transfer,
    TransferResult,
    read_file,
    write_results,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.web import signed_by

#: Organisations that may send transfer files (the benefit office; other payers can join).
PAYERS = ("benefits",)
#: What an Idempotency-Key may look like (the payer's file id).
_KEY = re.compile(r"^[0-9A-Za-z._:-]{1,64}$")
#: The largest file: header, MAX_COUNT data records, trailer, end, each with CRLF.
MAX_BYTES = (MAX_COUNT + 3) * (RECORD_LENGTH + 2)
_OCTETS = "application/octet-stream"


class Transfers:
    """One bank's 総合振込 intake as paying bank, over its own database."""

    def __init__(self, *, engine: Engine, credits: Credits, network: ZenginNetwork) -> None:
        self.engine = engine
        self.credits = credits
        self.network = network
        self.code = credits.code

    def receive(self, *, payer: str, key: str | None, data: bytes) -> bytes:
        """Credit or forward every transfer of the file once; the result file."""
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
            _same_file(stored, payer, digest)
            if stored.results is not None:
                return bytes(stored.results)
        parsed = read_file(data)  # ZenginError (422) before anything is done
        if parsed.header.bank_code != self.code:
            raise errors.InvalidInput(
                f"the file's paying bank (仕向銀行) is {parsed.header.bank_code}, "
                f"not this bank ({self.code})",
                field="file",
            )
        if stored is None:
            self._claim(key, payer, digest, len(parsed.transfers))
        codes = self._route(key, parsed.transfers)
        crlf = data[RECORD_LENGTH : RECORD_LENGTH + 2] == b"\r\n"
        answer = write_results(
            parsed.header,
            (TransferResult(t, c) for t, c in zip(parsed.transfers, codes, strict=True)),
            crlf=crlf,
        )
        f = store.transfer_files.c
        with self.engine.begin() as conn:  # a racing submission may have stored it first
            conn.execute(
                update(store.transfer_files)
                .where(f.id == key, f.results.is_(None))
                .values(results=answer)
            )
        stored = self._stored(key)
        return bytes(stored.results)

    def _claim(self, key: str, payer: str, digest: str, records: int) -> None:
        """Hold the key for this payer's file before any record is credited or sent, so
        the same key with other bytes is refused even while this one is routed."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    store.transfer_files.insert().values(
                        id=key,
                        payer=payer,
                        digest=digest,
                        records=records,
                        results=None,
                        received_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:  # the same key raced in: fine if it is the same file
            stored = self._stored(key)
            if stored is None:
                raise
            _same_file(stored, payer, digest)

    def _route(self, key: str, transfers: Sequence[Transfer]) -> list[ResultCode]:
        """Each transfer's result code: credited here, or forwarded to its receiving bank."""
        by_bank: dict[str, list[tuple[int, Transfer]]] = {}
        for index, transfer in enumerate(transfers, start=1):
            by_bank.setdefault(transfer.bank_code, []).append((index, transfer))
        codes: list[ResultCode | None] = [None] * len(transfers)
        for bank_code in sorted(by_bank):
            records = by_bank[bank_code]
            if bank_code == self.code:
                answered: list[ResultCode] = []
                for start in range(0, len(records), FORWARD_SLICE):
                    part = records[start : start + FORWARD_SLICE]
                    answered += self.credits.credit(self.code, key, part)
            else:
                answered = self.network.forward(bank_code, key, records)
            for (index, _), code in zip(records, answered, strict=True):
                codes[index - 1] = code
        assert all(code is not None for code in codes)
        return codes  # type: ignore[return-value]

    def _stored(self, key: str) -> Any:
        f = store.transfer_files.c
        with self.engine.connect() as conn:
            return conn.execute(select(f.payer, f.digest, f.results).where(f.id == key)).first()


def _same_file(stored: Any, payer: str, digest: str) -> None:
    """The key was used for this payer's same file, or it is a conflict."""
    if stored.payer != payer or stored.digest != digest:
        raise errors.Conflict(
            "this Idempotency-Key was used for another file", code="idempotency_key_reused"
        )


def router(ctx: OrgContext, service: Transfers) -> APIRouter:
    from_payer = Depends(signed_by(lambda org: org in PAYERS, who="a paying body"))
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
        records) naming this bank as 仕向銀行. The whole file is checked first (a bad one
        is refused and credits nothing); records addressed to this bank are credited here,
        the others sent over the Zengin network to their receiving banks. The answer is
        one result file in the file's order, each data record carrying its result code at
        position 114 (0 credited, 1 no such account, 2 closed, 3 name differs, 4 receiving
        bank not connected, 9 other). 503 if a receiving bank's answer was lost: send the
        same file again."""
        data = await request.body()
        answer = await run_in_threadpool(service.receive, payer=payer, key=key, data=data)
        return Response(answer, media_type=_OCTETS)

    return api
