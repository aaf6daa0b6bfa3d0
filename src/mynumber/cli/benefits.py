"""``mynumber benefit …``: benefit programmes and their push-type payment runs.

``create`` and ``status`` speak to the benefit office's API; ``run`` drives the office's
run in this process (the whole federation, in-process, over the data folder) to show a
progress bar per phase. A run killed at any moment resumes where it stopped when started
again; nobody is paid twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from mynumber.cli.options import DataDir, settings
from mynumber.platform import federation
from mynumber.platform.http import Directory, ServiceClient

app = typer.Typer(
    help="Benefit programmes (給付金) paid push-type into public-fund accounts.",
    no_args_is_help=True,
)
out = Console()

PHASE_LABELS = {
    "eligibility": "対象者 eligibility",
    "payees": "受給者 payees",
    "accounts": "口座 accounts",
    "files": "振込ファイル files",
    "transfers": "振込 transfers",
    "notices": "お知らせ notices",
}


@contextmanager
def _office(data: Any) -> Iterator[tuple[federation.Federation, ServiceClient]]:
    fed = federation.build(settings(data), in_process=True)
    try:
        api = Directory(
            {"benefits": federation.INTERNAL_BASE + federation.mount_path("benefits") + "/api"},
            fed.admin_http,
        )
        yield fed, ServiceClient(api, "benefits", None)
    finally:
        fed.close()


def _find(api: ServiceClient, ref: str) -> dict[str, Any]:
    for p in api.request("GET", "/programmes"):
        if ref in (p["id"], p["name"]):
            return dict(p)
    raise typer.BadParameter(f"no programme {ref!r}", param_hint="PROGRAMME")


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="the programme's name, e.g. 特別定額給付金")],
    amount: Annotated[int, typer.Option(help="yen per person (or per household member)")],
    municipality: Annotated[
        list[str], typer.Option("--municipality", "-m", help="municipality code (repeatable)")
    ],
    per: Annotated[str, typer.Option(help="person, or household (paid to the 世帯主)")] = "person",
    as_of: Annotated[str | None, typer.Option(help="基準日 YYYY-MM-DD (default today)")] = None,
    min_age: Annotated[int | None, typer.Option(help="youngest eligible age on the date")] = None,
    max_age: Annotated[int | None, typer.Option(help="oldest eligible age on the date")] = None,
    data: DataDir = None,
) -> None:
    """Create a programme: who is eligible (residents of the municipalities on a date,
    optionally by age) and how much each is paid."""
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--as-of") from None
    body = {
        "name": name,
        "amount": amount,
        "per": per,
        "municipalities": municipality,
        "as_of": None if day is None else day.isoformat(),
        "min_age": min_age,
        "max_age": max_age,
    }
    with _office(data) as (_, api):
        created = api.request("POST", "/programmes", body)
    out.print(f"[green]created[/green] {created['name']} (id {created['id']})")
    print(created["id"])


@app.command()
def run(
    programme: Annotated[str, typer.Argument(help="programme name or id")],
    data: DataDir = None,
) -> None:
    """Run (or resume) a payment round: eligibility, payees, accounts, files, transfers,
    notices — a progress bar per phase. Run again later to retry whoever is not paid."""
    with _office(data) as (fed, api):
        found = _find(api, programme)
        runner = fed.apps["benefits"].state.runner
        tasks: dict[str, TaskID] = {}
        with Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=out,
        ) as bars:

            def progress(phase: str, done: int, total: int | None) -> None:
                if phase not in tasks:
                    tasks[phase] = bars.add_task(PHASE_LABELS.get(phase, phase), total=total)
                bars.update(tasks[phase], completed=done, total=total)

            result = runner.run(found["id"], progress)
        report = api.request("GET", f"/programmes/{found['id']}/status")
    if result["round"] is None:
        out.print("nothing to do: everyone is paid, told, or has no new account")
    else:
        out.print(
            f"round {result['round']}: {result['instructions']} instructions, "
            f"{result['notices']} notices"
        )
    _print_status(report)


@app.command()
def status(
    programme: Annotated[str, typer.Argument(help="programme name or id")],
    json_out: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
    data: DataDir = None,
) -> None:
    """Counts and yen per status, and each file with its trailer totals and results."""
    with _office(data) as (_, api):
        found = _find(api, programme)
        report = api.request("GET", f"/programmes/{found['id']}/status")
    if json_out:
        import json

        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    _print_status(report)


def _print_status(report: dict[str, Any]) -> None:
    p = report["programme"]
    out.print(
        f"[bold]{p['name']}[/bold] ¥{p['amount']:,} per {p['per']} — phase {report['phase']}, "
        f"{report['eligible']} eligible"
    )
    counts = Table("payees", "count", "yen", "instructions", "count", "yen")
    payees, instructions = list(report["payees"].items()), list(report["instructions"].items())
    for n in range(max(len(payees), len(instructions))):
        left = payees[n] if n < len(payees) else ("", {"count": "", "yen": ""})
        right = instructions[n] if n < len(instructions) else ("", {"count": "", "yen": ""})
        counts.add_row(
            left[0],
            str(left[1]["count"]),
            _yen(left[1]["yen"]),
            right[0],
            str(right[1]["count"]),
            _yen(right[1]["yen"]),
        )
    out.print(counts)
    if report["files"]:
        table = Table("file", "paying bank", "trailer count", "trailer total", "credited", "status")
        for f in report["files"]:
            credited = (
                ""
                if f["credited_count"] is None
                else f"{f['credited_count']} {_yen(f['credited_total'])}"
            )
            table.add_row(
                f["id"], f["bank_code"], str(f["count"]), _yen(f["total"]), credited, f["status"]
            )
        out.print(table)
    if report["notices"]:
        out.print("notices: " + ", ".join(f"{k} {v}" for k, v in report["notices"].items()))


def _yen(value: Any) -> str:
    return f"¥{value:,}" if isinstance(value, int) else str(value)
