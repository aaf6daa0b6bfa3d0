"""``mynumber card renew|address``: the municipality's counter renews the card's
certificates (電子証明書の更新) or writes an address change on it (住所変更, the 追記欄).

The card is read on the counter's reader: the holder's PIN is checked on the card first
(a wrong one costs a try and stops here, nothing is sent), then the clerk sends the card to
the municipality, which has J-LIS rewrite it; the rewritten card is written back to the
file. Acts as the municipality's clerk: the local administrator on the data folder, or a
clerk's ``--token`` with ``--url``. Every refusal exits 1 with its reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.errors import Error
from mynumber.reader import InvalidPin, JPKIClient, PinBlocked, PinIncorrect, PinRef, ReaderError

out = Console()

CardFileArg = Annotated[Path, typer.Argument(help="Card image file (JSON).", exists=True)]
Resident = Annotated[str, typer.Option("--resident", help="the resident's id here")]
Municipality = Annotated[str, typer.Option("--municipality", "-m", help="e.g. 131016")]


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A refusal (the card, the municipality or J-LIS) is a message and exit code 1."""
    try:
        yield
    except PinIncorrect as exc:
        out.print(f"[red]refused:[/] wrong PIN ({exc.tries_left} tries left)")
        raise typer.Exit(1) from exc
    except PinBlocked as exc:
        out.print("[red]refused:[/] the PIN is blocked: have it reset at the counter first")
        raise typer.Exit(1) from exc
    except InvalidPin as exc:
        out.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    except (Error, ReaderError) as exc:
        message = exc.message if isinstance(exc, Error) else str(exc)
        out.print(f"[red]refused:[/] {escape(message)}")
        raise typer.Exit(1) from exc


def _card(file: Path, data: Path | None) -> tuple[Chip, JPKIClient]:
    seal = load_or_create_demo_seal_key(settings(data).data_dir / "card-seal.key")
    store = CardFile(file)  # tries spent on a wrong PIN are kept on the card
    chip = Chip.from_image(store.load(), seal_key=seal, store=store)
    return chip, JPKIClient(ChipTransport(chip))


def _at_counter(
    file: Path,
    path: str,
    *,
    resident: str,
    municipality: str,
    pins: list[tuple[PinRef, str]],
    data: Path | None,
    url: str | None,
    token: str | None,
) -> dict[str, Any]:
    """Check the PINs on the card, send it to the counter's route, write back the result."""
    chip, client = _card(file, data)
    for ref, value in pins:
        client.verify_pin(ref, value)
    chip.reset()
    image = CardFile(file).load().decode("utf-8")
    with staff_client(f"municipality-{municipality}", data=data, url=url, token=token) as clerk:
        answer: dict[str, Any] = clerk.request(
            "POST", f"/api/residents/{resident}/card/{path}", {"card_image": image}
        )
    CardFile(file).save(answer["card_image"].encode("utf-8"))
    return answer


def _print_certificates(answer: dict[str, Any]) -> None:
    for cert in answer["certificates"]:
        out.print(
            f"  new {cert['hierarchy']:7} certificate serial {cert['serial']}, "
            f"notAfter {cert['not_after']}"
        )
    for serial in answer["revoked"]:
        out.print(f"  revoked certificate serial {serial}")
    if answer.get("card_expires_on"):
        out.print(f"  the card expires on {answer['card_expires_on']}: no certificate runs past it")


def renew(
    file: CardFileArg,
    resident: Resident,
    municipality: Municipality,
    pin: Annotated[
        str, typer.Option("--pin", prompt=True, hide_input=True, help="利用者証明用 PIN")
    ],
    password: Annotated[
        str | None,
        typer.Option(
            "--password", hide_input=True, help="署名用 password (a card with a signing key)"
        ),
    ] = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """電子証明書の更新 at the counter: new key pairs and certificates on the same card, from
    3 months before the certificates end (a generation-2 card: one year)."""
    pins = [(PinRef.JPKI_AUTH, pin)]
    if password is not None:
        pins.append((PinRef.JPKI_SIGN, password))
    with _refusals():
        answer = _at_counter(
            file,
            "renew",
            resident=resident,
            municipality=municipality,
            pins=pins,
            data=data,
            url=url,
            token=token,
        )
    out.print(f"card [bold]{answer['manufacture_number']}[/] renewed, written to {file}")
    _print_certificates(answer)


def address(
    file: CardFileArg,
    resident: Resident,
    municipality: Municipality,
    pin: Annotated[
        str,
        typer.Option(
            "--pin",
            prompt=True,
            hide_input=True,
            help="住民基本台帳用 PIN (a generation-2 card: the card PIN)",
        ),
    ],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """住所変更 at the counter after a move: the new address in the 追記欄 and the text AP
    (sealed by J-LIS), a new signing certificate; the auth certificate stays."""
    with _refusals():
        _, client = _card(file, data)
        ref = PinRef.JPKI_AUTH if client.generation == 2 else PinRef.JUKI
        answer = _at_counter(
            file,
            "address",
            resident=resident,
            municipality=municipality,
            pins=[(ref, pin)],
            data=data,
            url=url,
            token=token,
        )
    out.print(f"card [bold]{answer['manufacture_number']}[/]: address changed, written to {file}")
    entry = answer.get("endorsement")
    if entry:
        out.print(
            f"  追記欄 entry {answer['endorsements']}: {entry['date']} {entry['kind']} "
            f"{escape(entry['text'])} ({entry['municipality']})"
        )
    if answer.get("endorsement_full"):
        out.print(
            "  [yellow]the 追記欄 is now full: the next change needs a new card "
            "(特急発行 within 30 days)[/]"
        )
    _print_certificates(answer)
