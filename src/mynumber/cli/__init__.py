"""The ``mynumber`` command: a client of the same public APIs the web serves.

Every sub-command takes ``--data DIR`` (default ``./var``, or ``MYNUMBER_DATA_DIR``).
A :class:`mynumber.errors.Error` is turned into a message and exit code 1 in one place.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from mynumber.cli import (
    benefits,
    callcentre,
    hub,
    jlis,
    numbers,
    police,
    portal,
    residents,
    serve,
    staff,
)
from mynumber.errors import Error
from mynumber.platform import runtime


class _Commands(TyperGroup):
    """Turns a :class:`mynumber.errors.Error` from any command into a message and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context is private
        try:
            return super().invoke(ctx)
        except Error as exc:
            Console(stderr=True).print(f"[red]error:[/red] {exc.message} [dim]({exc.code})[/dim]")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Commands,
    name="mynumber",
    help="Japan's My Number system, runnable: numbers, residents, cards and services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(numbers.app, name="number")
app.add_typer(residents.app, name="resident")
app.add_typer(jlis.app, name="jlis")
app.add_typer(callcentre.app, name="callcentre")
app.add_typer(hub.app, name="hub")
app.add_typer(portal.app, name="portal")
app.add_typer(police.app, name="police")
app.add_typer(benefits.app, name="benefit")
app.add_typer(staff.app, name="staff")
app.add_typer(staff.audit, name="audit")
app.command("run")(serve.run)
app.command("seed")(serve.seed)


def _add_optional_commands() -> None:
    try:
        from mynumber.cli import (
            card,
            card_counter,
            clinic,
            contract,
            door,
            kiosk,
            licence,
            phone,
            pin_reset,
            reader,
        )
    except ImportError:  # pragma: no cover - the card package is optional at build time
        return
    card.app.add_typer(pin_reset.app, name="pin-reset")
    card.app.command("renew")(card_counter.renew)
    card.app.command("address")(card_counter.address)
    app.add_typer(card.app, name="card")
    app.add_typer(phone.app, name="phone")
    app.add_typer(kiosk.app, name="kiosk")
    app.add_typer(reader.app, name="reader")
    app.add_typer(contract.app, name="contract")
    app.add_typer(clinic.app, name="clinic")
    app.add_typer(door.employer, name="employer")
    app.add_typer(door.door, name="door")
    app.add_typer(licence.app, name="licence")


_add_optional_commands()


def main() -> None:
    runtime.configure_gc()
    app()
