"""``mynumber phone login`` and ``mynumber phone sign``: the Mynaportal smartphone app
(:mod:`mynumber.devices.phone`), on the command line.

TARGET is the one-time code shown on the PC (then Mynaportal's resource in the deployment
at ``--url``, default the local server), the URL in the QR code (``…/phone/login?request=
…``) or the challenge resource's URL itself. ``login`` shows which site asks, signs the
challenge with the card's user-authentication key after the PIN and sends the signature
with the auth certificate; ``sign`` shows the purpose and summary, signs a detached CMS
over the bytes with the signing key after the signing password and sends it. The PIN and
the password go only to the card. The phone talks only to resources under ``--url``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from mynumber.cli.options import DataDir, settings
from mynumber.devices.phone import Resources, open_card, resource_of
from mynumber.reader import InvalidPin, JPKIClient, PinBlocked, PinIncorrect

app = typer.Typer(help="The Mynaportal smartphone app, simulated.", no_args_is_help=True)
console = Console()

Url = Annotated[
    str | None,
    typer.Option("--url", help="The deployment, e.g. http://127.0.0.1:8000 (default: local)."),
]


def _resources(http: httpx.Client) -> Resources:
    """The phone's resources within the deployment ``http`` is based at."""
    return Resources(allowed=[str(http.base_url).rstrip("/")], http=http)


def _url(http: httpx.Client, code: str, kind: str) -> str:
    return resource_of(code, kind=kind, base_url=str(http.base_url))


def challenge(http: httpx.Client, code: str) -> dict[str, Any]:
    """What Mynaportal's login ``code`` asks the phone to sign (and which site asks)."""
    asked = _resources(http).login_asked(_url(http, code, "login"))
    return {
        "code": asked.code,
        "challenge": base64.b64encode(asked.challenge).decode(),
        "site": asked.site,
        "expires_at": asked.expires_at,
    }


def approve(
    http: httpx.Client, code: str, client: JPKIClient, *, pin: str, via: str = "qr"
) -> dict[str, Any]:
    """Sign the challenge of Mynaportal's login ``code`` with the card and send it
    (:meth:`mynumber.devices.phone.Resources.approve`)."""
    return _resources(http).approve(_url(http, code, "login"), client, pin=pin, via=via)


def sign_request(http: httpx.Client, code: str) -> dict[str, Any]:
    """What Mynaportal's sign request ``code`` asks: purpose, summary, the bytes (base64)."""
    asked = _resources(http).sign_asked(_url(http, code, "sign"))
    return {
        "code": asked.code,
        "site": asked.site,
        "purpose_ja": asked.purpose_ja,
        "purpose_en": asked.purpose_en,
        "summary": asked.summary,
        "data": base64.b64encode(asked.data).decode(),
        "expires_at": asked.expires_at,
    }


def sign(http: httpx.Client, code: str, client: JPKIClient, *, password: str) -> dict[str, Any]:
    """Sign the bytes of Mynaportal's sign request ``code`` on the card and send the CMS
    (:meth:`mynumber.devices.phone.Resources.sign`)."""
    return _resources(http).sign(_url(http, code, "sign"), client, password=password)


def _card(file: Path, data: Path | None) -> JPKIClient:
    return open_card(file, settings(data).data_dir / "card-seal.key")


@app.command()
def login(
    target: Annotated[
        str, typer.Argument(help="The code shown on the PC, the QR code's URL or the resource.")
    ],
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    pin: Annotated[
        str | None, typer.Option("--pin", help="Auth PIN (asked when missing).", show_default=False)
    ] = None,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Approve a login with a card, as the smartphone app does."""
    base = (url or settings(data).base_url).rstrip("/")
    client = _card(card, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        phone = _resources(http)
        resource = resource_of(target, kind="login", base_url=base)
        asked = phone.login_asked(resource)
        console.print(f"ログインを求めているサイト / site asking: [bold]{escape(asked.site)}[/]")
        if pin is None:
            pin = typer.prompt("利用者証明用暗証番号 / auth PIN (4 digits)", hide_input=True)
        try:
            result = phone.approve(resource, client, pin=pin)
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
    console.print(f"[green]{escape(str(result.get('message', 'ok')))}[/]")


@app.command("sign")
def sign_command(
    target: Annotated[
        str, typer.Argument(help="The code shown on the PC, the QR code's URL or the resource.")
    ],
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Signing password (asked when missing).", show_default=False
        ),
    ] = None,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Sign what a site asks for with the card's signing key, as the smartphone app does."""
    base = (url or settings(data).base_url).rstrip("/")
    client = _card(card, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        phone = _resources(http)
        resource = resource_of(target, kind="sign", base_url=base)
        asked = phone.sign_asked(resource)
        console.print(f"署名を求めているサイト / site asking: [bold]{escape(asked.site)}[/]")
        console.print(f"目的 / purpose: [bold]{escape(asked.purpose)}[/]")
        console.print(escape(asked.summary))
        if password is None:
            password = typer.prompt(
                "署名用電子証明書のパスワード / signing password (6-16 A-Z 0-9)", hide_input=True
            )
        try:
            result = phone.sign(resource, client, password=password)
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
    console.print(f"[green]{escape(str(result.get('message', 'ok')))}[/]")
