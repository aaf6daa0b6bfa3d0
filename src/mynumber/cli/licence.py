"""``mynumber licence read``: the driver's licence in the card's free area, shown only once
the police signature over it verifies (:mod:`mynumber.reader.freearea`).

The PIN is the licence PIN (a wrong one counts down on the card). The trust anchor is the
police licence-signing root, given as a PEM file: the police organisation that would
publish it is not part of this federation yet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.console import Console
from rich.markup import escape

from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import DataDir, settings
from mynumber.errors import Error
from mynumber.reader.freearea import read_licence, verify_licence

app = typer.Typer(help="The driver's licence on the card (マイナ免許証).", no_args_is_help=True)
console = Console()


@app.command()
def read(
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    pin: Annotated[str, typer.Option("--pin", help="The licence PIN (4 digits).")],
    police_root: Annotated[
        Path, typer.Option("--police-root", help="The police licence root (PEM).", exists=True)
    ],
    seal_key_file: Annotated[
        Path | None,
        typer.Option("--seal-key-file", help="Card sealing key (default DATA/card-seal.key)."),
    ] = None,
    data: DataDir = None,
) -> None:
    """Verify and show the licence: exit 0 and the licence, or 1 and the reason."""
    try:
        root = x509.load_pem_x509_certificate(police_root.read_bytes())
    except ValueError as exc:
        raise typer.BadParameter("not a PEM certificate", param_hint="--police-root") from exc
    seal_key = load_or_create_demo_seal_key(
        seal_key_file or settings(data).data_dir / "card-seal.key"
    )
    store = CardFile(card)
    try:
        chip = Chip.from_image(store.load(), seal_key=seal_key, store=store)
        licence = verify_licence(*read_licence(ChipTransport(chip), pin), root)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    today = dt.datetime.now(dt.UTC).date()
    state = "valid" if licence.valid_on(today) else "[red]not valid today[/]"
    console.print(f"免許証番号 {licence.number}  ({state}, until {licence.valid_until})")
    console.print(f"氏名 {escape(licence.name)}  生年月日 {licence.birth_date}")
    console.print(f"住所 {escape(licence.address)}")
    console.print(f"種類 {escape('・'.join(licence.types))}")
    console.print(f"条件等 {escape('・'.join(licence.conditions) or 'なし')}")
    console.print(f"交付 {licence.issued_on}  {escape(licence.commission)}")
