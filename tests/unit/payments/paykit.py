"""Hypothesis strategies and sample values shared by the payments tests."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from mynumber.payments import (
    ZENGIN_CHARACTERS,
    DepositType,
    Header,
    NewCode,
    ResultCode,
    Transfer,
    TransferKind,
    TransferResult,
)


def zengin_text(max_size: int, *, required: bool = False) -> st.SearchStrategy[str]:
    text = st.text(alphabet=ZENGIN_CHARACTERS, max_size=max_size).map(lambda s: s.rstrip(" "))
    return text.filter(bool) if required else text


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


@st.composite
def transfers(draw: st.DrawFn) -> Transfer:
    edi = draw(st.none() | zengin_text(20))
    codes = (
        {}
        if edi is not None
        else {"customer_code1": draw(digits(10)), "customer_code2": draw(digits(10))}
    )
    return Transfer(
        bank_code=draw(digits(4)),
        bank_name=draw(zengin_text(15)),
        branch_code=draw(digits(3)),
        branch_name=draw(zengin_text(15)),
        clearing_house=draw(digits(4)),
        deposit_type=draw(st.sampled_from(DepositType)),
        account_number=draw(digits(7)),
        payee_name=draw(zengin_text(30, required=True)),
        amount=draw(st.integers(1, 10**10 - 1)),
        new_code=draw(st.sampled_from(NewCode)),
        edi_info=edi,
        transfer_kind=draw(st.sampled_from(TransferKind)),
        **codes,
    )


headers = st.builds(
    Header,
    requester_code=digits(10),
    requester_name=zengin_text(40, required=True),
    transfer_date=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    bank_code=digits(4),
    bank_name=zengin_text(15),
    branch_code=digits(3),
    branch_name=zengin_text(15),
    deposit_type=st.sampled_from([DepositType.ORDINARY, DepositType.CURRENT, DepositType.OTHER]),
    account_number=digits(7),
)

results = st.builds(TransferResult, transfer=transfers(), code=st.sampled_from(ResultCode))

# A small, modest-amount batch, so that a file's total stays within 12 digits.
small_transfers = st.lists(
    transfers().map(lambda t: t.with_amount(t.amount % 10**8 + 1)), max_size=8
)


def sample_header() -> Header:
    return Header(
        requester_code="1234567890",
        requester_name="ﾅｲｶｸﾌ ﾄｸﾍﾞﾂﾃｲｶﾞｸｷﾕｳﾌｷﾝ",
        transfer_date=date(2020, 5, 1),
        bank_code="0001",
        bank_name="ﾐｽﾞﾎ",
        branch_code="001",
        branch_name="ﾄｳｷﾖｳ",
        deposit_type=DepositType.CURRENT,
        account_number="7654321",
    )


def sample_transfer(**changes: object) -> Transfer:
    values: dict[str, object] = {
        "bank_code": "0005",
        "bank_name": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴ-",
        "branch_code": "123",
        "branch_name": "ﾏﾙﾉｳﾁ",
        "deposit_type": DepositType.ORDINARY,
        "account_number": "12345",
        "payee_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "amount": 100_000,
        "new_code": NewCode.FIRST,
        "customer_code1": "42",
        "customer_code2": "7",
    }
    values.update(changes)
    return Transfer(**values)  # type: ignore[arg-type]
