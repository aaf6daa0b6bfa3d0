"""``mynumber hub …``: the linkage hub's permitted-exchange table and its exchange record."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mynumber.cli.options import DataDir
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.orgs.hub import chain, permitted

app = typer.Typer(
    help="The linkage hub (情報提供ネットワークシステム): permitted exchanges and records.",
    no_args_is_help=True,
)
out = Console()

PAGE = 5000


@app.command("table")
def table() -> None:
    """List the permitted-exchange table (like 番号法 別表第二)."""
    view = Table("requester", "procedure", "provider", "items", "basis")
    for row in permitted.table():
        view.add_row(
            row.requester,
            f"{row.procedure}\n{row.procedure_name}",
            row.provider,
            " ".join(sorted(row.items)),
            escape(row.basis),
        )
    out.print(view)


@app.command("check")
def check(
    requester: Annotated[str, typer.Argument(help="e.g. municipality or municipality-131016")],
    procedure: Annotated[str, typer.Argument(help="e.g. child_allowance_claim")],
    provider: Annotated[str, typer.Argument(help="e.g. tax")],
    items: Annotated[list[str], typer.Argument(help="data items, e.g. income")],
) -> None:
    """Say whether the table permits an exchange, and why not if it does not."""
    row = permitted.check(requester, procedure, provider, items)  # NotPermitted → exit 1
    out.print(f"[green]permitted[/green]: {row.procedure_name} — {escape(row.basis)}")


@app.command("verify-log")
def verify_log(
    expect: Annotated[
        str | None, typer.Option(help="a chain head hash published earlier: it must be in the log")
    ] = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Recompute the hash chain of every exchange record and print its head (as the hub's
    local administrator, or its operator's ``--token`` with ``--url``)."""
    with staff_client("hub", data=data, url=url, token=token) as client:
        head = chain.Head(0, chain.GENESIS)
        seen_expected = expect is None or expect == chain.GENESIS
        while True:
            page: list[dict[str, Any]] = client.request(
                "GET", f"/log?after={head.seq}&limit={PAGE}"
            )
            if not page:
                break
            head = chain.verify(page, start=head)  # BrokenChain → exit 1
            seen_expected = seen_expected or any(e["hash"] == expect for e in page)
    if not seen_expected:
        out.print("[red]the expected head is not in the log[/red]")
        raise typer.Exit(1)
    out.print(f"[green]intact[/green]: {head.seq} records")
    print(f"head {head.seq} {head.hash}")
