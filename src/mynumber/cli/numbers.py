"""``mynumber number``: check and generate My Numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mynumber import number
from mynumber.cli.options import DataDir

app = typer.Typer(help="Check and generate My Numbers (個人番号).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.command()
def check(
    value: Annotated[
        str | None, typer.Argument(help="a My Number (spaces, hyphens, full-width digits allowed)")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="a file of one number a line")
    ] = None,
    show: Annotated[int, typer.Option(help="how many bad lines to list")] = 20,
    data: DataDir = None,
) -> None:
    """Exit 0 when valid; 1 with the reason when not. With --file, a summary and the bad lines."""
    if (value is None) == (file is None):
        raise typer.BadParameter("give a NUMBER or --file, not both")
    if value is not None:
        try:
            valid = number.validate(value)
        except number.InvalidNumber as exc:
            err.print(f"[red]invalid:[/red] {exc.message} ({exc.code})")
            raise typer.Exit(1) from exc
        out.print(f"valid: {number.format(valid)}")
        return
    assert file is not None
    from mynumber.number_bulk import check_file  # numpy: only for a file

    report = check_file(file, limit=show)
    out.print(f"lines: {report.total}  valid: {report.valid}  invalid: {report.invalid}")
    for bad in report.bad_lines[:show]:
        out.print(f"  line {bad.line}: {bad.reason}")
    if report.invalid:
        raise typer.Exit(1)


@app.command()
def generate(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="how many")] = 1,
    data: DataDir = None,
) -> None:
    """Print COUNT distinct valid My Numbers, one a line (synthetic, for tests)."""
    for value in number.generate(count=count):
        typer.echo(value)
