"""``mynumber benefit …``: benefit programmes and their push-type payment runs.

``create``, ``approve`` and ``status`` speak to the benefit office's API. On the data folder
(in-process) they act as the office's local administrator, or as the staff member whose
token ``--token`` (``MYNUMBER_STAFF_TOKEN``) gives; with ``--url`` they call a running
server with that token. A programme runs only once another staff member than its maker
approved it — the local administrator who made one cannot approve it.

``run`` in-process drives the office's run in this process to show a progress bar per
phase; with ``--url`` it starts the run on the server and follows its phase. A run killed
at any moment resumes where it stopped when started again; nobody is paid twice. With
``MYNUMBER_BROKER_URL`` set, the run's parts go to Celery workers on that broker
(:mod:`mynumber.federation.distributed`); ``--workers N`` starts N of them for the run.
``worker`` runs one such worker until stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from mynumber import federation
from mynumber.cli.options import DataDir, settings
from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.staff.model import Acting, PermissionDenied

if TYPE_CHECKING:
    from mynumber.platform.staff.services import Staff

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


Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="a running server (e.g. http://127.0.0.1:8000) instead of the data folder; "
        "needs --token",
        show_default=False,
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="MYNUMBER_STAFF_TOKEN",
        help="a staff member's bearer token (default on the data folder: the local administrator)",
        show_default=False,
    ),
]


@contextmanager
def _office(
    data: Any, url: str | None = None, token: str | None = None
) -> Iterator[tuple[federation.Federation | None, ServiceClient]]:
    """The office's API: on a running server (``url``), or in-process on the data folder
    as the staff member of ``token`` or else as the local administrator."""
    if url is not None:
        if not token:
            raise typer.BadParameter("a server needs a staff token", param_hint="--token")
        base = url.rstrip("/") + federation.mount_path("benefits") + "/api"
        with httpx.Client(timeout=60.0, headers={"Authorization": f"Bearer {token}"}) as http:
            yield None, ServiceClient(Directory({"benefits": base}, http), "benefits", None)
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        http = fed.admin_http
        if token:
            local = fed.directory.http
            http = httpx.Client(
                transport=local._transport,
                base_url=local.base_url,
                timeout=local.timeout,
                headers={"Authorization": f"Bearer {token}"},
            )
        api = Directory(
            {"benefits": federation.INTERNAL_BASE + federation.mount_path("benefits") + "/api"},
            http,
        )
        yield fed, ServiceClient(api, "benefits", None)
    finally:
        fed.close()


def _acting(staff: Staff, token: str | None, permission: str) -> Acting:
    """Who runs in-process: the token's staff member (or the local administrator), under a
    role that grants ``permission``, as a route would check it."""
    session = staff.session(token or staff.local_admin_token())
    role = staff.roles.granting(session.roles, permission)
    if role is None:
        raise PermissionDenied(f"your roles do not allow {permission}")
    return Acting(session, role, permission)


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
    url: Url = None,
    token: Token = None,
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
    with _office(data, url, token) as (_, api):
        created = api.request("POST", "/programmes", body)
    out.print(
        f"[green]created[/green] {created['name']} (id {created['id']}): another staff member "
        "approves it with `mynumber benefit approve` before it runs"
    )
    print(created["id"])


@app.command()
def approve(
    programme: Annotated[str, typer.Argument(help="programme name or id")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Approve a programme (承認): a staff member with the approver role who did not make
    it. The local administrator cannot approve a programme it made itself."""
    with _office(data, url, token) as (_, api):
        found = _find(api, programme)
        approved = api.request("POST", f"/programmes/{found['id']}/approve")
    out.print(f"[green]approved[/green] {approved['name']} at {approved['approved_at']}")


@app.command()
def run(
    programme: Annotated[str, typer.Argument(help="programme name or id")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            max=64,
            help="Celery workers to start for this run (needs MYNUMBER_BROKER_URL); "
            "0: the parts run in this process, or on workers already running if a broker "
            "is set",
        ),
    ] = 0,
) -> None:
    """Run (or resume) a payment round of an approved programme: eligibility, payees,
    accounts, files, transfers, notices — a progress bar per phase. Run again later to retry
    whoever is not paid."""
    if url is not None:
        _run_on_server(programme, url, token)
        return
    from mynumber.federation import distributed  # Celery: only the commands that run
    from mynumber.orgs.benefits.deps import PURPOSE
    from mynumber.platform.uow import UnitOfWork

    if workers and distributed.broker_url() is None:
        raise typer.BadParameter("--workers needs MYNUMBER_BROKER_URL", param_hint="--workers")
    with _office(data, url, token) as (fed, api), _workers(fed, workers):
        assert fed is not None
        found = _find(api, programme)
        office = fed.benefits()
        acting = _acting(office.staff, token, "programmes.run")
        office.programmes.require_approved(UnitOfWork(office.engine), found["id"])
        office.staff.log(
            acting,
            action="programme.run",
            purpose=PURPOSE,
            detail={"programme": found["id"], "name": found["name"]},
        )
        runner = office.runner
        distributed.use_engine(runner, fed.settings)
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


@contextmanager
def _workers(fed: federation.Federation | None, count: int) -> Iterator[None]:
    """``count`` single-process Celery workers of this federation while the run lasts."""
    if fed is None or not count:
        yield
        return
    from mynumber.federation import distributed

    env = distributed.worker_env(fed.settings, dict(os.environ))
    started = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", *distributed.worker_argv(fed.settings, name=f"w{n}")],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(count)
    ]
    try:
        yield
    finally:
        for process in started:
            process.terminate()  # warm shutdown: a task in hand is finished first
        for process in started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@app.command()
def worker(
    data: DataDir = None,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="for `mynumber run --split` on PORT: the office alone in this worker, "
            "every other organisation reached in its own process",
        ),
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="with --split: the split deployment's first port")
    ] = None,
    host: Annotated[str | None, typer.Option(help="with --split: its address")] = None,
) -> None:
    """A Celery worker that does parts of benefit runs of this data folder's federation
    (MYNUMBER_BROKER_URL); stop it with Ctrl-C. Without --split it builds every
    organisation in its own process, as `mynumber benefit run` does; with --split it builds
    the benefit office alone and opens no other organisation's database."""
    from mynumber.federation import distributed

    if distributed.broker_url() is None:
        raise typer.BadParameter("a worker needs MYNUMBER_BROKER_URL")
    if (port is not None or host is not None) and not split:
        raise typer.BadParameter("--port and --host go with --split", param_hint="--port")
    chosen = settings(data)
    if port is not None:
        chosen = chosen.model_copy(update={"port": port})
    if host is not None:
        chosen = chosen.model_copy(update={"host": host})
    env = distributed.worker_env(chosen, dict(os.environ), split=split)
    argv = [sys.executable, "-m", "celery", *distributed.worker_argv(chosen, name="worker")]
    # the worker is this process (signals reach Celery itself, not a parent it would outlive)
    os.execve(sys.executable, argv, env)  # noqa: S606 - our own interpreter


def _run_on_server(programme: str, url: str, token: str | None) -> None:
    """Start the run on the server and follow its phase until it stops."""
    with _office(None, url, token) as (_, api):
        found = _find(api, programme)
        path = f"/programmes/{found['id']}"
        api.request("POST", path + "/run")
        phase = ""
        with out.status("running…") as spinner:
            while True:
                report = api.request("GET", path + "/status")
                if report["phase"] != phase:
                    phase = report["phase"]
                    spinner.update(f"running: {PHASE_LABELS.get(phase, phase)}")
                if not report["running"]:
                    break
                time.sleep(1.0)
    _print_status(report)
    if report["phase"] not in ("done", "not_started"):
        out.print(f"[red]the run stopped in phase {report['phase']}[/red]: run it again to resume")
        raise typer.Exit(1)


@app.command()
def status(
    programme: Annotated[str, typer.Argument(help="programme name or id")],
    json_out: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Counts and yen per status, and each file with its trailer totals and results."""
    with _office(data, url, token) as (_, api):
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
        f"[bold]{p['name']}[/bold] ¥{p['amount']:,} per {p['per']} — "
        f"{'approved' if p['approved'] else 'not approved'}, phase {report['phase']}, "
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
