"""``mynumber card …``: put a virtual card into a PC/SC reader, or show what it reveals.

A client of the public API: parse, one call, print. Every :class:`mynumber.errors.Error`
becomes a message and exit code 1 in one place (:func:`_errors`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mynumber.card import (
    CardFile,
    Chip,
    ChipTransport,
    VpcdCard,
    load_or_create_demo_seal_key,
    reader_name,
    reader_port,
)
from mynumber.errors import Error
from mynumber.reader import JPKIClient, KeyKind, PinRef, ReaderError

app = typer.Typer(help="Virtual My Number cards (chip images).", no_args_is_help=True)
console = Console()

DEFAULT_SEAL_KEY = Path("var/card-seal.key")

SealKeyOption = Annotated[
    Path,
    typer.Option(
        "--seal-key-file",
        help="Sealing key of the card images (created with a DEMO value if missing).",
    ),
]
CardFileArg = Annotated[Path, typer.Argument(help="Card image file (JSON).", exists=True)]


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except Error as exc:
        console.print(f"[red]error:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc


def _load(file: Path, seal_key_file: Path, *, writable: bool) -> Chip:
    seal_key = load_or_create_demo_seal_key(seal_key_file)
    store = CardFile(file)
    return Chip.from_image(store.load(), seal_key=seal_key, store=store if writable else None)


@app.command()
def insert(
    file: CardFileArg,
    reader: Annotated[int, typer.Option("--reader", min=0, max=1, help="vpcd reader 0 or 1.")] = 0,
    host: Annotated[str, typer.Option("--host", help="Where pcscd's vpcd listens.")] = "127.0.0.1",
    seal_key_file: SealKeyOption = DEFAULT_SEAL_KEY,
) -> None:
    """Serve the card into pcscd's virtual reader until Ctrl-C."""
    with _errors():
        chip = _load(file, seal_key_file, writable=True)
        card = VpcdCard(chip, host=host, port=reader_port(reader))
        console.print(
            f"card [bold]{chip.manufacture_number}[/] inserted in "
            f"[bold]{reader_name(reader)}[/] (vpcd {host}:{card.port}); Ctrl-C removes it"
        )
        stop = threading.Event()
        try:
            card.serve(stop)
        except KeyboardInterrupt:
            stop.set()
        console.print("card removed")


def _describe(der: bytes) -> tuple[str, str, str]:
    cert = x509.load_der_x509_certificate(der)
    validity = f"{cert.not_valid_before_utc:%Y-%m-%d} → {cert.not_valid_after_utc:%Y-%m-%d}"
    return cert.subject.rfc4514_string(), f"{cert.serial_number:X}", validity


@app.command()
def show(file: CardFileArg, seal_key_file: SealKeyOption = DEFAULT_SEAL_KEY) -> None:
    """Print what any reader can read without a PIN (never keys, never personal data)."""
    with _errors():
        chip = _load(file, seal_key_file, writable=False)
        console.print(
            f"card [bold]{chip.manufacture_number}[/]  life cycle: [bold]{chip.lifecycle}[/]"
        )
        if chip.is_dead:
            console.print("[red]the chip is dead (tamper response): it answers 6F 00[/]")
            return
        client = JPKIClient(ChipTransport(chip))
        apps = Table("application", "AID", title="applications")
        for label, aid in client.applications():
            apps.add_row(escape(label), aid.hex(" ").upper())
        console.print(apps)

        certs = Table("file", "subject", "serial", "validity", title="certificates")
        readers: list[tuple[str, Callable[[], bytes]]] = [
            ("auth certificate (000A)", lambda: client.read_certificate(KeyKind.AUTH)),
            ("auth CA (000B)", lambda: client.read_ca_certificate(KeyKind.AUTH)),
            ("sign CA (0002)", lambda: client.read_ca_certificate(KeyKind.SIGN)),
        ]
        for label, read in readers:
            try:
                subject, serial, validity = _describe(read())
            except (ReaderError, ValueError) as exc:
                certs.add_row(label, f"[dim]{escape(type(exc).__name__)}[/]", "", "")
                continue
            certs.add_row(label, escape(subject), serial, validity)
        certs.add_row("sign certificate (0001)", "[dim]needs the signing password[/]", "", "")
        console.print(certs)

        with contextlib.suppress(ReaderError):
            console.print(f"token (EF 0006): [bold]{escape(client.read_token())}[/]")
        pins = Table("PIN", "tries left", title="PINs")
        for ref in PinRef:
            try:
                left = str(client.pin_status(ref))
            except ReaderError as exc:
                left = f"[dim]{escape(type(exc).__name__)}[/]"
            pins.add_row(ref.spec.label, left)
        console.print(pins)
