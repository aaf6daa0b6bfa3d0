"""``mynumber phone login`` and ``mynumber phone sign``: the Mynaportal smartphone app,
on the command line.

``login`` reads the one-time code (or the URL in the QR code) shown by ``/portal/login``,
shows which site asks, signs the challenge with the card's user-authentication key after
the PIN, and sends the signature with the auth certificate. The PC page then logs in by
itself. ``sign`` does the same for a sign request (``/portal/sign/...``): it shows the
purpose and summary, signs a detached CMS over the bytes with the card's SIGNING key after
the signing password, and sends it; the PC page then continues.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from mynumber import errors
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import DataDir, settings
from mynumber.orgs.portal.phoneapp import sign_challenge
from mynumber.platform.http import error_from_response
from mynumber.reader import InvalidPin, JPKIClient, PinBlocked, PinIncorrect
from mynumber.reader.cms import sign_detached

app = typer.Typer(help="The Mynaportal smartphone app, simulated.", no_args_is_help=True)
console = Console()


def parse_target(target: str) -> tuple[str | None, str]:
    """(portal base URL or None, code) from a code or the QR code's URL."""
    if "://" not in target:
        return None, target
    parts = urlsplit(target)
    code = (parse_qs(parts.query).get("code") or [""])[0]
    if not code:
        raise errors.InvalidInput("the URL carries no code", field="target")
    return f"{parts.scheme}://{parts.netloc}", code


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise error_from_response("portal", response)
    return dict(response.json())


def challenge(http: httpx.Client, code: str) -> dict[str, Any]:
    """What the portal asks the phone to sign (and which site asks)."""
    return _json(http.get(f"/portal/api/login/{code}"))


def approve(
    http: httpx.Client, code: str, client: JPKIClient, *, pin: str, via: str = "qr"
) -> dict[str, Any]:
    """Sign the challenge of ``code`` with the card and send the answer to the portal.

    Raises :class:`~mynumber.reader.PinIncorrect` / ``PinBlocked`` from the card, or the
    portal's refusal as a :class:`mynumber.errors.Error`.
    """
    asked = challenge(http, code)
    answer = sign_challenge(client, base64.b64decode(asked["challenge"]), pin=pin)
    return _json(http.post(f"/portal/api/login/{code}", json=answer.to_json(via=via)))


def sign_request(http: httpx.Client, code: str) -> dict[str, Any]:
    """What a sign request asks the phone to sign: purpose, summary, the bytes."""
    return _json(http.get(f"/portal/api/sign/{code}"))


def sign(http: httpx.Client, code: str, client: JPKIClient, *, password: str) -> dict[str, Any]:
    """Sign the bytes of sign request ``code`` (detached CMS, signing key) and send it.

    Raises :class:`~mynumber.reader.PinIncorrect` / ``PinBlocked`` / ``InvalidPin`` from
    the card, or the portal's refusal as a :class:`mynumber.errors.Error`.
    """
    asked = sign_request(http, code)
    cms = sign_detached(client, base64.b64decode(asked["data"]), password=password)
    return _json(
        http.post(f"/portal/api/sign/{code}", json={"cms": base64.b64encode(cms).decode()})
    )


def open_card(file: Path, data: Path | None) -> JPKIClient:
    """A card image file as the phone's NFC reader sees it (PIN counters are saved)."""
    store = CardFile(file)
    seal = load_or_create_demo_seal_key(settings(data).data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(store.load(), seal_key=seal, store=store)))


@app.command()
def login(
    target: Annotated[str, typer.Argument(help="The code shown on the PC, or the QR code's URL.")],
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    pin: Annotated[
        str | None, typer.Option("--pin", help="Auth PIN (asked when missing).", show_default=False)
    ] = None,
    portal: Annotated[
        str | None, typer.Option("--portal", help="Portal base URL (default: the local server).")
    ] = None,
    data: DataDir = None,
) -> None:
    """Approve a PC's login with a card, as the smartphone app does."""
    base, code = parse_target(target)
    base = base or portal or settings(data).base_url
    client = open_card(card, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        asked = challenge(http, code)
        console.print(f"ログインを求めているサイト / site asking: [bold]{escape(asked['site'])}[/]")
        if pin is None:
            pin = typer.prompt("利用者証明用暗証番号 / auth PIN (4 digits)", hide_input=True)
        try:
            result = approve(http, code, client, pin=pin)
        except PinIncorrect as exc:
            console.print(f"[red]暗証番号が違います / wrong PIN: {exc.tries_left} tries left[/]")
            raise typer.Exit(1) from None
        except PinBlocked:
            console.print(
                "[red]暗証番号がロックされています。市区町村の窓口で初期化してください / "
                "the PIN is locked: have it reset at your municipality's counter[/]"
            )
            raise typer.Exit(1) from None
    console.print(f"[green]{escape(result['message'])}[/]")


@app.command("sign")
def sign_command(
    target: Annotated[str, typer.Argument(help="The code shown on the PC, or the QR code's URL.")],
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Signing password (asked when missing).", show_default=False
        ),
    ] = None,
    portal: Annotated[
        str | None, typer.Option("--portal", help="Portal base URL (default: the local server).")
    ] = None,
    data: DataDir = None,
) -> None:
    """Sign what a PC asks for with the card's signing key, as the smartphone app does."""
    base, code = parse_target(target)
    base = base or portal or settings(data).base_url
    client = open_card(card, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        asked = sign_request(http, code)
        console.print(f"署名を求めているサイト / site asking: [bold]{escape(asked['site'])}[/]")
        purpose = asked["purpose_ja"] + (f" / {asked['purpose_en']}" if asked["purpose_en"] else "")
        console.print(f"目的 / purpose: [bold]{escape(purpose)}[/]")
        console.print(escape(asked["summary"]))
        if password is None:
            password = typer.prompt(
                "署名用電子証明書のパスワード / signing password (6-16 A-Z 0-9)", hide_input=True
            )
        try:
            result = sign(http, code, client, password=password)
        except PinIncorrect as exc:
            console.print(
                f"[red]パスワードが違います / wrong password: {exc.tries_left} tries left[/]"
            )
            raise typer.Exit(1) from None
        except PinBlocked:
            console.print(
                "[red]パスワードがロックされています。市区町村の窓口で初期化してください / "
                "the signing password is locked: have it reset at your municipality's counter[/]"
            )
            raise typer.Exit(1) from None
        except InvalidPin:
            console.print("[red]パスワードは英大文字と数字の6〜16文字です / 6-16 of A-Z, 0-9[/]")
            raise typer.Exit(1) from None
    console.print(f"[green]{escape(result['message'])}[/]")
