"""Payments: Zengin 総合振込 files, half-width kana names, bank codes, transfer results.

Pure: the standard library, ``jaconv``, ``zengin_code`` and :mod:`mynumber.errors` only.
Facts and sources are in domain-reference §10; the results format is this sandbox's own
(:mod:`mynumber.payments.results`).
"""

from __future__ import annotations

from mynumber.payments.banks import Bank, Branch, DepositType, account_number, bank, branch
from mynumber.payments.kana import (
    ZENGIN_CHARACTERS,
    check_zengin_kana,
    fit,
    is_zengin_kana,
    to_zengin_kana,
)
from mynumber.payments.results import (
    RESULT_OFFSET,
    ResultCode,
    ResultFile,
    TransferResult,
    read_results,
    write_results,
)
from mynumber.payments.zengin import (
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_TOTAL,
    RECORD_LENGTH,
    End,
    Header,
    NewCode,
    RecordKind,
    Trailer,
    Transfer,
    TransferKind,
    ZenginError,
    ZenginFile,
    read_file,
    split_records,
    transfer_records,
    write_file,
    write_records,
)

__all__ = [
    "MAX_AMOUNT",
    "MAX_COUNT",
    "MAX_TOTAL",
    "RECORD_LENGTH",
    "RESULT_OFFSET",
    "ZENGIN_CHARACTERS",
    "Bank",
    "Branch",
    "DepositType",
    "End",
    "Header",
    "NewCode",
    "RecordKind",
    "ResultCode",
    "ResultFile",
    "Trailer",
    "Transfer",
    "TransferKind",
    "TransferResult",
    "ZenginError",
    "ZenginFile",
    "account_number",
    "bank",
    "branch",
    "check_zengin_kana",
    "fit",
    "is_zengin_kana",
    "read_file",
    "read_results",
    "split_records",
    "to_zengin_kana",
    "transfer_records",
    "write_file",
    "write_records",
    "write_results",
]
