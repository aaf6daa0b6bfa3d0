"""The public-fund account registry's use cases on its own database: one account per person,
confirmed by the account's bank before it is kept (a family member's account is refused),
changed, deleted only at the bank that holds it, answered to the hub one by one and in
bulk. The banks are real :class:`~mynumber.orgs.bank.services.Bank` services on their own
databases; J-LIS's enrolment is a table of codes. No federation is built."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, select

from mynumber import errors
from mynumber.orgs.accounts import handles, store
from mynumber.orgs.accounts.services import (
    BULK_FIELDS,
    ITEM,
    Account,
    AccountRefused,
    AccountRegistry,
    account_of,
    accounts_of,
)
from mynumber.orgs.bank.services import Bank
from mynumber.platform.uow import UnitOfWork

MIZUHO, MUFG = "0001", "0005"
BRANCH = {MIZUHO: "001", MUFG: "002"}
HANAKO, TARO = "123456789018", "987654321098"  # the numbers J-LIS knows here


class Banks:
    """The banks the registry asks, each a real bank service over its own database."""

    def __init__(self, database: Callable[[str, str], Engine]) -> None:
        self.engines = {
            code: database(f"bank-{code}", "mynumber.orgs.bank.migrations") for code in BRANCH
        }
        self.asked: list[str] = []

    def open(self, code: str, holder_kana: str) -> Account:
        (number,) = Bank(code=code).open_accounts(
            UnitOfWork(self.engines[code]),
            [{"branch_code": BRANCH[code], "deposit_type": "1", "holder_kana": holder_kana}],
        )
        return Account.checked(
            bank_code=code,
            branch_code=BRANCH[code],
            deposit_type="1",
            number=number,
            holder_kana=holder_kana,
        )

    def close(self, account: Account) -> None:
        Bank(code=account.bank_code).close_account(
            UnitOfWork(self.engines[account.bank_code]),
            account.branch_code,
            account.deposit_type,
            account.account_number,
        )

    def ask(self, code: str, body: dict[str, str]) -> dict[str, Any]:
        """口座名義の確認, as the bank's route answers it."""
        self.asked.append(code)
        verdict = Bank(code=code).verify(
            UnitOfWork(self.engines[code]),
            branch_code=body["branch_code"],
            deposit_type=body["deposit_type"],
            number=body["account_number"],
            holder_kana=body["holder_kana"],
        )
        return {"ok": verdict.ok, "reason": verdict.reason}


def enrol(numbers: list[str]) -> list[str | None]:
    """J-LIS through the hub: the registry's code for each current number."""
    codes = {HANAKO: "c" * 32, TARO: "d" * 32}
    return [codes.get(n) for n in numbers]


@pytest.fixture
def banks(database) -> Banks:
    return Banks(database)


@pytest.fixture
def work(database) -> UnitOfWork:
    return UnitOfWork(database("accounts", "mynumber.orgs.accounts.migrations"))


@pytest.fixture
def registry(banks) -> AccountRegistry:
    return AccountRegistry(enrol=enrol, ask_bank=banks.ask)


def rows(work: UnitOfWork, table: Table) -> int:
    with work as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_an_own_name_account_is_registered_once_shown_and_changed(registry, work, banks) -> None:
    code = registry.code_for(HANAKO)
    own = banks.open(MIZUHO, "ヤマダ ハナコ")

    shown = registry.register(work, code, own, channel="portal")

    assert (shown["bank_code"], shown["account_number"]) == (MIZUHO, own.account_number)
    assert (shown["channel"], shown["holder_kana"]) == ("portal", "ﾔﾏﾀﾞ ﾊﾅｺ")
    assert registry.show(work, code) == shown
    with pytest.raises(errors.Conflict) as again:
        registry.register(work, code, banks.open(MUFG, "ヤマダ ハナコ"), channel="portal")
    assert again.value.code == "already_registered"
    assert rows(work, store.registrations) == 1

    other = banks.open(MUFG, "ヤマダ ハナコ")
    changed = registry.change(work, code, other, channel="bank_counter")
    assert (changed["bank_code"], changed["branch_code"]) == (MUFG, BRANCH[MUFG])
    assert changed["registered_at"] == shown["registered_at"]
    assert registry.count(work) == 1


def test_the_bank_refuses_a_family_members_or_a_closed_account_and_nothing_is_kept(
    registry, work, banks
) -> None:
    code = registry.code_for(TARO)
    parents = banks.open(MIZUHO, "ヤマダ ハナコ")
    with pytest.raises(AccountRefused) as family:
        registry.register(work, code, replace_kana(parents, "ﾔﾏﾀﾞ ﾀﾛｳ"), channel="portal")
    assert family.value.code == "holder_name_mismatch"

    own = banks.open(MIZUHO, "ヤマダ タロウ")
    banks.close(own)
    with pytest.raises(AccountRefused) as closed:
        registry.register(work, code, own, channel="portal")
    assert closed.value.code == "account_closed"

    assert banks.asked == [MIZUHO, MIZUHO]
    assert rows(work, store.registrations) == 0 and rows(work, store.holders) == 0
    with pytest.raises(errors.NotFound):
        registry.show(work, code)
    with pytest.raises(errors.NotFound):  # nothing to change either
        registry.change(work, code, banks.open(MIZUHO, "ヤマダ タロウ"), channel="portal")


def replace_kana(account: Account, kana: str) -> Account:
    return Account(
        account.bank_code, account.branch_code, account.deposit_type, account.account_number, kana
    )


def test_an_account_is_deleted_only_at_the_bank_that_holds_it(registry, work, banks) -> None:
    code = registry.code_for(HANAKO)
    registry.register(work, code, banks.open(MUFG, "ヤマダ ハナコ"), channel="bank_counter")

    with pytest.raises(errors.Forbidden) as elsewhere:
        registry.delete(work, code, at_bank=f"bank-{MIZUHO}")
    assert elsewhere.value.code == "not_this_bank"
    assert registry.show(work, code)["bank_code"] == MUFG

    registry.delete(work, code, at_bank=f"bank-{MUFG}")
    with pytest.raises(errors.NotFound):
        registry.show(work, code)
    with pytest.raises(errors.NotFound):
        registry.delete(work, code)
    assert registry.count(work) == 0


def test_an_unknown_number_gets_no_code() -> None:
    registry = AccountRegistry(enrol=enrol, ask_bank=lambda code, body: {"ok": True})
    with pytest.raises(errors.NotFound):
        registry.code_for("111111111118")


def test_the_hub_gets_the_account_one_by_one_with_a_handle_and_in_bulk_alone(
    registry, work, banks
) -> None:
    code = registry.code_for(HANAKO)
    nobody = registry.code_for(TARO)
    account = banks.open(MIZUHO, "ヤマダ ハナコ")
    registry.register(work, code, account, channel="portal")
    handle = handles.Handles(secrets.token_bytes(32))

    one = account_of(
        work, registry=registry, handle=handle, code=code, items=frozenset({ITEM, handles.ITEM})
    )
    assert one is not None
    assert one[ITEM]["account_number"] == account.account_number
    assert "channel" not in one[ITEM] and isinstance(one[ITEM]["updated_at"], str)
    assert handle.code_of(one[handles.ITEM]) == code
    assert (
        account_of(work, registry=registry, handle=handle, code=nobody, items=frozenset({ITEM}))
        is None
    )
    for_portal = account_of(
        work, registry=registry, handle=handle, code=nobody, items=frozenset({ITEM, handles.ITEM})
    )
    assert for_portal is not None and for_portal[ITEM] is None
    assert handle.code_of(for_portal[handles.ITEM]) == nobody

    bulk = accounts_of(work, registry=registry, codes=[code, nobody], items=frozenset({ITEM}))
    assert {c: dict(zip(BULK_FIELDS, values, strict=True)) for c, values in bulk.items()} == {
        code: {
            "bank_code": MIZUHO,
            "branch_code": BRANCH[MIZUHO],
            "deposit_type": "1",
            "number": account.account_number,
            "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ",
        }
    }
    with pytest.raises(errors.InvalidInput):
        accounts_of(work, registry=registry, codes=[code], items=frozenset({handles.ITEM}))


def test_demo_registrations_skip_the_bank_and_unknown_numbers(registry, work, banks) -> None:
    own = banks.open(MIZUHO, "ヤマダ ハナコ")

    kept = registry.register_demo(work, [(HANAKO, own), ("111111111118", own)])

    assert kept == 1 and banks.asked == []
    assert registry.show(work, registry.code_for(HANAKO))["channel"] == "demo"
    assert registry.register_demo(work, [(HANAKO, own)]) == 1  # again: kept once
    assert rows(work, store.registrations) == 1
