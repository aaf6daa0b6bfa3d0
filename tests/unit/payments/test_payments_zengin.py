"""The 総合振込 records, field by field against domain-reference §10."""

from __future__ import annotations

from datetime import date

import pytest
from mynumber_test_paykit import sample_header, sample_transfer

from mynumber.errors import InvalidInput
from mynumber.payments import (
    MAX_AMOUNT,
    DepositType,
    End,
    Header,
    Trailer,
    Transfer,
    ZenginError,
    branch,
    read_file,
    split_records,
    transfer_records,
    write_file,
    write_records,
)


def sjis(text: str) -> bytes:
    return text.encode("cp932")


# Built by hand from the §10 tables, one field per line: (1-based position, content).
HEADER = b"".join(
    [
        b"1",  # 1 データ区分
        b"21",  # 2-3 種別コード: 総合振込
        b"0",  # 4 コード区分: JIS
        b"1234567890",  # 5-14 振込依頼人コード
        sjis("ﾅｲｶｸﾌ ﾄｸﾍﾞﾂﾃｲｶﾞｸｷﾕｳﾌｷﾝ") + b" " * 18,  # 15-54 振込依頼人名 (22 + 18)
        b"0501",  # 55-58 振込指定日 MMDD
        b"0001",  # 59-62 仕向銀行番号
        sjis("ﾐｽﾞﾎ") + b" " * 11,  # 63-77 仕向銀行名 (4 + 11)
        b"001",  # 78-80 仕向支店番号
        sjis("ﾄｳｷﾖｳ") + b" " * 10,  # 81-95 仕向支店名 (5 + 10)
        b"2",  # 96 預金種目: 当座
        b"7654321",  # 97-103 口座番号
        b" " * 17,  # 104-120 ダミー
    ]
)

DATA = b"".join(
    [
        b"2",  # 1 データ区分
        b"0005",  # 2-5 被仕向銀行番号
        sjis("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴ-") + b" " * 2,  # 6-20 被仕向銀行名 (13 + 2)
        b"123",  # 21-23 被仕向支店番号
        sjis("ﾏﾙﾉｳﾁ") + b" " * 10,  # 24-38 被仕向支店名 (5 + 10)
        b"0000",  # 39-42 手形交換所番号
        b"1",  # 43 預金種目: 普通
        b"0012345",  # 44-50 口座番号
        sjis("ﾔﾏﾀﾞ ﾀﾛｳ") + b" " * 22,  # 51-80 受取人名 (8 + 22)
        b"0000100000",  # 81-90 振込金額
        b"1",  # 91 新規コード: 第1回
        b"0000000042",  # 92-101 顧客コード1
        b"0000000007",  # 102-111 顧客コード2
        b"7",  # 112 振込指定区分: 電信
        b" ",  # 113 識別表示
        b" " * 7,  # 114-120 ダミー
    ]
)

TRAILER = b"8" + b"000002" + b"000000200000" + b" " * 101
END = b"9" + b" " * 119


def test_hand_built_records_are_120_bytes() -> None:
    assert [len(r) for r in (HEADER, DATA, TRAILER, END)] == [120] * 4


def test_header_matches_the_hand_built_record() -> None:
    assert sample_header().to_record() == HEADER
    assert Header.parse_record(HEADER, reference=date(2020, 4, 20)) == sample_header()


def test_data_record_matches_the_hand_built_record() -> None:
    assert sample_transfer().to_record() == DATA
    assert Transfer.parse_record(DATA) == sample_transfer()


def test_data_record_fields_sit_where_the_public_verifier_slices_them() -> None:
    record = sample_transfer().to_record()
    assert record[80:90] == b"0000100000"  # amount
    assert record[1:5] == b"0005"  # bank
    assert record[20:23] == b"123"  # branch
    assert record[43:50] == b"0012345"  # account
    assert record[50:80] == sjis("ﾔﾏﾀﾞ ﾀﾛｳ").ljust(30)  # name
    assert record[111:112] == b"7"  # 振込指定区分
    assert record[112:113] == b" "  # 識別表示


def test_edi_info_replaces_the_customer_codes_and_sets_the_identification() -> None:
    t = sample_transfer(customer_code1="0", customer_code2="0", edi_info="ｷﾕｳﾌｷﾝ 2020")
    record = t.to_record()
    assert record[91:111] == sjis("ｷﾕｳﾌｷﾝ 2020").ljust(20)
    assert record[112:113] == b"Y"
    assert t.identification == "Y"
    assert Transfer.parse_record(record) == t
    with pytest.raises(ZenginError) as caught:
        sample_transfer(edi_info="ABC")  # customer codes 42 and 7 set
    assert caught.value.field == "edi_info"


def test_trailer_and_end_records() -> None:
    assert Trailer(count=2, total=200_000).to_record() == TRAILER
    assert Trailer.parse_record(TRAILER) == Trailer(count=2, total=200_000)
    assert TRAILER[1:7] == b"000002"
    assert TRAILER[7:19] == b"000000200000"
    assert End().to_record() == END
    assert End.parse_record(END) == End()


def test_a_whole_file_is_header_data_trailer_end_with_crlf() -> None:
    data = write_file(sample_header(), [sample_transfer(), sample_transfer()])
    assert data == b"".join(r + b"\r\n" for r in (HEADER, DATA, DATA, TRAILER, END))
    assert len(data) == 5 * 122
    parsed = read_file(data, reference=date(2020, 4, 20))
    assert parsed.header == sample_header()
    assert parsed.transfers == (sample_transfer(), sample_transfer())
    assert parsed.trailer == Trailer(count=2, total=200_000)


def test_a_file_without_crlf_is_120_byte_records_back_to_back() -> None:
    data = write_file(sample_header(), [sample_transfer()], crlf=False)
    assert data == HEADER + DATA + Trailer(count=1, total=100_000).to_record() + END
    assert read_file(data, reference=date(2020, 5, 1)).transfers == (sample_transfer(),)
    assert split_records(data) == split_records(write_file(sample_header(), [sample_transfer()]))


def test_a_file_may_have_no_transfers() -> None:
    parsed = read_file(write_file(sample_header(), []), reference=date(2020, 5, 1))
    assert parsed.transfers == ()
    assert parsed.trailer == Trailer(count=0, total=0)


def test_short_values_are_normalised_as_the_layout_pads_them() -> None:
    t = sample_transfer(account_number="5", payee_name="ﾔﾏﾀﾞ  ", clearing_house="0")
    assert (t.account_number, t.payee_name, t.clearing_house) == ("0000005", "ﾔﾏﾀﾞ", "0000")


def test_a_transfer_for_a_registry_branch_cuts_long_names_to_their_fields() -> None:
    t = Transfer.for_branch(
        branch("0005", "001"),
        deposit_type=DepositType.ORDINARY,
        account_number="1",
        payee_name="ﾔﾏﾀﾞ ﾀﾛｳ",
        amount=1,
    )
    assert t.bank_code == "0005"
    assert len(t.bank_name) <= 15
    assert t.to_record()[1:5] == b"0005"


ACCOUNTS = [  # (deposit type, account number, payee name, amount)
    ("1", "1234567", "ﾔﾏﾀﾞ ﾀﾛｳ", 100_000),
    ("2", "0000001", "ｶ)ﾐﾗｲ", 1),
    ("4", "7654321", "ﾀ" * 30, MAX_AMOUNT),
    ("9", "5", "ﾔﾏﾀﾞ  ", 42),  # not in normal form: padded and trimmed as Transfer does
]


def test_transfer_records_are_the_records_of_transfers_byte_for_byte() -> None:
    at = branch("0005", "001")
    records = transfer_records(at, ACCOUNTS)
    expected = [
        Transfer.for_branch(
            at,
            deposit_type=DepositType(kind),
            account_number=number,
            payee_name=name,
            amount=amount,
        ).to_record()
        for kind, number, name, amount in ACCOUNTS
    ]
    assert records == expected
    header = sample_header()
    transfers = [Transfer.parse_record(r) for r in expected]
    assert write_records(header, records, [a[3] for a in ACCOUNTS]) == write_file(header, transfers)


@pytest.mark.parametrize(
    ("account", "field"),
    [
        (("3", "1234567", "ﾔﾏﾀﾞ", 1), "deposit_type"),
        ((["1"], "1234567", "ﾔﾏﾀﾞ", 1), "deposit_type"),
        (("1", "12345678", "ﾔﾏﾀﾞ", 1), "account_number"),
        (("1", "1234567", "", 1), "payee_name"),
        (("1", "1234567", "山田", 1), "payee_name"),
        (("1", "1234567", "ﾔ" * 31, 1), "payee_name"),
        (("1", "1234567", "ﾔﾏﾀﾞ", 0), "amount"),
        (("1", "1234567", "ﾔﾏﾀﾞ", 10**10), "amount"),
        (("1", "1234567", "ﾔﾏﾀﾞ", True), "amount"),
    ],
)
def test_transfer_records_refuse_what_a_transfer_refuses(
    account: tuple[str, str, str, int], field: str
) -> None:
    with pytest.raises(ZenginError) as caught:
        transfer_records(branch("0005", "001"), [ACCOUNTS[0], account])
    assert caught.value.field == field


def test_with_amount_keeps_the_payee_and_changes_only_the_amount() -> None:
    t = sample_transfer().with_amount(7)
    assert t.amount == 7
    assert t.to_record() == DATA[:80] + b"0000000007" + DATA[90:]
    assert t == sample_transfer(amount=7)
    with pytest.raises(ZenginError):
        sample_transfer().with_amount(0)


def test_repr_keeps_the_payee_out() -> None:
    text = repr(sample_transfer())
    assert "ﾔﾏﾀﾞ" not in text and "12345" not in text and "100000" not in text


def test_the_header_year_is_the_one_nearest_the_reference() -> None:
    assert Header.parse_record(HEADER, reference=date(2020, 12, 30)).transfer_date == date(
        2021, 5, 1
    )
    assert Header.parse_record(HEADER, reference=date(2021, 1, 2)).transfer_date == date(2021, 5, 1)
    feb29 = HEADER[:54] + b"0229" + HEADER[58:]
    assert Header.parse_record(feb29, reference=date(2023, 6, 1)).transfer_date == date(2024, 2, 29)


# --- building values: bad input names the field -------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bank_code": "001"}, "bank_code"),
        ({"bank_code": "000a"}, "bank_code"),
        ({"branch_code": "1234"}, "branch_code"),
        ({"account_number": "12345678"}, "account_number"),
        ({"account_number": 1234567}, "account_number"),
        ({"payee_name": ""}, "payee_name"),
        ({"payee_name": "山田"}, "payee_name"),
        ({"payee_name": "ﾔ" * 31}, "payee_name"),
        ({"bank_name": "ｱ" * 16}, "bank_name"),
        ({"amount": 0}, "amount"),
        ({"amount": 10**10}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"deposit_type": "1"}, "deposit_type"),
        ({"new_code": "0"}, "new_code"),
        ({"transfer_kind": "7"}, "transfer_kind"),
        ({"customer_code1": "12345678901"}, "customer_code1"),
        ({"customer_code1": "0", "customer_code2": "0", "edi_info": "ﾃｽﾄ" * 7}, "edi_info"),
    ],
)
def test_bad_transfer_values_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ZenginError) as caught:
        sample_transfer(**changes)
    assert caught.value.field == field
    assert isinstance(caught.value, InvalidInput)


def test_header_refuses_a_savings_account_and_a_non_date() -> None:
    with pytest.raises(ZenginError) as caught:
        Header(**{**_header_values(), "deposit_type": DepositType.SAVINGS})  # type: ignore[arg-type]
    assert caught.value.field == "deposit_type"
    with pytest.raises(ZenginError) as caught:
        Header(**{**_header_values(), "transfer_date": "0501"})  # type: ignore[arg-type]
    assert caught.value.field == "transfer_date"


def _header_values() -> dict[str, object]:
    h = sample_header()
    return {name: getattr(h, name) for name in Header.__dataclass_fields__}


def test_trailer_limits() -> None:
    with pytest.raises(ZenginError) as caught:
        Trailer(count=10**6, total=0)
    assert caught.value.field == "count"
    with pytest.raises(ZenginError) as caught:
        Trailer(count=1, total=10**12)
    assert caught.value.field == "total"
    with pytest.raises(ZenginError) as caught:
        Trailer.of([10**10 - 1] * 101)
    assert caught.value.field == "total"


# --- parsing: each fault on its own ---------------------------------------------------------


def put(record: bytes, offset: int, value: bytes) -> bytes:
    return record[:offset] + value + record[offset + len(value) :]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (DATA[:119], "record"),  # wrong length
        (DATA + b" ", "record"),
        (put(DATA, 0, b"1"), "data_kind"),  # wrong データ区分
        (put(DATA, 80, b"00001O0000"), "amount"),  # letter O in an N field
        (put(DATA, 80, b"         1"), "amount"),  # spaces in an N field
        (put(DATA, 1, b"00-5"), "bank_code"),
        (put(DATA, 20, b"1 3"), "branch_code"),
        (put(DATA, 43, b"001234x"), "account_number"),
        (put(DATA, 50, b"\x80"), "payee_name"),  # not a cp932 character
        (put(DATA, 50, b"\xff"), "payee_name"),
        (put(DATA, 50, sjis("山")), "payee_name"),  # a two-byte (kanji) character
        (put(DATA, 50, b"a"), "payee_name"),  # lower case
        (put(DATA, 5, b"\xb0"), "bank_name"),  # ｰ, not in the Zengin set
        (put(DATA, 42, b"3"), "deposit_type"),
        (put(DATA, 90, b"5"), "new_code"),
        (put(DATA, 111, b"9"), "transfer_kind"),
        (put(DATA, 112, b"N"), "identification"),
        (put(DATA, 115, b"X"), "dummy"),
        (put(DATA, 50, b" " * 30), "payee_name"),  # empty name
        (put(DATA, 80, b"0000000000"), "amount"),  # zero yen
    ],
)
def test_data_record_faults_name_the_field_and_the_record(record: bytes, field: str) -> None:
    with pytest.raises(ZenginError) as caught:
        Transfer.parse_record(record, number=5)
    assert caught.value.field == field
    assert caught.value.record == 5
    assert str(caught.value).startswith(f"record 5: {field}")
    assert "ﾔﾏﾀﾞ".encode("cp932") not in str(caught.value).encode("cp932", "replace")
    assert "ﾔﾏﾀﾞ" not in str(caught.value) and "12345" not in str(caught.value)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (put(HEADER, 1, b"11"), "kind_code"),
        (put(HEADER, 3, b"1"), "code_division"),
        (put(HEADER, 54, b"1301"), "transfer_date"),
        (put(HEADER, 54, b"0230"), "transfer_date"),
        (put(HEADER, 54, b"05 1"), "transfer_date"),
        (put(HEADER, 95, b"4"), "deposit_type"),
        (put(HEADER, 14, b" "), "requester_name"),  # leading space kept, name not empty
        (put(HEADER, 14, b" " * 40), "requester_name"),
        (put(HEADER, 110, b"x"), "dummy"),
        (put(HEADER, 0, b"2"), "data_kind"),
    ],
)
def test_header_faults_name_the_field(record: bytes, field: str) -> None:
    if field == "requester_name" and record[15:16] != b" ":
        # a leading space is allowed: only an all-space name is an error
        assert Header.parse_record(record, reference=date(2020, 5, 1)).requester_name[0] == " "
        return
    with pytest.raises(ZenginError) as caught:
        Header.parse_record(record, reference=date(2020, 5, 1), number=1)
    assert (caught.value.field, caught.value.record) == (field, 1)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (put(TRAILER, 1, b"00000a"), "count"),
        (put(TRAILER, 7, b"-00000000001"), "total"),
        (put(TRAILER, 50, b"0"), "dummy"),
        (put(END, 119, b"0"), "dummy"),
    ],
)
def test_trailer_and_end_faults_name_the_field(record: bytes, field: str) -> None:
    parse = Trailer.parse_record if record[:1] == b"8" else End.parse_record
    with pytest.raises(ZenginError) as caught:
        parse(record, number=9)
    assert (caught.value.field, caught.value.record) == (field, 9)


def lines(*records: bytes) -> bytes:
    return b"".join(r + b"\r\n" for r in records)


@pytest.mark.parametrize(
    ("data", "field", "record"),
    [
        (lines(HEADER, DATA, DATA, put(TRAILER, 1, b"000003"), END), "count", 4),
        (lines(HEADER, DATA, DATA, put(TRAILER, 7, b"000000200001"), END), "total", 4),
        (lines(DATA, HEADER, DATA, TRAILER, END), "data_kind", 1),  # out of order
        (lines(HEADER, DATA, TRAILER, DATA, END), "data_kind", 4),
        (lines(HEADER, DATA, DATA, END, TRAILER), "data_kind", 4),
        (lines(HEADER, HEADER, DATA, TRAILER, END), "data_kind", 2),
        (lines(HEADER, DATA, DATA, TRAILER), "file", None),  # no end record
        (lines(HEADER, DATA, DATA, TRAILER, END, END), "data_kind", 6),
        (lines(HEADER, put(DATA, 80, b"x"), DATA, TRAILER, END), "amount", 2),
        (lines(HEADER, DATA, put(DATA, 43, b"\x82\xa0"), TRAILER, END), "account_number", 3),
    ],
)
def test_file_faults_name_the_field_and_record(data: bytes, field: str, record: int | None) -> None:
    with pytest.raises(ZenginError) as caught:
        read_file(data, reference=date(2020, 5, 1))
    assert (caught.value.field, caught.value.record) == (field, record)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        lines(HEADER, TRAILER)[:-2],
        lines(HEADER, DATA, TRAILER, END)[:-1],  # last CRLF cut short
        HEADER + DATA + TRAILER + END + b"\x1a",  # a DOS end-of-file byte
        HEADER + b"\r\n" + DATA + b"\n\r" + TRAILER + b"\r\n" + END + b"\r\n",
    ],
)
def test_files_that_are_not_whole_records_are_refused(data: bytes) -> None:
    with pytest.raises(ZenginError):
        read_file(data, reference=date(2020, 5, 1))


def test_write_file_refuses_more_transfers_than_the_trailer_can_count() -> None:
    t = sample_transfer(amount=1)
    with pytest.raises(ZenginError) as caught:
        write_file(sample_header(), [t] * 1_000_000)
    assert caught.value.field == "count"
