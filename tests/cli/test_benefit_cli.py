"""``mynumber benefit create / approve / run / status`` on a data folder, in-process (the
crash test in tests/e2e drives the same commands as subprocesses, killed and rerun)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import pytest

from mynumber import federation
from mynumber.cli import main
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=30)


@pytest.fixture
def mynumber(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path):
    """Run the console script with ``--data`` in a fresh folder; (exit code, out, err)."""
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    data = str(tmp_path / "data")

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["mynumber", *args, "--data", data])
        with pytest.raises(SystemExit) as exited:
            main()
        for name in env or {}:
            monkeypatch.delenv(name)
        captured = capsys.readouterr()
        code = exited.value.code
        return (0 if code is None else int(code)), captured.out, " ".join(captured.err.split())

    run.data = Path(data)  # type: ignore[attr-defined]
    return run


def staff_token(data: Path, roles: list[str]) -> str:
    """Enrol a staff member of the benefit office on the data folder; their bearer token."""
    fed = federation.build(Settings().with_data_dir(data), in_process=True)
    try:
        staff = fed.benefits().staff
        member = staff.add(name="承認 一郎", roles=roles, auth_serial=secrets.token_hex(8))
        return staff.issue_token(member.id).token
    finally:
        fed.close()


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
    code, _, err = mynumber("benefit", "run", "テスト給付金")
    assert code == 1 and "programme_not_approved" in err
    # the local administrator made it: it may not approve it too
    code, _, err = mynumber("benefit", "approve", "テスト給付金")
    assert code == 1 and "approver_made_programme" in err
    token = staff_token(mynumber.data, ["approver"])
    code, _, err = mynumber("benefit", "approve", programme, "--token", token)
    assert code == 0, err

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
    assert report["programme"]["approved"]


def test_a_staff_token_acts_in_process_under_its_roles(mynumber):
    code, _, err = mynumber("benefit", "create", "役割の給付", "--amount", "1", "-m", "131016")
    assert code == 0, err
    approver = staff_token(mynumber.data, ["approver"])
    planner = staff_token(mynumber.data, ["planner"])

    refused = mynumber(
        "benefit",
        "create",
        "承認者は作れない",
        "--amount",
        "1",
        "-m",
        "131016",
        env={"MYNUMBER_STAFF_TOKEN": approver},
    )
    not_yet = mynumber("benefit", "run", "役割の給付", env={"MYNUMBER_STAFF_TOKEN": planner})
    planner_approves = mynumber("benefit", "approve", "役割の給付", "--token", planner)
    approved = mynumber("benefit", "approve", "役割の給付", env={"MYNUMBER_STAFF_TOKEN": approver})
    approver_runs = mynumber("benefit", "run", "役割の給付", "--token", approver)
    ran = mynumber("benefit", "run", "役割の給付", "--token", planner)

    assert refused[0] == 1 and "permission_denied" in refused[2]
    assert not_yet[0] == 1 and "programme_not_approved" in not_yet[2]
    assert planner_approves[0] == 1 and "permission_denied" in planner_approves[2]
    assert approved[0] == 0, approved[2]
    assert approver_runs[0] == 1 and "programmes.run" in approver_runs[2]
    assert ran[0] == 0 and "round 1" in ran[1], ran[2]
    code, _, err = mynumber("benefit", "status", "承認者は作れない")
    assert code != 0 and "no programme" in err


def test_a_server_needs_a_token(mynumber):
    code, _, err = mynumber("benefit", "status", "x", "--url", "http://127.0.0.1:9")

    assert code != 0 and "token" in err


def test_workers_need_a_broker_and_nothing_is_run(mynumber, monkeypatch):
    monkeypatch.delenv("MYNUMBER_BROKER_URL", raising=False)
    code, _, err = mynumber("benefit", "run", "x", "--workers", "2")
    worker, _, worker_err = mynumber("benefit", "worker")

    assert code != 0 and "MYNUMBER_BROKER_URL" in err
    assert worker != 0 and "MYNUMBER_BROKER_URL" in worker_err
    assert not mynumber.data.exists()  # no federation was even built


def test_a_workers_port_is_a_split_deployments(mynumber, monkeypatch):
    monkeypatch.setenv("MYNUMBER_BROKER_URL", "amqp://guest:guest@127.0.0.1:9//")
    code, _, err = mynumber("benefit", "worker", "--port", "31000")

    assert code != 0 and "--split" in err
    assert not mynumber.data.exists()


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
