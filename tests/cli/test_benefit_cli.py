"""``mynumber benefit create / run / status`` on a data folder, in-process (the crash test
in tests/e2e drives the same commands as subprocesses, killed and rerun)."""

from __future__ import annotations

import json
import sys

import pytest

from mynumber.cli import main


@pytest.fixture
def mynumber(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path):
    """Run the console script with ``--data`` in a fresh folder; (exit code, out, err)."""
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    data = str(tmp_path / "data")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["mynumber", *args, "--data", data])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        code = exited.value.code
        return (0 if code is None else int(code)), captured.out, " ".join(captured.err.split())

    return run


def test_create_run_status_and_a_rerun_that_has_nothing_to_do(mynumber):
    code, out, err = mynumber(
        "benefit",
        "create",
        "テスト給付金",
        "--amount",
        "30000",
        "--per",
        "household",
        "-m",
        "131016",
        "--min-age",
        "18",
    )
    assert code == 0, err
    programme = out.strip().splitlines()[-1]

    code, ran, err = mynumber("benefit", "run", "テスト給付金")
    assert code == 0, err
    assert "round 1: 0 instructions, 0 notices" in ran and "phase done" in ran
    code, again, err = mynumber("benefit", "run", programme)
    assert code == 0 and "nothing to do" in again, err
    code, shown, err = mynumber("benefit", "status", "テスト給付金", "--json")
    report = json.loads(shown)
    assert report["programme"]["id"] == programme
    assert (report["programme"]["per"], report["programme"]["min_age"]) == ("household", 18)
    assert [r["number"] for r in report["rounds"]] == [1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "0", "-m", "131016"], "amount"),
        (["--amount", "1", "-m", "999999"], "not served"),
        (["--amount", "1", "-m", "131016", "--as-of", "2020-13-01"], "YYYY-MM-DD"),
        (["--amount", "1", "-m", "131016", "--per", "family"], "per"),
    ],
)
def test_a_bad_programme_is_an_error_and_nothing_is_created(mynumber, args, message):
    code, _, err = mynumber("benefit", "create", "だめな給付", *args)

    assert code != 0 and message in err
    code, _, err = mynumber("benefit", "status", "だめな給付")
    assert code != 0 and "no programme" in err
