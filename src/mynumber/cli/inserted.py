"""A card for a command: an image file (``--card FILE``) or the card inserted in a PC/SC
reader (``--reader NAME``, part of the reader's name; ``""`` takes the first reader), as
pcscd sees it (with vpcd, the virtual card ``mynumber card insert`` serves)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from mynumber import errors
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import settings
from mynumber.reader import JPKIClient, PCSCTransport
from mynumber.reader.transport import Transport

if TYPE_CHECKING:
    from mynumber.devices.phone.credential import PhoneCredential

CardOption = Annotated[
    Path | None, typer.Option("--card", help="Card image file.", exists=True, show_default=False)
]
ReaderOption = Annotated[
    str | None,
    typer.Option(
        "--reader",
        help="Instead of --card: the card in this PC/SC reader (part of its name).",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class Inserted:
    """The card a command talks to, and how to begin again (a fresh session on it)."""

    transport: Transport
    chip: Chip | None

    def manufacture_number(self) -> str:
        if self.chip is not None:
            return self.chip.manufacture_number
        return JPKIClient(self.transport).read_manufacture_number()

    def reset(self) -> None:
        """The card leaves and comes back: no PIN verified, no session open."""
        if self.chip is not None:
            self.chip.reset()


@contextlib.contextmanager
def inserted(
    card: Path | None, reader: str | None, data: Path | None, seal_key_file: Path | None = None
) -> Iterator[Inserted]:
    """The card of ``--card`` or ``--reader`` (exactly one of them)."""
    if (card is None) == (reader is None):
        raise typer.BadParameter("give either --card FILE or --reader NAME", param_hint="--card")
    if card is not None:
        seal_key = load_or_create_demo_seal_key(
            seal_key_file or settings(data).data_dir / "card-seal.key"
        )
        store = CardFile(card)
        chip = Chip.from_image(store.load(), seal_key=seal_key, store=store)
        yield Inserted(ChipTransport(chip), chip)
        return
    with PCSCTransport(reader or None) as transport:
        yield Inserted(transport, None)


def card_or_phone(
    card: Path | None, phone_file: Path | None, data: Path | None
) -> JPKIClient | PhoneCredential:
    """The card image, or the phone's own certificates (from ``phone enrol``): exactly one of
    the two is given; both are sealed with the data folder's demo card-seal key."""
    from mynumber.devices.phone.credential import PhoneCredential
    from mynumber.devices.phone.wallet import open_card

    console = Console()
    if (card is None) == (phone_file is None):
        console.print("[red]give either --card or --phone[/]")
        raise typer.Exit(2)
    seal = settings(data).data_dir / "card-seal.key"
    try:
        if card is not None:
            return open_card(card, seal)
        assert phone_file is not None
        return PhoneCredential.load(phone_file, load_or_create_demo_seal_key(seal))
    except errors.Error as exc:
        console.print(f"[red]{escape(exc.message)}[/]")
        raise typer.Exit(1) from None
