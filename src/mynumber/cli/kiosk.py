"""``mynumber kiosk issue``: a convenience-store kiosk on the command line — the card file
stands for the card set on the reader, the PIN goes to it, and the certificate J-LIS's
証明書交付センター relays back is written as a PDF.

With ``--url`` the kiosk talks to a running server (signing as its store chain with the key
in ``--data``'s ``keys/``); without, to the deployment in ``--data``, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console

from mynumber import federation
from mynumber.cli.benefits import Url
from mynumber.cli.inserted import card_or_phone
from mynumber.cli.options import DataDir, settings
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import InvalidPin, PinBlocked, PinIncorrect

if TYPE_CHECKING:
    from mynumber.devices.kiosk import Issued
    from mynumber.devices.phone.card import JPKIToken

app = typer.Typer(
    help="コンビニ交付: certificates at a convenience-store kiosk.", no_args_is_help=True
)
console = Console(stderr=True)


@contextmanager
def _http(url: str | None, data: Path | None) -> Iterator[tuple[httpx.Client, str]]:
    if url is not None:
        with httpx.Client(timeout=60.0) as http:
            yield http, url.rstrip("/") + "/jlis"
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        yield fed.directory.http, fed.directory.url("jlis")
    finally:
        fed.close()


@app.command()
def issue(
    certificate: Annotated[
        str,
        typer.Option(
            "--certificate",
            help="juminhyo | juminhyo-kisai | inkan | shotoku | koseki | koseki-fuhyo",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
    card: Annotated[
        Path | None, typer.Option("--card", help="Card image file.", exists=True)
    ] = None,
    phone_file: Annotated[
        Path | None,
        typer.Option(
            "--phone",
            help="The phone's own certificates (from phone enrol; an Android phone's).",
            exists=True,
        ),
    ] = None,
    pin: Annotated[
        str | None, typer.Option("--pin", help="Auth PIN (asked when missing).", show_default=False)
    ] = None,
    members: Annotated[str, typer.Option("--members", help="self | all (住民票)")] = "self",
    member: Annotated[
        list[str] | None, typer.Option("--member", help="a household member by name (repeatable)")
    ] = None,
    honseki: Annotated[
        str | None, typer.Option("--honseki", help="the 本籍地 municipality code (戸籍)")
    ] = None,
    with_honseki: Annotated[bool, typer.Option("--with-honseki", help="print 本籍")] = False,
    with_my_number: Annotated[
        bool, typer.Option("--with-my-number", help="print the My Number (only if you need it)")
    ] = False,
    store: Annotated[str, typer.Option("--store", help="the store's id")] = "sunrise-0001",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Issue a certificate at a kiosk with the card (or an Android phone's own certificate),
    and write the PDF."""
    from mynumber.devices.kiosk import STORES, Kiosk
    from mynumber.devices.kiosk.terminal import Choice

    if store not in STORES:
        raise typer.BadParameter(f"one of {', '.join(STORES)}", param_hint="--store")
    config = settings(data)
    choice = Choice(
        certificate=certificate,
        members=members,
        member_names=list(member or []),
        honseki=honseki,
        options={"honseki": with_honseki, "my_number": with_my_number},
    )
    if pin is None:
        pin = typer.prompt("利用者証明用暗証番号 / auth PIN (4 digits)", hide_input=True)
    client: JPKIToken = card_or_phone(card, phone_file, data)
    keys = KeyFolder(config.data_dir / "keys")
    chain = STORES[store].chain
    with _http(url, data) as (http, jlis_url):
        kiosk = Kiosk(
            STORES[store],
            jlis_url=jlis_url,
            http=http,
            identity=Identity(chain, keys.private_key(chain)),
        )
        try:
            done: Issued = kiosk.issue(client, pin=pin, choice=choice)
        except PinIncorrect as exc:
            console.print(f"[red]暗証番号が違います / wrong PIN: {exc.tries_left} tries left[/]")
            raise typer.Exit(1) from None
        except PinBlocked:
            console.print(
                "[red]暗証番号がロックされています。市区町村の窓口で初期化してください / "
                "the PIN is locked: have it reset at your municipality's counter[/]"
            )
            raise typer.Exit(1) from None
        except InvalidPin:
            console.print("[red]暗証番号は数字4桁です / the auth PIN is 4 digits[/]")
            raise typer.Exit(1) from None
    out.write_bytes(done.pdf)
    print(f"fee_yen {done.fee_yen}")
    print(f"verification_code {done.verification_code}")
    print(f"municipality {done.municipality}")
    print(f"pdf {out}")
