"""``mynumber card pin-reset …``: reset a JPKI PIN — at the municipality's counter, or
reserved on the phone and completed at a convenience-store kiosk.

The new PIN goes only to the card: J-LIS answers the chip's challenge and this command (the
counter's reader, the phone, the kiosk) sets the PIN on the card image. ``counter`` acts
as the municipality's clerk (the local administrator on the data folder, or a clerk's
``--token`` with ``--url``); ``reserve`` and ``kiosk`` need no account, the card proves
itself with the other JPKI key.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from mynumber import federation
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.devices.pin_reset import OTHER_KEY, face_score, prove, read_photo, set_pin
from mynumber.platform.http import Directory, InProcessTransport, ServiceClient
from mynumber.reader import JPKIClient

app = typer.Typer(
    help="Reset a PIN: at the counter, or reserved on the phone and done at a kiosk.",
    no_args_is_help=True,
)
out = Console()

CardFileArg = Annotated[Path, typer.Argument(help="Card image file (JSON).", exists=True)]
NewPin = Annotated[
    str, typer.Option("--new-pin", prompt=True, hide_input=True, help="the new PIN or password")
]
OtherPin = Annotated[
    str,
    typer.Option("--other-pin", prompt=True, hide_input=True, help="the PIN of the other JPKI key"),
]
KioskPin = Annotated[
    str, typer.Option("--pin", help="auth (利用者証明用) or sign (署名用); kiosks reset no other")
]


@contextmanager
def _jlis(data: Path | None, url: str | None) -> Iterator[ServiceClient]:
    """J-LIS's public PIN-reset routes: a running server, or the federation in-process."""
    if url:
        with httpx.Client(timeout=60.0) as http:
            base = url.rstrip("/") + federation.mount_path("jlis")
            yield ServiceClient(Directory({"jlis": base}, http), "jlis", None)
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        with httpx.Client(transport=InProcessTransport(fed.root), timeout=60.0) as http:
            yield ServiceClient(Directory(fed.directory.urls, http), "jlis", None)
    finally:
        fed.close()


def _card(file: Path, data: Path | None) -> tuple[Chip, JPKIClient]:
    seal = load_or_create_demo_seal_key(settings(data).data_dir / "card-seal.key")
    store = CardFile(file)
    chip = Chip.from_image(store.load(), seal_key=seal, store=store)
    return chip, JPKIClient(ChipTransport(chip))


def _save(chip: Chip, file: Path) -> None:
    CardFile(file).save(chip.to_image())


@app.command()
def counter(
    file: CardFileArg,
    resident: Annotated[str, typer.Option("--resident", help="the resident's id here")],
    municipality: Annotated[str, typer.Option("--municipality", help="e.g. 131016")],
    pin: Annotated[str, typer.Option("--pin", help="auth, sign, text or juki")],
    new_pin: NewPin,
    identity: Annotated[
        str, typer.Option("--identity", help="card_photo, passport, driver_licence, two_documents")
    ] = "card_photo",
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """暗証番号の初期化 at the counter, after the clerk checked the holder's identity."""
    if pin not in ("auth", "sign", "text", "juki"):
        raise typer.BadParameter("auth, sign, text or juki", param_hint="--pin")
    chip, client = _card(file, data)
    mfg = client.read_manufacture_number()
    org = f"municipality-{municipality}"
    with staff_client(org, data=data, url=url, token=token) as clerk:

        def authorise(challenge: bytes) -> bytes:
            answer = clerk.request(
                "POST",
                f"/api/residents/{resident}/card/pin-reset",
                {
                    "manufacture_number": mfg,
                    "pin": pin,
                    "card_challenge": base64.b64encode(challenge).decode(),
                    "identity_checked_with": identity,
                },
            )
            return base64.b64decode(answer["cryptogram"])

        set_pin(ChipTransport(chip), pin, new_pin, authorise=authorise)
    _save(chip, file)
    out.print(f"card {mfg}: the {pin} PIN is set and its tries refilled")


@app.command()
def reserve(
    file: CardFileArg,
    pin: KioskPin,
    other_pin: OtherPin,
    face: Annotated[Path, typer.Option("--face", exists=True, help="a live picture (image)")],
    pin_b: Annotated[
        str,
        typer.Option(
            "--pin-b", help="券面AP PIN B: birth YYMMDD + expiry year + the card's security code"
        ),
    ],
    data: DataDir = None,
    url: Url = None,
) -> None:
    """On the phone: match a live face to the chip photo, prove the other PIN, reserve."""
    if pin not in OTHER_KEY:
        raise typer.BadParameter(
            "a kiosk resets only auth or sign; the 住基 and 入力補助 PINs at the counter",
            param_hint="--pin",
        )
    _, client = _card(file, data)
    score = face_score(face.read_bytes(), read_photo(client, pin_b))
    with _jlis(data, url) as jlis:
        challenge = base64.b64decode(jlis.request("POST", "/pin-reset/challenge")["challenge"])
        proof = prove(client, challenge, key=OTHER_KEY[pin], pin=other_pin)
        made = jlis.request(
            "POST", "/pin-reset/reservations", proof | {"pin": pin, "face_score": score}
        )
    out.print(f"reservation {made['reservation']} for the {pin} PIN, until {made['expires_at']}")


@app.command()
def kiosk(
    file: CardFileArg,
    reservation: Annotated[str, typer.Option("--reservation", help="from 'reserve'")],
    pin: KioskPin,
    other_pin: OtherPin,
    new_pin: NewPin,
    data: DataDir = None,
    url: Url = None,
) -> None:
    """At a kiosk (6:30–23:00): the reservation, the other PIN again, the new PIN."""
    if pin not in OTHER_KEY:
        raise typer.BadParameter("a kiosk resets only auth or sign", param_hint="--pin")
    chip, client = _card(file, data)
    with _jlis(data, url) as jlis:
        challenge = base64.b64decode(jlis.request("POST", "/pin-reset/challenge")["challenge"])
        proof = prove(client, challenge, key=OTHER_KEY[pin], pin=other_pin)

        def authorise(card_challenge: bytes) -> bytes:
            answer = jlis.request(
                "POST",
                "/pin-reset/kiosk",
                proof
                | {
                    "reservation": reservation.strip().upper(),
                    "card_challenge": base64.b64encode(card_challenge).decode(),
                },
            )
            return base64.b64decode(answer["cryptogram"])

        set_pin(ChipTransport(chip), pin, new_pin, authorise=authorise)
    _save(chip, file)
    out.print(f"card {chip.manufacture_number}: the {pin} PIN is set")
