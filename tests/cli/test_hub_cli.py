"""``mynumber hub table | check | verify-log``."""

from __future__ import annotations

import pytest
from rich.console import Console
from typer.testing import CliRunner

from mynumber import federation
from mynumber.cli import app, hub
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_table_lists_the_child_allowance_row(monkeypatch):
    monkeypatch.setattr(hub, "out", Console(width=250))  # another test may have sized it
    result = invoke("hub", "table")
    assert result.exit_code == 0, result.output
    assert "child_allowance_claim" in result.output and "self_information" in result.output


def test_check_says_permitted_or_why_not():
    ok = invoke("hub", "check", "municipality", "child_allowance_claim", "tax", "income")
    assert ok.exit_code == 0 and "permitted" in ok.output
    refused = invoke("hub", "check", "tax", "child_allowance_claim", "tax", "income")
    assert refused.exit_code == 1
    assert "may not ask anything" in refused.output


def test_verify_log_reports_the_head(tmp_path):
    fed = federation.build(Settings(data_dir=tmp_path, seed_residents=0), in_process=True)
    try:
        fed.seed("131016", 10)
        fed.seed_linkage()
        people = fed.admin_http.get("/municipality/131016/api/residents").json()
        for person in people["residents"][:5]:
            fed.admin_http.post(f"/municipality/131016/api/residents/{person['id']}/linkage/income")
        head = fed.directory.http.get("/hub/log/head").json()
    finally:
        fed.close()

    result = invoke("hub", "verify-log", "--data", str(tmp_path), "--expect", head["hash"])

    assert result.exit_code == 0, result.output
    assert f"head {head['seq']} {head['hash']}" in result.output
    assert (
        invoke("hub", "verify-log", "--data", str(tmp_path), "--expect", "0" * 63 + "1").exit_code
        == 1
    )
