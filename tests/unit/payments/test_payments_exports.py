"""The public API is pinned, and the package stays pure."""

from __future__ import annotations

import subprocess
import sys

import mynumber.payments


def test_exported_members_are_sorted_and_importable() -> None:
    exported = mynumber.payments.__all__
    # constants, then classes, then functions, each alphabetical (ruff RUF022 order)
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    for name in exported:
        assert hasattr(mynumber.payments, name), name


def test_exported_members_are_pinned() -> None:
    assert set(mynumber.payments.__all__) == {
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
    }


def test_importing_payments_pulls_in_no_web_database_or_cli_code() -> None:
    code = (
        "import sys, mynumber.payments; "
        "bad = [m for m in ('fastapi', 'starlette', 'sqlalchemy', 'httpx', 'typer', 'uvicorn',"
        " 'mynumber.orgs', 'mynumber.platform', 'mynumber.cli') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
