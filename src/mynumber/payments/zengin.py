"""The 全銀協 総合振込 (bulk transfer) file: 120-byte records, cp932, one file per paying bank.

Layout, offsets and rules from domain-reference §10 (全銀協制定ファイルフォーマット【総合振込】;
a public Python Zengin verifier's slices): header (データ区分 1), data records (2), trailer (8),
end (9); N fields right-aligned and zero-filled, C fields left-aligned and space-filled, in
the Zengin character set of :mod:`mynumber.payments.kana`. Python offsets in comments are
0-based slices; the table's positions are 1-based.

Only the single-file form (one header … one end) is read and written. Errors are
:class:`ZenginError`: they name the field and the record number, never the data.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from mynumber import jst
from mynumber.errors import InvalidInput
from mynumber.payments.banks import Branch, DepositType
from mynumber.payments.kana import ZENGIN_BYTES, ZENGIN_CHARACTERS

__all__ = [
    "MAX_AMOUNT",
    "MAX_COUNT",
    "MAX_TOTAL",
    "RECORD_LENGTH",
    "End",
    "Header",
    "NewCode",
    "RecordKind",
    "Trailer",
    "Transfer",
    "TransferKind",
    "ZenginError",
    "ZenginFile",
    "read_file",
    "split_records",
    "transfer_records",
    "write_file",
    "write_records",
]

RECORD_LENGTH = 120
MAX_AMOUNT = 10**10 - 1  # 振込金額 N(10)
MAX_COUNT = 10**6 - 1  # 合計件数 N(6)
MAX_TOTAL = 10**12 - 1  # 合計金額 N(12)

_DIGITS = re.compile(rb"[0-9]*")
_TEXT = re.compile("[" + re.escape(ZENGIN_CHARACTERS) + "]*")
_CRLF = b"\r\n"
_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")


class RecordKind(enum.Enum):
    """データ区分, the first byte of every record (§10)."""

    HEADER = "1"
    DATA = "2"
    TRAILER = "8"
    END = "9"


class NewCode(enum.Enum):
    """新規コード, data record pos 91 (§10)."""

    OTHER = "0"
    FIRST = "1"  # 第1回振込分
    CHANGED = "2"  # 変更分


class TransferKind(enum.Enum):
    """振込指定区分, data record pos 112 (§10)."""

    TELEGRAPHIC = "7"  # 電信
    DOCUMENTARY = "8"  # 文書


class ZenginError(InvalidInput):
    """A Zengin value or record is invalid; ``field`` and ``record`` (1-based) say where."""

    code = "zengin_invalid"

    def __init__(self, message: str, *, field: str, record: int | None = None) -> None:
        where = f"record {record}: " if record is not None else ""
        super().__init__(f"{where}{field}: {message}", field=field)
        self.record = record
        self.reason = message


# --- value checks shared by the records -----------------------------------------------------


def _digits(value: str, width: int, name: str, *, pad: bool = False) -> str:
    """An N field held as text: exactly ``width`` ASCII digits (or up to, zero-padded)."""
    if (
        not isinstance(value, str)
        or not value.isascii()
        or not value.isdigit()
        or (len(value) != width if not pad else not 1 <= len(value) <= width)
    ):
        size = f"1 to {width}" if pad else str(width)
        raise ZenginError(f"must be {size} digits", field=name)
    return value.zfill(width)


def _text(value: str, width: int, name: str, *, required: bool = False) -> str:
    """A C field: Zengin characters, at most ``width`` (each one byte), trailing spaces cut."""
    if not isinstance(value, str) or _TEXT.fullmatch(value) is None:
        raise ZenginError("holds a character outside the Zengin set", field=name)
    value = value.rstrip(" ")
    if len(value) > width:
        raise ZenginError(f"{len(value)} characters do not fit in {width}", field=name)
    if required and not value:
        raise ZenginError("is empty", field=name)
    return value


def _number(value: int, limit: int, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= limit:
        raise ZenginError(f"must be a whole number from {minimum} to {limit}", field=name)
    return value


def _enum(kind: type[_E], value: object, name: str) -> _E:
    if isinstance(value, kind):
        return value
    raise ZenginError(f"must be a {kind.__name__}", field=name)


# --- reading fields out of a record ---------------------------------------------------------


class _Reader:
    """Slices one record; every failure names the field and the record number."""

    __slots__ = ("data", "number")

    def __init__(self, data: bytes, number: int | None, kind: RecordKind) -> None:
        self.data = data
        self.number = number
        if not isinstance(data, bytes | bytearray):
            raise ZenginError("must be bytes", field="record", record=number)
        if len(data) != RECORD_LENGTH:
            raise ZenginError(
                f"is {len(data)} bytes, not {RECORD_LENGTH}", field="record", record=number
            )
        if data[:1] != kind.value.encode():
            raise ZenginError(
                f"データ区分 is not {kind.value} ({kind.name.lower()})",
                field="data_kind",
                record=number,
            )

    def fail(self, message: str, name: str) -> ZenginError:
        return ZenginError(message, field=name, record=self.number)

    def digits(self, start: int, end: int, name: str) -> str:
        raw = self.data[start:end]
        if _DIGITS.fullmatch(raw) is None:
            raise self.fail("N field holds a byte that is not a digit", name)
        return raw.decode("ascii")

    def text(self, start: int, end: int, name: str) -> str:
        raw = self.data[start:end]
        if raw.translate(None, ZENGIN_BYTES):
            raise self.fail("C field holds a byte outside the Zengin cp932 set", name)
        return raw.decode("cp932").rstrip(" ")

    def choice(self, start: int, kind: type[_E], name: str) -> _E:
        raw = self.data[start : start + 1].decode("latin-1")
        try:
            return kind(raw)
        except ValueError:
            raise self.fail(f"is not a {kind.__name__} code", name) from None

    def blank(self, start: int, end: int, name: str = "dummy") -> None:
        if self.data[start:end].strip(b" "):
            raise self.fail("must be spaces", name)

    def build(self, make: type[_T], **values: object) -> _T:
        """Construct the record's value object, adding the record number to its errors."""
        try:
            return make(**values)
        except ZenginError as exc:
            raise ZenginError(exc.reason, field=exc.field or "record", record=self.number) from None


def _transfer_date(mmdd: str, reference: date, name: str, reader: _Reader) -> date:
    """The date nearest ``reference`` with this month and day (a file carries no year)."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise reader.fail("is not a valid MMDD date", name)
    return min(candidates, key=lambda d: abs((d - reference).days))


# --- the records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """ヘッダー・レコード: who pays, from which account, on which day (§10, データ区分 1)."""

    KIND_CODE = "21"  # 種別コード: 総合振込 (11 給与, 12 賞与, 71/72 公務員, 91 口座振替)
    CODE_DIVISION = "0"  # コード区分: JIS (1 = EBCDIC, not supported)

    requester_code: str  # 振込依頼人コード (委託者コード), N(10), assigned by the bank
    requester_name: str  # 振込依頼人名, C(40)
    transfer_date: date  # 振込指定日, written MMDD
    bank_code: str  # 仕向銀行番号, N(4)
    bank_name: str  # 仕向銀行名, C(15)
    branch_code: str  # 仕向支店番号, N(3)
    branch_name: str  # 仕向支店名, C(15)
    deposit_type: DepositType  # 預金種目 (依頼人): 1, 2 or 9
    account_number: str  # 口座番号 (依頼人), N(7)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "requester_code", _digits(self.requester_code, 10, "requester_code", pad=True))
        s(
            self,
            "requester_name",
            _text(self.requester_name, 40, "requester_name", required=True),
        )
        if not isinstance(self.transfer_date, date):
            raise ZenginError("must be a date", field="transfer_date")
        s(self, "bank_code", _digits(self.bank_code, 4, "bank_code"))
        s(self, "bank_name", _text(self.bank_name, 15, "bank_name"))
        s(self, "branch_code", _digits(self.branch_code, 3, "branch_code"))
        s(self, "branch_name", _text(self.branch_name, 15, "branch_name"))
        kind = _enum(DepositType, self.deposit_type, "deposit_type")
        if kind is DepositType.SAVINGS:
            raise ZenginError("the requester's account must be 1, 2 or 9", field="deposit_type")
        s(self, "account_number", _digits(self.account_number, 7, "account_number", pad=True))

    def to_record(self) -> bytes:
        d = self.transfer_date
        return (
            f"1{self.KIND_CODE}{self.CODE_DIVISION}{self.requester_code}"
            f"{self.requester_name:<40}{d.month:02d}{d.day:02d}"
            f"{self.bank_code}{self.bank_name:<15}{self.branch_code}{self.branch_name:<15}"
            f"{self.deposit_type.value}{self.account_number}{'':17}"
        ).encode("cp932")

    @classmethod
    def parse_record(
        cls, record: bytes, *, reference: date | None = None, number: int | None = None
    ) -> Header:
        """Parse a header; the year of 振込指定日 is the one nearest ``reference`` (today)."""
        r = _Reader(record, number, RecordKind.HEADER)
        if r.digits(1, 3, "kind_code") != cls.KIND_CODE:
            raise r.fail("種別コード is not 21 (総合振込)", "kind_code")
        if r.digits(3, 4, "code_division") != cls.CODE_DIVISION:
            raise r.fail("コード区分 is not 0 (JIS)", "code_division")
        mmdd = r.digits(54, 58, "transfer_date")
        r.blank(103, 120)
        return r.build(
            cls,
            requester_code=r.digits(4, 14, "requester_code"),
            requester_name=r.text(14, 54, "requester_name"),
            transfer_date=_transfer_date(mmdd, reference or jst.today(), "transfer_date", r),
            bank_code=r.digits(58, 62, "bank_code"),
            bank_name=r.text(62, 77, "bank_name"),
            branch_code=r.digits(77, 80, "branch_code"),
            branch_name=r.text(80, 95, "branch_name"),
            deposit_type=r.choice(95, DepositType, "deposit_type"),
            account_number=r.digits(96, 103, "account_number"),
        )


_NO_CUSTOMER_CODE = "0" * 10
_C = "[" + re.escape(ZENGIN_CHARACTERS) + "]"
# Data record bytes 0:80 and 90:120 (the amount, 80:90, left out), field by field per §10.
_DATA_FIXED = re.compile(
    f"2[0-9]{{4}}{_C}{{15}}[0-9]{{3}}{_C}{{15}}[0-9]{{4}}[1249][0-9]{{7}}{_C}{{30}}"
    f"[012](?:[0-9]{{20}}[78] |{_C}{{20}}[78]Y) {{7}}"
)


@dataclass(frozen=True, slots=True)
class Transfer:
    """データ・レコード: one payment to one account (§10, データ区分 2).

    ``edi_info`` (C(20), pos 92–111) replaces the two customer codes and sets 識別表示 to
    ``Y``. The payee's name, account and customer codes are kept out of ``repr``.
    The record is built once, here: :meth:`to_record` only inserts the amount.
    """

    bank_code: str  # 被仕向銀行番号, N(4)
    bank_name: str  # 被仕向銀行名, C(15)
    branch_code: str  # 被仕向支店番号, N(3)
    branch_name: str  # 被仕向支店名, C(15)
    deposit_type: DepositType  # 預金種目
    account_number: str = field(repr=False)  # 口座番号, N(7)
    payee_name: str = field(repr=False)  # 受取人名, C(30)
    amount: int = field(repr=False)  # 振込金額, N(10), yen, at least 1
    new_code: NewCode = NewCode.OTHER  # 新規コード
    customer_code1: str = field(default=_NO_CUSTOMER_CODE, repr=False)  # 顧客コード1, N(10)
    customer_code2: str = field(default=_NO_CUSTOMER_CODE, repr=False)  # 顧客コード2, N(10)
    edi_info: str | None = field(default=None, repr=False)  # EDI情報, C(20)
    transfer_kind: TransferKind = TransferKind.TELEGRAPHIC  # 振込指定区分
    clearing_house: str = "0000"  # 手形交換所番号, N(4), unused
    # the record with b"%010d" in place of the amount, computed once per payee
    _template: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The hot path (millions of records): values already in normal form are checked by
        # type and length, formatted once, and the 110 fixed bytes matched by one regex.
        # Anything else takes the field-by-field path, which normalises or names the fault.
        fixed = self._fixed() if self._looks_normal() else None
        if fixed is None or _DATA_FIXED.fullmatch(fixed) is None:
            self._normalise()
            fixed = self._fixed()
        data = fixed.encode("cp932")  # Zengin characters hold no "%"
        object.__setattr__(self, "_template", data[:80] + b"%010d" + data[80:])

    def _looks_normal(self) -> bool:
        t = self
        return (
            type(t.bank_code) is str
            and len(t.bank_code) == 4
            and type(t.branch_code) is str
            and len(t.branch_code) == 3
            and type(t.clearing_house) is str
            and len(t.clearing_house) == 4
            and type(t.account_number) is str
            and len(t.account_number) == 7
            and type(t.bank_name) is str
            and t.bank_name[-1:] != " "
            and type(t.branch_name) is str
            and t.branch_name[-1:] != " "
            and type(t.payee_name) is str
            and t.payee_name[-1:] not in ("", " ")
            and type(t.amount) is int
            and 0 < t.amount <= MAX_AMOUNT
            and type(t.deposit_type) is DepositType
            and type(t.new_code) is NewCode
            and type(t.transfer_kind) is TransferKind
            and type(t.customer_code1) is str
            and len(t.customer_code1) == 10
            and type(t.customer_code2) is str
            and len(t.customer_code2) == 10
            and (
                t.edi_info is None
                or (
                    type(t.edi_info) is str
                    and t.edi_info[-1:] != " "
                    and t.customer_code1 == t.customer_code2 == _NO_CUSTOMER_CODE
                )
            )
        )

    def _fixed(self) -> str:
        """The record without its amount (110 characters when every field fits)."""
        if self.edi_info is None:
            reference = f"{self.customer_code1}{self.customer_code2}{self.transfer_kind._value_} "
        else:
            reference = f"{self.edi_info:<20}{self.transfer_kind._value_}Y"
        return (
            f"2{self.bank_code}{self.bank_name:<15}{self.branch_code}{self.branch_name:<15}"
            f"{self.clearing_house}{self.deposit_type._value_}{self.account_number}"
            f"{self.payee_name:<30}{self.new_code._value_}{reference}       "
        )

    def _normalise(self) -> None:
        s = object.__setattr__
        s(self, "bank_code", _digits(self.bank_code, 4, "bank_code"))
        s(self, "bank_name", _text(self.bank_name, 15, "bank_name"))
        s(self, "branch_code", _digits(self.branch_code, 3, "branch_code"))
        s(self, "branch_name", _text(self.branch_name, 15, "branch_name"))
        s(self, "clearing_house", _digits(self.clearing_house, 4, "clearing_house", pad=True))
        _enum(DepositType, self.deposit_type, "deposit_type")
        s(self, "account_number", _digits(self.account_number, 7, "account_number", pad=True))
        s(self, "payee_name", _text(self.payee_name, 30, "payee_name", required=True))
        _number(self.amount, MAX_AMOUNT, "amount", minimum=1)
        _enum(NewCode, self.new_code, "new_code")
        s(self, "customer_code1", _digits(self.customer_code1, 10, "customer_code1", pad=True))
        s(self, "customer_code2", _digits(self.customer_code2, 10, "customer_code2", pad=True))
        if self.edi_info is not None:
            if (self.customer_code1, self.customer_code2) != (_NO_CUSTOMER_CODE,) * 2:
                raise ZenginError("EDI info replaces the customer codes", field="edi_info")
            s(self, "edi_info", _text(self.edi_info, 20, "edi_info"))
        _enum(TransferKind, self.transfer_kind, "transfer_kind")

    @classmethod
    def for_branch(
        cls,
        branch: Branch,
        *,
        deposit_type: DepositType,
        account_number: str,
        payee_name: str,
        amount: int,
        **options: object,
    ) -> Transfer:
        """A transfer to an account at ``branch``, its names cut to their 15-byte fields.

        Registry bank and branch names can be longer in half-width kana than the field;
        the codes are what the receiving bank routes on, so the names are truncated.
        ``payee_name`` must already be Zengin kana (see ``kana.to_zengin_kana``).
        """
        return cls(
            bank_code=branch.bank.code,
            bank_name=branch.bank.kana[:15],
            branch_code=branch.code,
            branch_name=branch.kana[:15],
            deposit_type=deposit_type,
            account_number=account_number,
            payee_name=payee_name,
            amount=amount,
            **options,  # type: ignore[arg-type]
        )

    def with_amount(self, amount: int) -> Transfer:
        """The same payee and account with another amount, without checking them again.

        The per-payee part of the record is reused, so a payee list built once can be paid
        many times cheaply.
        """
        _number(amount, MAX_AMOUNT, "amount", minimum=1)
        copy = object.__new__(Transfer)
        for name in _TRANSFER_SLOTS:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "amount", amount)
        return copy

    @property
    def identification(self) -> str:
        """識別表示, pos 113: ``Y`` when the record carries EDI info, else a space."""
        return " " if self.edi_info is None else "Y"

    def to_record(self) -> bytes:
        return self._template % self.amount

    @classmethod
    def parse_record(cls, record: bytes, *, number: int | None = None) -> Transfer:
        if type(record) is bytes and (m := _DATA_RECORD.fullmatch(record)) is not None:
            # The hot path: the whole layout matched at once; only what the regex cannot
            # see (an empty name, a zero amount) is left to check.
            name = m[8].decode("cp932").rstrip(" ")
            amount = int(m[9])
            if name and amount:
                return cls._from_match(m, name, amount, record)
        r = _Reader(record, number, RecordKind.DATA)
        r.blank(113, 120)
        identification = r.data[112:113]
        if identification == b"Y":
            edi_info: str | None = r.text(91, 111, "edi_info")
            codes = (_NO_CUSTOMER_CODE, _NO_CUSTOMER_CODE)
        elif identification == b" ":
            edi_info = None
            codes = (r.digits(91, 101, "customer_code1"), r.digits(101, 111, "customer_code2"))
        else:
            raise r.fail("識別表示 is neither Y nor a space", "identification")
        return r.build(
            cls,
            bank_code=r.digits(1, 5, "bank_code"),
            bank_name=r.text(5, 20, "bank_name"),
            branch_code=r.digits(20, 23, "branch_code"),
            branch_name=r.text(23, 38, "branch_name"),
            clearing_house=r.digits(38, 42, "clearing_house"),
            deposit_type=r.choice(42, DepositType, "deposit_type"),
            account_number=r.digits(43, 50, "account_number"),
            payee_name=r.text(50, 80, "payee_name"),
            amount=int(r.digits(80, 90, "amount")),
            new_code=r.choice(90, NewCode, "new_code"),
            customer_code1=codes[0],
            customer_code2=codes[1],
            edi_info=edi_info,
            transfer_kind=r.choice(111, TransferKind, "transfer_kind"),
        )

    @classmethod
    def _from_match(cls, m: re.Match[bytes], name: str, amount: int, record: bytes) -> Transfer:
        """A transfer from a record matched by ``_DATA_RECORD``, without checking again."""
        t = object.__new__(cls)
        s = object.__setattr__
        s(t, "bank_code", m[1].decode())
        s(t, "bank_name", m[2].decode("cp932").rstrip(" "))
        s(t, "branch_code", m[3].decode())
        s(t, "branch_name", m[4].decode("cp932").rstrip(" "))
        s(t, "clearing_house", m[5].decode())
        s(t, "deposit_type", _DEPOSIT_TYPES[m[6]])
        s(t, "account_number", m[7].decode())
        s(t, "payee_name", name)
        s(t, "amount", amount)
        s(t, "new_code", _NEW_CODES[m[10]])
        if m[14] is None:
            s(t, "customer_code1", m[11].decode())
            s(t, "customer_code2", m[12].decode())
            s(t, "edi_info", None)
            s(t, "transfer_kind", _TRANSFER_KINDS[m[13]])
        else:
            s(t, "customer_code1", _NO_CUSTOMER_CODE)
            s(t, "customer_code2", _NO_CUSTOMER_CODE)
            s(t, "edi_info", m[14].decode("cp932").rstrip(" "))
            s(t, "transfer_kind", _TRANSFER_KINDS[m[15]])
        s(t, "_template", record[:80] + b"%010d" + record[90:])
        return t


_TRANSFER_SLOTS: tuple[str, ...] = Transfer.__slots__
_DEPOSIT_TYPES = {k.value.encode(): k for k in DepositType}
_NEW_CODES = {k.value.encode(): k for k in NewCode}
_TRANSFER_KINDS = {k.value.encode(): k for k in TransferKind}
_CB = b"[" + re.escape(ZENGIN_BYTES) + b"]"
# The whole data record (§10), one group per field; groups 11-13 or 14-15 by 識別表示.
_DATA_RECORD = re.compile(
    b"2([0-9]{4})(%b{15})([0-9]{3})(%b{15})([0-9]{4})([1249])([0-9]{7})(%b{30})([0-9]{10})"
    b"([012])(?:([0-9]{10})([0-9]{10})([78]) |(%b{20})([78])Y) {7}" % ((_CB,) * 4)
)


@dataclass(frozen=True, slots=True)
class Trailer:
    """トレーラ・レコード: 合計件数 N(6) and 合計金額 N(12) of the data records (§10)."""

    count: int
    total: int

    def __post_init__(self) -> None:
        _number(self.count, MAX_COUNT, "count")
        _number(self.total, MAX_TOTAL, "total")

    def to_record(self) -> bytes:
        return b"8%06d%012d" % (self.count, self.total) + b" " * 101

    @classmethod
    def parse_record(cls, record: bytes, *, number: int | None = None) -> Trailer:
        r = _Reader(record, number, RecordKind.TRAILER)
        r.blank(19, 120)
        return r.build(cls, count=int(r.digits(1, 7, "count")), total=int(r.digits(7, 19, "total")))

    @classmethod
    def of(cls, amounts: Iterable[int]) -> Trailer:
        """The trailer for these amounts; ``ZenginError`` if they overflow its fields."""
        amounts = amounts if isinstance(amounts, Sequence) else list(amounts)
        count, total = len(amounts), sum(amounts)
        if count > MAX_COUNT:
            raise ZenginError(
                f"{count} transfers exceed the {MAX_COUNT} one file can hold", field="count"
            )
        if total > MAX_TOTAL:
            raise ZenginError(f"the total exceeds {MAX_TOTAL} yen", field="total")
        return cls(count=count, total=total)


@dataclass(frozen=True, slots=True)
class End:
    """エンド・レコード: ``9`` and 119 spaces (§10)."""

    def to_record(self) -> bytes:
        return b"9" + b" " * 119

    @classmethod
    def parse_record(cls, record: bytes, *, number: int | None = None) -> End:
        _Reader(record, number, RecordKind.END).blank(1, 120)
        return cls()


@dataclass(frozen=True, slots=True)
class ZenginFile:
    """A whole 総合振込 file as read: its header, transfers and (checked) trailer."""

    header: Header
    transfers: tuple[Transfer, ...]
    trailer: Trailer


# --- whole files ----------------------------------------------------------------------------


def write_file(header: Header, transfers: Iterable[Transfer], *, crlf: bool = True) -> bytes:
    """Header, data records, a trailer with the computed count and total, end record.

    Lines are 122 bytes with CRLF (the default), or 120 bytes back to back.
    """
    transfers = transfers if isinstance(transfers, Sequence) else list(transfers)
    records = [t._template % t.amount for t in transfers]  # = t.to_record(), inlined
    return write_records(header, records, list(map(_amount, transfers)), crlf=crlf)


def write_records(
    header: Header, records: list[bytes], amounts: Sequence[int], *, crlf: bool = True
) -> bytes:
    """:func:`write_file` of data records already made (:func:`transfer_records`), their
    amounts in the same order for the trailer. ``records`` becomes the file's list."""
    trailer = Trailer.of(amounts)
    records.insert(0, header.to_record())
    records += [trailer.to_record(), End().to_record()]
    return _join(records, crlf)


#: The part of a plain data record that differs between accounts of one branch: 預金種目,
#: 口座番号 and 受取人名 (record bytes 42–80), in normal form.
_PER_ACCOUNT = re.compile(f"[1249][0-9]{{7}}{_C}{{30}}")


def transfer_records(branch: Branch, accounts: Iterable[tuple[str, str, str, int]]) -> list[bytes]:
    """The data records of plain transfers (the defaults of :class:`Transfer`) to accounts
    at ``branch``, one per (deposit type code, account number, payee name, amount): byte for
    byte ``Transfer.for_branch(...).to_record()``, without an object per record (a file
    holds up to 999,999). The branch's part of the record is made and checked once; each
    account's by one pattern; a value not already in normal form takes :class:`Transfer`,
    which normalises it or raises :class:`ZenginError` naming the field."""
    sample = Transfer.for_branch(
        branch, deposit_type=DepositType.ORDINARY, account_number="0", payee_name="ｱ", amount=1
    )
    head, tail = sample._template[:42], sample._template[80:]  # tail: b"%010d" + the rest
    template = head.decode("cp932") + "%s" + tail.decode("cp932")
    match = _PER_ACCOUNT.fullmatch
    records: list[bytes] = []
    for kind, number, name, amount in accounts:
        if (
            type(kind) is type(number) is type(name) is str
            and match(middle := f"{kind}{number}{name:<30}") is not None
            and name[-1:] not in ("", " ")
            and type(amount) is int
            and 0 < amount <= MAX_AMOUNT
        ):
            records.append((template % (middle, amount)).encode("cp932"))
            continue
        deposit_type = _DEPOSIT_CODES.get(kind) if type(kind) is str else None
        if deposit_type is None:
            raise ZenginError("must be a DepositType", field="deposit_type")
        transfer = Transfer.for_branch(
            branch, deposit_type=deposit_type, account_number=number, payee_name=name, amount=amount
        )
        records.append(transfer.to_record())
    return records


_DEPOSIT_CODES: dict[object, DepositType] = {k.value: k for k in DepositType}


_amount = operator.attrgetter("amount")


def _join(records: list[bytes], crlf: bool) -> bytes:
    if not crlf:
        return b"".join(records)
    records.append(b"")
    return _CRLF.join(records)


def split_records(data: bytes) -> list[bytes]:
    """Cut a file into 120-byte records, with or without CRLF after each (no other form)."""
    if not isinstance(data, bytes | bytearray):
        raise ZenginError("must be bytes", field="file")
    data = bytes(data)
    if data[RECORD_LENGTH : RECORD_LENGTH + 2] == _CRLF or data.endswith(_CRLF):
        size = RECORD_LENGTH + 2
        if len(data) % size:
            raise ZenginError(f"is not a whole number of {size}-byte lines", field="file")
        records = [data[i : i + RECORD_LENGTH] for i in range(0, len(data), size)]
        for n, i in enumerate(range(RECORD_LENGTH, len(data), size), start=1):
            if data[i : i + 2] != _CRLF:
                raise ZenginError("does not end with CRLF", field="record", record=n)
        return records
    if len(data) % RECORD_LENGTH:
        raise ZenginError(f"is not a whole number of {RECORD_LENGTH}-byte records", field="file")
    return [data[i : i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]


def _kinds(records: Sequence[bytes]) -> None:
    """Check the order header, data…, trailer, end — before any field is read."""
    names = {b"1": "a header", b"2": "a data", b"8": "a trailer", b"9": "an end"}
    # what may follow each kind of record; the first must be a header
    follows = {None: (b"1",), b"1": (b"2", b"8"), b"2": (b"2", b"8"), b"8": (b"9",), b"9": ()}
    previous: bytes | None = None
    for n, record in enumerate(records, start=1):
        kind = record[:1]
        allowed = follows[previous]
        if kind not in allowed:
            expected = " or ".join(names[k] for k in allowed) or "nothing"
            raise ZenginError(f"expected {expected} record here", field="data_kind", record=n)
        previous = kind
    if previous != b"9":
        raise ZenginError("ends before its trailer and end records", field="file")


def read_file(data: bytes, *, reference: date | None = None) -> ZenginFile:
    """Parse and check a whole file: record order, every field, and the trailer's sums.

    ``reference`` picks the year of 振込指定日 (the year nearest it; default today).
    """
    records = split_records(data)
    _kinds(records)
    header = Header.parse_record(records[0], reference=reference, number=1)
    transfers = tuple(
        Transfer.parse_record(record, number=n) for n, record in enumerate(records[1:-2], start=2)
    )
    trailer = _check_trailer(records, [t.amount for t in transfers])
    End.parse_record(records[-1], number=len(records))
    return ZenginFile(header=header, transfers=transfers, trailer=trailer)


def _check_trailer(records: Sequence[bytes], amounts: list[int]) -> Trailer:
    number = len(records) - 1
    trailer = Trailer.parse_record(records[-2], number=number)
    if trailer.count != len(amounts):
        raise ZenginError(
            f"合計件数 says {trailer.count}, the file has {len(amounts)}",
            field="count",
            record=number,
        )
    if trailer.total != sum(amounts):
        raise ZenginError(
            "合計金額 does not equal the sum of the amounts", field="total", record=number
        )
    return trailer
