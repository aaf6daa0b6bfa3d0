"""総合振込 at the paying bank (仕向銀行): a payer's Zengin file in, ONE result file out.

Behind ``POST /api/transfers`` (signed; payers in :data:`~..model.PAYERS`): the raw file
(:mod:`mynumber.payments.zengin`, cp932, 120-byte records) whose header names this bank as
仕向銀行, ``Idempotency-Key`` the payer's file id. The whole file is checked before anything is
done (a bad file is a 422 and changes nothing). Then the key is claimed with the file's
digest, the records addressed to this bank are credited here (:class:`~.credits.Credits`),
and the others go, grouped per receiving bank, over the Zengin network
(:mod:`mynumber.orgs.bank.clients`). Each record gets a
:class:`~mynumber.payments.ResultCode` — credited, no such account, closed, holder name
differs, receiving bank not connected, other — and the result file, in the file's order, is
stored under the key: the same key again answers the same bytes and credits nothing twice
(every bank keys its credits by (paying bank, file id, index), so routing again after a
crash before the result was stored is harmless), and the same key with other bytes is a 409.
If a receiving bank's answer is lost the call is a 503 and the payer sends again.

The bank keeps what it credited and nothing else: no route shows an account's money.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.orgs.bank.clients import ZenginNetwork
from mynumber.orgs.bank.model import FILE_ID, FORWARD_SLICE, MAX_BYTES
from mynumber.orgs.bank.services.credits import Credits
from mynumber.payments import (
    RECORD_LENGTH,
    ResultCode,
    Transfer,
    TransferResult,
    read_file,
    write_results,
)
from mynumber.platform.uow import UnitOfWork


class Transfers:
    """One bank's 総合振込 intake as paying bank. The file is claimed, credited, forwarded
    and answered in turns of the caller's unit of work: none is open while a receiving bank
    is asked."""

    def __init__(self, *, credits: Credits, network: ZenginNetwork) -> None:
        self.credits = credits
        self.network = network
        self.code = credits.code

    def receive(self, uow: UnitOfWork, *, payer: str, key: str | None, data: bytes) -> bytes:
        """Credit or forward every transfer of the file once; the result file."""
        if key is None or FILE_ID.fullmatch(key) is None:
            raise errors.InvalidInput(
                "Idempotency-Key must be the file id: 1 to 64 letters, digits or ._:-",
                field="Idempotency-Key",
            )
        if len(data) > MAX_BYTES:
            raise errors.InvalidInput("the file is larger than one 総合振込 file", field="file")
        digest = hashlib.sha256(data).hexdigest()
        stored = self._stored(uow, key)
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
            self._claim(uow, key, payer, digest, len(parsed.transfers))
        codes = self._route(uow, key, parsed.transfers)
        crlf = data[RECORD_LENGTH : RECORD_LENGTH + 2] == b"\r\n"
        answer = write_results(
            parsed.header,
            (TransferResult(t, c) for t, c in zip(parsed.transfers, codes, strict=True)),
            crlf=crlf,
        )
        f = store.transfer_files.c
        with uow as conn:  # a racing submission may have stored it first
            conn.execute(
                update(store.transfer_files)
                .where(f.id == key, f.results.is_(None))
                .values(results=answer)
            )
            uow.commit()
        stored = self._stored(uow, key)
        return bytes(stored.results)

    def _claim(self, uow: UnitOfWork, key: str, payer: str, digest: str, records: int) -> None:
        """Hold the key for this payer's file before any record is credited or sent, so
        the same key with other bytes is refused even while this one is routed."""
        try:
            with uow as conn:
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
                uow.commit()
        except IntegrityError:  # the same key raced in: fine if it is the same file
            stored = self._stored(uow, key)
            if stored is None:
                raise
            _same_file(stored, payer, digest)

    def _route(self, uow: UnitOfWork, key: str, transfers: Sequence[Transfer]) -> list[ResultCode]:
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
                    answered += self.credits.credit(uow, self.code, key, part)
            else:
                answered = self.network.forward(bank_code, key, records)
            for (index, _), code in zip(records, answered, strict=True):
                codes[index - 1] = code
        assert all(code is not None for code in codes)
        return codes  # type: ignore[return-value]

    def _stored(self, uow: UnitOfWork, key: str) -> Any:
        f = store.transfer_files.c
        with uow as conn:
            return conn.execute(select(f.payer, f.digest, f.results).where(f.id == key)).first()


def _same_file(stored: Any, payer: str, digest: str) -> None:
    """The key was used for this payer's same file, or it is a conflict."""
    if stored.payer != payer or stored.digest != digest:
        raise errors.Conflict(
            "this Idempotency-Key was used for another file", code="idempotency_key_reused"
        )
