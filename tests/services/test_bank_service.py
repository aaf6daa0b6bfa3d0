"""A bank's use cases on its own database: accounts opened, checked (口座名義の確認) and
closed; credits applied once per (paying bank, file, record); a payer's 総合振込 file
credited here or forwarded, answered with one result file that the same key answers again.
The Zengin network is the receiving bank's own credit service over its own database. No
federation is built."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, func, select

from mynumber import errors, jst
from mynumber.orgs.bank import store
from mynumber.orgs.bank.model import CLOSED, NAME_MISMATCH, NO_SUCH_ACCOUNT
from mynumber.orgs.bank.services import Bank, Credits, Transfers
from mynumber.payments import (
    DepositType,
    Header,
    ResultCode,
    Transfer,
    branch,
    read_results,
    write_file,
)
from mynumber.platform.uow import UnitOfWork

MIZUHO, MUFG, SMBC = "0001", "0005", "0009"
BRANCH = {MIZUHO: "001", MUFG: "002"}
HEADER = Header(
    requester_code="1234567890",
    requester_name="ｷﾕｳﾌｷﾝｼﾞﾑｷﾖｸ",
    transfer_date=jst.today(),
    bank_code=MIZUHO,
    bank_name="ﾐｽﾞﾎ",
    branch_code="001",
    branch_name="ﾄｳｷﾖｳ",
    deposit_type=DepositType.CURRENT,
    account_number="7654321",
)


class Network:
    """The Zengin network as the paying bank uses it: MUFG's own credit service on MUFG's
    database; any other bank is not connected."""

    def __init__(self, mufg: Engine) -> None:
        self.mufg = mufg
        self.forwarded: list[tuple[str, str, list[int]]] = []

    def forward(
        self, bank_code: str, file_id: str, records: Sequence[tuple[int, Transfer]]
    ) -> list[ResultCode]:
        self.forwarded.append((bank_code, file_id, [n for n, _ in records]))
        if bank_code != MUFG:
            return [ResultCode.BANK_NOT_CONNECTED] * len(records)
        return Credits(code=MUFG).credit(UnitOfWork(self.mufg), MIZUHO, file_id, records)


@pytest.fixture
def mizuho(database) -> UnitOfWork:
    return UnitOfWork(database(f"bank-{MIZUHO}", "mynumber.orgs.bank.migrations"))


@pytest.fixture
def mufg_db(database) -> Engine:
    return database(f"bank-{MUFG}", "mynumber.orgs.bank.migrations")


@pytest.fixture
def mufg(mufg_db) -> UnitOfWork:
    return UnitOfWork(mufg_db)


def open_account(uow: UnitOfWork, code: str, kana: str) -> dict[str, str]:
    row = Bank(code=code).open_account(
        uow, {"branch_code": BRANCH[code], "deposit_type": "1", "holder_kana": kana}
    )
    return {
        "bank": code,
        "branch_code": row["branch_code"],
        "number": row["number"],
        "kana": row["holder_kana"],
    }


def transfer(account: dict[str, str], *, amount: int, name: str | None = None) -> Transfer:
    return Transfer.for_branch(
        branch(account["bank"], account["branch_code"]),
        deposit_type=DepositType.ORDINARY,
        account_number=account["number"],
        payee_name=name or account["kana"],
        amount=amount,
    )


def credited(uow: UnitOfWork) -> list[tuple[str, str, int, int]]:
    c = store.credits.c
    with uow as conn:
        found = conn.execute(
            select(c.paying_bank, c.file_id, c.record_index, c.amount).order_by(c.record_index)
        )
        return [tuple(row) for row in found]  # type: ignore[misc]


# --- accounts -------------------------------------------------------------------------------


def test_an_account_is_opened_checked_by_name_and_closed(mizuho) -> None:
    bank = Bank(code=MIZUHO)
    account = open_account(mizuho, MIZUHO, "ヤマダ タロウ")

    def verify(kana: str, number: str = account["number"]) -> tuple[bool, str | None]:
        verdict = bank.verify(
            mizuho, branch_code="001", deposit_type="1", number=number, holder_kana=kana
        )
        return verdict.ok, verdict.reason

    assert verify("ﾔﾏﾀﾞ ﾀﾛｳ") == (True, None)
    assert verify("ヤマダ ハナコ") == (False, NAME_MISMATCH)
    other = "0000001" if account["number"] != "0000001" else "0000002"
    assert verify("ヤマダ タロウ", other) == (False, NO_SUCH_ACCOUNT)

    closed_id = bank.close_account(mizuho, "001", "1", account["number"])
    assert verify("ヤマダ タロウ") == (False, CLOSED)
    assert bank.count(mizuho) == 1  # kept on file, closed
    with pytest.raises(errors.NotFound):
        bank.close_account(mizuho, "001", "1", other)
    with mizuho as conn:
        assert conn.scalar(select(store.accounts.c.status)) == "closed"
        assert conn.scalar(select(store.accounts.c.id)) == closed_id


def test_a_number_in_use_is_a_conflict_and_a_batch_opens_all_or_nothing(mizuho) -> None:
    bank = Bank(code=MIZUHO)
    first = open_account(mizuho, MIZUHO, "ヤマダ タロウ")
    taken = {"branch_code": "001", "deposit_type": "1", "account_number": first["number"]}

    with pytest.raises(errors.Conflict):
        bank.open_account(mizuho, taken | {"holder_kana": "サトウ ハナコ"})
    with pytest.raises(errors.Conflict):
        bank.open_many(
            mizuho,
            [
                {"branch_code": "001", "deposit_type": "1", "holder_kana": "スズキ イチロウ"},
                taken | {"holder_kana": "サトウ ハナコ"},
            ],
        )
    assert bank.count(mizuho) == 1

    numbers = bank.open_accounts(
        mizuho, [{"branch_code": "001", "holder_kana": f"テスト {n}"} for n in "アイウ"]
    )
    assert len(set(numbers)) == 3 and bank.count(mizuho) == 4


# --- credits --------------------------------------------------------------------------------


def test_a_credit_is_applied_once_per_record_and_a_changed_amount_is_refused(mufg) -> None:
    credits = Credits(code=MUFG)
    payee = open_account(mufg, MUFG, "タナカ ジロウ")
    records = [(1, transfer(payee, amount=500)), (2, transfer(payee, amount=700))]

    first = credits.credit(mufg, MIZUHO, "file-1", records)
    again = credits.credit(mufg, MIZUHO, "file-1", records)

    assert first == again == [ResultCode.CREDITED, ResultCode.CREDITED]
    assert credited(mufg) == [(MIZUHO, "file-1", 1, 500), (MIZUHO, "file-1", 2, 700)]
    with pytest.raises(errors.Conflict) as changed:
        credits.credit(mufg, MIZUHO, "file-1", [(2, transfer(payee, amount=701))])
    assert changed.value.code == "record_changed"
    # another file's record 1 is another credit
    assert credits.credit(mufg, MIZUHO, "file-2", records[:1]) == [ResultCode.CREDITED]
    assert len(credited(mufg)) == 3


def test_a_record_for_another_bank_or_given_twice_credits_nothing(mufg) -> None:
    credits = Credits(code=MUFG)
    payee = open_account(mufg, MUFG, "タナカ ジロウ")
    elsewhere = {"bank": MIZUHO, "branch_code": "001", "number": "1234567", "kana": "ﾀﾅｶ"}

    with pytest.raises(errors.InvalidInput):
        credits.credit(
            mufg, MIZUHO, "f", [(1, transfer(payee, amount=1)), (2, transfer(elsewhere, amount=1))]
        )
    with pytest.raises(errors.InvalidInput):
        credits.credit(mufg, MIZUHO, "f", [(1, transfer(payee, amount=1))] * 2)
    assert credited(mufg) == []


# --- 総合振込 at the paying bank ---------------------------------------------------------------


def test_a_file_is_credited_here_or_forwarded_and_the_same_key_answers_the_same_bytes(
    mizuho, mufg, mufg_db
) -> None:
    here = open_account(mizuho, MIZUHO, "ヤマダ タロウ")
    there = open_account(mufg, MUFG, "タナカ ジロウ")
    network = Network(mufg_db)
    transfers = Transfers(credits=Credits(code=MIZUHO), network=network)  # type: ignore[arg-type]
    smbc = {"bank": SMBC, "branch_code": "001", "number": "1234567", "kana": "ｽｽﾞｷ"}
    data = write_file(
        HEADER,
        [
            transfer(there, amount=200),
            transfer(here, amount=100),
            transfer(here, amount=5, name="ｻﾄｳ ﾊﾅｺ"),
            transfer(smbc, amount=9),
        ],
    )
    key = f"file-{secrets.token_hex(4)}"

    answer = transfers.receive(mizuho, payer="benefits", key=key, data=data)

    assert [r.code for r in read_results(answer).results] == [
        ResultCode.CREDITED,
        ResultCode.CREDITED,
        ResultCode.NAME_MISMATCH,
        ResultCode.BANK_NOT_CONNECTED,
    ]
    assert credited(mizuho) == [(MIZUHO, key, 2, 100)]
    assert credited(mufg) == [(MIZUHO, key, 1, 200)]
    assert transfers.receive(mizuho, payer="benefits", key=key, data=data) == answer
    assert len(network.forwarded) == 2  # answered from the stored result, not routed again
    with pytest.raises(errors.Conflict) as reused:
        transfers.receive(mizuho, payer="benefits", key=key, data=write_file(HEADER, []))
    assert reused.value.code == "idempotency_key_reused"
    with mizuho as conn:
        assert conn.scalar(select(func.count()).select_from(store.transfer_files)) == 1


def test_a_file_naming_another_paying_bank_is_refused_before_anything_is_kept(
    mufg, mufg_db
) -> None:
    there = open_account(mufg, MUFG, "タナカ ジロウ")
    network = Network(mufg_db)
    transfers = Transfers(credits=Credits(code=MUFG), network=network)  # type: ignore[arg-type]
    data = write_file(HEADER, [transfer(there, amount=200)])

    with pytest.raises(errors.InvalidInput):
        transfers.receive(mufg, payer="benefits", key="file-x", data=data)
    with pytest.raises(errors.InvalidInput):
        transfers.receive(mufg, payer="benefits", key="not a key!", data=data)
    assert credited(mufg) == [] and network.forwarded == []
    with mufg as conn:
        assert conn.scalar(select(func.count()).select_from(store.transfer_files)) == 0
