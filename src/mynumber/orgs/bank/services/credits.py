"""入金 at a receiving bank (被仕向銀行): data records of a paying bank's 総合振込 file, each
credited at most once.

Two ways in, one rule. The paying bank credits the records of a payer's file addressed to
itself directly (:meth:`Credits.credit`); the Zengin network (全銀システム) carries every
other record to its receiving bank as a signed bank-to-bank call (:meth:`Credits.credit`
behind ``POST /api/zengin/credits``), with the file id and the records with
their indexes in the file. Either way a credit is one row keyed by (paying bank, file id,
record index), so the same record arriving again — a paying bank that crashed before
storing its result file and forwards again, two racing forwards — is answered "credited"
and credits nothing twice. A record is checked against this bank's accounts: no such
account, closed, holder name differs, or credited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from mynumber import errors
from mynumber.orgs.bank import store
from mynumber.orgs.bank.model import AccountState, credit_result
from mynumber.payments import ResultCode, Transfer, bank
from mynumber.platform.db import bulk_insert, chunked
from mynumber.platform.uow import UnitOfWork

#: Account numbers per lookup statement (SQLite allows 32,766 parameters).
_SLICE = 30_000


class Credits:
    """One bank's credits (in the caller's unit of work on the bank's database)."""

    def __init__(self, *, code: str) -> None:
        self.code = bank(code).code

    def credit(
        self,
        uow: UnitOfWork,
        paying_bank: str,
        file_id: str,
        records: Sequence[tuple[int, Transfer]],
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
        with uow as conn:
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
                key = (transfer.branch_code, transfer.deposit_type.value, transfer.account_number)
                account = accounts.get(key)
                code = credit_result(account, transfer)
                codes.append(code)
                if account is not None and code is ResultCode.CREDITED:
                    rows.append(
                        {
                            "paying_bank": paying_bank,
                            "file_id": file_id,
                            "record_index": index,
                            "account_id": account[0],
                            "amount": transfer.amount,
                            "credited_at": now,
                        }
                    )
            # a racing delivery of the same record inserted first: it is credited once
            bulk_insert(conn, store.credits, rows, ignore_duplicates=True)
            uow.commit()
        return codes

    @staticmethod
    def _accounts(
        conn: Connection, transfers: Sequence[Transfer]
    ) -> dict[tuple[str, str, str], AccountState]:
        """(branch, deposit type, number) → (id, status, holder kana) of the accounts here."""
        numbers = list({t.account_number for t in transfers})
        a = store.accounts.c
        query = select(a.branch_code, a.deposit_type, a.number, a.id, a.status, a.holder_kana)
        found: dict[tuple[str, str, str], AccountState] = {}
        for part in chunked(numbers, _SLICE):
            for branch, kind, number, id_, status, kana in conn.execute(
                query.where(a.number.in_(part))
            ):
                found[(branch, kind, number)] = (id_, status, kana)
        return found
