"""``mynumber employer …`` and ``mynumber door tap``: the card as an employee ID without
writing the chip (:mod:`mynumber.devices.door`), a card file (``--card``) or the card in a
PC/SC reader (``--reader``).

The employer's folder is ``DATA/employer``: J-LIS's verifier credential, the enrolments and
the entry log. With ``--url`` the commands speak to a running server; without it they run
the federation in process on the data folder (J-LIS's operator acting as local
administrator for ``register``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from mynumber import federation
from mynumber.cli.inserted import CardOption, ReaderOption, inserted
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.devices.door import Door, JlisStatus
from mynumber.errors import Error

employer = typer.Typer(
    help="An employer's use of the card as an employee ID.", no_args_is_help=True
)
door = typer.Typer(help="An employer's door reader (a tap, no PIN).", no_args_is_help=True)
console = Console()

CREDENTIAL = "jlis-verifier.credential"


def _folder(data: Path | None) -> Path:
    return settings(data).data_dir / "employer"


@contextlib.contextmanager
def _door(data: Path | None, url: str | None) -> Iterator[Door]:
    path = _folder(data) / CREDENTIAL
    if not path.exists():
        raise typer.BadParameter(
            "not a registered verifier yet: run `mynumber employer register` first",
            param_hint="--data",
        )
    credential = path.read_text(encoding="ascii").strip()
    if url:
        with httpx.Client(timeout=60.0) as http:
            yield Door(_folder(data), JlisStatus(http, url, credential))
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        yield Door(_folder(data), JlisStatus(fed.admin_http, "", credential))
    finally:
        fed.close()


@employer.command()
def register(
    name: Annotated[str, typer.Option("--name", help="The employer's name.")],
    url: Url = None,
    token: Token = None,
    data: DataDir = None,
) -> None:
    """J-LIS's operator registers the employer as a verifier; the credential is kept in
    DATA/employer."""
    with staff_client("jlis", data=data, url=url, token=token) as jlis:
        answer = jlis.request("POST", "/verifiers", {"name": name})
    folder = _folder(data)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (CREDENTIAL + ".tmp")
    tmp.write_text(str(answer["credential"]) + "\n", encoding="ascii")
    tmp.chmod(0o600)
    tmp.replace(folder / CREDENTIAL)
    console.print(f"registered as verifier [bold]{escape(str(answer['id']))}[/]")


@employer.command()
def enrol(
    pin: Annotated[str, typer.Option("--pin", help="The user-authentication PIN.")],
    card: CardOption = None,
    reader: ReaderOption = None,
    employee: Annotated[str, typer.Option("--employee", help="The employee's id.")] = "E-000001",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Enrol the card's user-authentication certificate (the PIN proves the holder); the
    card is a file (--card) or the one in a PC/SC reader (--reader)."""
    try:
        with _door(data, url) as d, inserted(card, reader, data) as target:
            serial = d.enrol(target.transport, pin, employee)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    console.print(f"enrolled {escape(employee)} (certificate {serial})")


@employer.command()
def leave(
    employee: Annotated[str, typer.Option("--employee", help="The employee's id.")],
    data: DataDir = None,
) -> None:
    """The employee leaves: their cards no longer open any door."""
    dropped = Door(_folder(data)).leave(employee)
    console.print(f"{dropped} enrolment(s) removed")


@door.command()
def tap(
    card: CardOption = None,
    reader: ReaderOption = None,
    door_id: Annotated[str, typer.Option("--door", help="The door's id.")] = "main",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """かざし: exit 0 when the door opens, 1 (with the reason) when it stays shut."""
    try:
        with _door(data, url) as d, inserted(card, reader, data) as target:
            entry = d.tap(target.transport, door_id)
    except Error as exc:
        console.print(f"[red]error:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    if not entry.opened:
        console.print(f"[red]door {escape(door_id)} stays shut:[/] {escape(entry.reason)}")
        raise typer.Exit(1)
    console.print(f"door {escape(door_id)} opens for {escape(entry.employee or '')}")
