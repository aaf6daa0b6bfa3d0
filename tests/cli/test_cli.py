"""The ``mynumber`` command: number checks, the registry from the shell, seeding, help.

Commands run with :class:`typer.testing.CliRunner` on :data:`mynumber.cli.app`, each with
``--data`` pointing at a temporary folder (SQLite). Error messages are printed by
:func:`mynumber.cli.main`, the console script's entry point, so the tests that check
them run ``main`` itself.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from mynumber import jst
from mynumber.cli import app, main
from mynumber.number import generate, is_valid

pytestmark = pytest.mark.slow(seconds=20)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "200"})

    return invoke


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the console script's ``main`` with arguments; (exit code, stdout, stderr)."""
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["mynumber", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        code = exited.value.code
        return (0 if code is None else int(code)), captured.out, " ".join(captured.err.split())

    return run


def valid_number() -> str:
    [number] = generate(count=1)
    return number


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- number check / generate ---------------------------------------------------------------


def test_check_of_a_valid_number_exits_0_and_prints_it_formatted(cli):
    number = valid_number()
    result = cli("number", "check", number)
    assert result.exit_code == 0, result.output
    assert f"valid: {number[:4]} {number[4:8]} {number[8:]}" in result.output


@pytest.mark.parametrize(
    "form",
    [
        lambda n: n.translate(FULL_WIDTH),
        lambda n: f"{n[:4]}-{n[4:8]}-{n[8:]}",
        lambda n: f"{n[:4]}－{n[4:8]}－{n[8:]}".translate(FULL_WIDTH),
        lambda n: f"{n[:4]} {n[4:8]} {n[8:]}",
        lambda n: f"{n[:4]}\u3000{n[4:8]}\u3000{n[8:]}",
    ],
    ids=["full-width", "hyphens", "full-width-hyphens", "spaces", "ideographic-spaces"],
)
def test_check_accepts_full_width_digits_and_separators(cli, form):
    number = valid_number()
    result = cli("number", "check", form(number))
    assert result.exit_code == 0, result.output
    assert f"{number[:4]} {number[4:8]} {number[8:]}" in result.output


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("621498320258", "check_digit"),  # python-stdnum's invalid example
        ("12345678901", "length"),
        ("1234567890123", "length"),
        ("12345678901x", "not_digits"),
        ("", "length"),
    ],
)
def test_check_of_an_invalid_number_exits_1_with_the_reason(cli, value, reason):
    result = cli("number", "check", value)
    assert result.exit_code == 1
    assert "invalid" in result.output
    assert f"({reason})" in result.output
    if value:
        assert value not in result.output  # the message never quotes the number


@pytest.mark.parametrize("args", [[], ["123456789012", "--file", "x.txt"]], ids=["none", "both"])
def test_check_needs_exactly_one_of_number_and_file(cli, tmp_path, args):
    (tmp_path / "x.txt").write_text("")
    result = cli("number", "check", *[str(tmp_path / a) if a == "x.txt" else a for a in args])
    assert result.exit_code == 2


def test_check_file_prints_a_summary_and_the_bad_lines(cli, tmp_path):
    good = list(generate(count=6))
    lines = [
        good[0],
        good[1],
        wrong_check_digit(good[2]),
        good[3],
        "12345678901a",
        good[4].translate(FULL_WIDTH),
        f"{good[5][:4]}-{good[5][4:8]}-{good[5][8:]}",
        "123",
    ]
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = cli("number", "check", "--file", str(path))

    assert result.exit_code == 1
    assert re.search(r"lines: 8\s+valid: 5\s+invalid: 3", result.output), result.output
    bad = re.findall(r"line (\d+): (\w+)", result.output)
    assert bad == [("3", "check_digit"), ("5", "not_digits"), ("8", "length")]
    for line in lines:
        assert line not in result.output


def test_check_file_of_valid_numbers_exits_0(cli, tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(generate(count=1000)) + "\n")
    result = cli("number", "check", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert re.search(r"lines: 1000\s+valid: 1000\s+invalid: 0", result.output)


def test_check_file_with_crlf_lines_and_no_final_newline(cli, tmp_path):
    good = list(generate(count=3))
    path = tmp_path / "numbers.txt"
    path.write_bytes("\r\n".join([good[0], wrong_check_digit(good[1]), good[2]]).encode())
    result = cli("number", "check", "--file", str(path))
    assert result.exit_code == 1
    assert re.search(r"lines: 3\s+valid: 2\s+invalid: 1", result.output), result.output
    assert re.findall(r"line (\d+): (\w+)", result.output) == [("2", "check_digit")]


def test_check_file_lists_at_most_show_bad_lines(cli, tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(wrong_check_digit(n) for n in generate(count=30)) + "\n")
    result = cli("number", "check", "--file", str(path), "--show", "5")
    assert result.exit_code == 1
    assert "invalid: 30" in result.output
    assert len(re.findall(r"line \d+: check_digit", result.output)) == 5


def test_generate_prints_distinct_valid_numbers(cli):
    result = cli("number", "generate", "--count", "50")
    assert result.exit_code == 0, result.output
    numbers = result.output.split()
    assert len(numbers) == 50
    assert len(set(numbers)) == 50
    assert all(is_valid(n) for n in numbers)


def test_generate_refuses_a_count_below_one(cli):
    assert cli("number", "generate", "--count", "0").exit_code == 2


# --- resident --------------------------------------------------------------------------------


def field(output: str, name: str) -> str:
    match = re.search(rf"│ {name}\s+│ (\S+)", output)
    assert match, output
    return match.group(1)


PERSON = [
    "--family-name",
    "渡辺",
    "--given-name",
    "健太",
    "--family-name-kana",
    "ワタナベ",
    "--given-name-kana",
    "ケンタ",
    "--birth-date",
    "1988-07-07",
    "--sex",
    "1",
]


def test_resident_commands_work_end_to_end(cli, tmp_path):
    data = ["--data", str(tmp_path)]
    registered = cli(
        "resident", "register", *PERSON, "--address", "東京都千代田区麹町1丁目2番3号", *data
    )
    assert registered.exit_code == 0, registered.output
    resident_id = field(registered.output, "id")
    household = field(registered.output, "household_id")
    masked = field(registered.output, "my_number_masked")
    assert re.fullmatch(r"•{8}\d{4}", masked)

    child = cli(
        "resident",
        "register",
        *PERSON[:2],
        "--given-name",
        "陽翔",
        *PERSON[4:6],
        "--given-name-kana",
        "ハルト",
        "--birth-date",
        "2020-03-03",
        "--sex",
        "1",
        "--household",
        household,
        "--relationship",
        "子",
        *data,
    )
    assert child.exit_code == 0, child.output
    assert field(child.output, "household_id") == household

    shown = cli("resident", "show", resident_id, "--history", *data)
    assert shown.exit_code == 0, shown.output
    assert "渡辺" in shown.output and "active" in shown.output
    assert "birth" in shown.output and "number" in shown.output

    listed = cli("resident", "list", "-q", "ワタナベ", *data)
    assert listed.exit_code == 0, listed.output
    assert "2 residents" in listed.output
    assert resident_id in listed.output

    moved = cli(
        "resident",
        "move",
        resident_id,
        "--to",
        "131041",
        "--address",
        "東京都新宿区神楽坂4丁目5番6号",
        "--household",
        *data,
    )
    assert moved.exit_code == 0, moved.output
    new_ids = re.findall(r"→ 131041 as ([0-9a-f]{16})", moved.output)
    assert len(new_ids) == 2

    there = cli("resident", "show", new_ids[0], "-m", "131041", "--history", *data)
    assert there.exit_code == 0, there.output
    assert "move_in" in there.output and "131016" in there.output
    assert masked in there.output or field(there.output, "my_number_masked").startswith("••")
    left = cli("resident", "list", "--status", "moved_out", *data)
    assert "2 residents" in left.output

    died = cli(
        "resident", "death", new_ids[0], "-m", "131041", "--date", jst.today().isoformat(), *data
    )
    assert died.exit_code == 0, died.output
    assert field(died.output, "status") == "deceased"


def test_resident_errors_exit_1_with_a_message(run_main, tmp_path):
    data = ["--data", str(tmp_path)]
    code, out, _ = run_main(
        "resident", "register", *PERSON, "--address", "東京都千代田区1-1", *data
    )
    assert code == 0, out
    resident_id = field(out, "id")

    cases = [
        (["resident", "show", "0123456789abcdef"], "no such resident"),
        (["resident", "register", *PERSON, "--address", "東京都千代田区1-1"], "already registered"),
        (
            [
                "resident",
                "register",
                *PERSON[:6],
                "--given-name-kana",
                "けんた",
                *PERSON[8:],
                "--address",
                "東京都千代田区2-2",
            ],
            "katakana",
        ),
        (["resident", "register", *PERSON], "address"),
        (["resident", "move", resident_id, "--to", "999999", "--address", "x"], "municipality"),
        (["resident", "move", "0123456789abcdef", "--to", "131041", "--address", "x"], "no such"),
        (["resident", "death", resident_id, "--date", "2999-01-01"], "date of death"),
        (["resident", "show", "x", "-m", "999999"], "unknown municipality"),
    ]
    for args, message in cases:
        code, out, err = run_main(*args, *data)
        assert code == 1, (args, out, err)
        assert err.startswith("error:"), (args, err)
        assert message in err, (args, err)

    assert run_main("resident", "death", resident_id, *data)[0] == 0
    code, _, err = run_main("resident", "death", resident_id, *data)
    assert code == 1 and "no longer lives here" in err


def test_app_itself_turns_errors_into_a_message(cli, tmp_path):
    result = cli("resident", "show", "0123456789abcdef", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "no such resident" in result.output


def test_number_check_through_main_exits_1_with_the_reason(run_main):
    code, _, err = run_main("number", "check", wrong_check_digit(valid_number()))
    assert code == 1
    assert "check digit" in err


# --- seed, help, --data ----------------------------------------------------------------------


def test_seed_fills_every_demo_municipality(cli, tmp_path):
    result = cli("seed", "-n", "500", "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    for code in ("131016", "131041"):
        assert re.search(rf"{code}: 500 residents in \d+ households", result.output), result.output
        listed = cli("resident", "list", "-m", code, "--limit", "1", "--data", str(tmp_path))
        assert "500 residents" in listed.output


def test_seed_of_one_municipality(cli, tmp_path):
    result = cli("seed", "-n", "20", "-m", "131041", "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "131041: 20 residents" in result.output
    assert "131016" not in result.output
    listed = cli("resident", "list", "--limit", "1", "--data", str(tmp_path))
    assert "0 residents" in listed.output


def every_command() -> list[tuple[list[str], Any]]:
    """Every command and sub-command of the typer app, walked from its click tree (so a new
    command is covered without touching this list)."""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = [path for path, _ in every_command()]


def test_the_command_tree_has_every_group() -> None:
    groups = {path[0] for path in COMMANDS if path}
    expected = {"run", "seed", "number", "resident", "jlis", "hub", "portal", "benefit"}
    assert expected | {"card", "phone", "reader"} <= groups
    assert ["portal", "client", "add"] in COMMANDS and ["reader", "serve"] in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mynumber")
def test_help_of_every_command_exits_0(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("command", "click_command"),
    [pytest.param(path, c, id=" ".join(path) or "mynumber") for path, c in every_command()],
)
def test_every_command_and_option_has_help_text(command, click_command):
    assert click_command.help or click_command.short_help, f"{command} has no help"
    silent = [
        p.name
        for p in click_command.params
        if not getattr(p, "hidden", False) and not getattr(p, "help", None)
    ]
    assert not silent, f"{' '.join(command)}: no help for {silent}"


#: The registry's commands, each of which opens the data folder.
LEAVES = [
    ["run"],
    ["seed"],
    ["number", "check"],
    ["number", "generate"],
    ["resident", "register"],
    ["resident", "show"],
    ["resident", "list"],
    ["resident", "move"],
    ["resident", "death"],
]


@pytest.mark.parametrize(
    "command",
    LEAVES,
    ids=lambda c: " ".join(c),
)
def test_every_command_takes_data(cli, command, tmp_path):
    result = cli(*command, "--help")
    assert "--data" in result.output
    if command == ["number", "generate"]:
        assert cli(*command, "--data", str(tmp_path)).exit_code == 0
    if command == ["number", "check"]:
        assert cli(*command, valid_number(), "--data", str(tmp_path)).exit_code == 0


def test_data_folder_is_where_everything_lands(cli, tmp_path, monkeypatch):
    """A command builds only the organisations it uses (here the municipality, with the
    staff key it signs in with), and writes nothing outside ``--data``."""
    folder, here = tmp_path / "elsewhere", tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = cli("resident", "list", "--data", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.glob("*.db")) == ["municipality-131016.db"]
    assert (folder / "keys").is_dir()
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--processes", "hub=2"], "goes with --split"),
        (["--split", "--processes", "nobody=2"], "no organisation"),
        (["--split", "--processes", "hub=0"], "ORG=N"),
        (["--split", "--processes", "hub=x"], "ORG=N"),
        (["--split", "--processes", "hub=17"], "ORG=N"),
        (["--split", "--processes", "hub"], "ORG=N"),
    ],
)
def test_processes_for_an_organisation_are_checked_before_anything_starts(
    cli, tmp_path, args, message
):
    data = tmp_path / "data"
    result = cli("run", *args, "--data", str(data))
    assert result.exit_code != 0
    assert message in result.output
    assert not data.exists()  # nothing seeded, nothing served


def test_the_command_collects_garbage_at_the_thresholds_of_a_bulk_process(run_main) -> None:
    import gc

    from mynumber.platform import runtime

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's own
    try:
        code, out, _ = run_main("--help")
        assert code == 0 and "Usage" in out
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
