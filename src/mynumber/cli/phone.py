"""``mynumber phone login``, ``mynumber phone sign`` and ``mynumber phone enrol``: the
Mynaportal smartphone app (:mod:`mynumber.devices.phone`), on the command line.

``enrol`` puts the phone's own JPKI certificates (スマホ用電子証明書) in a phone file with the
card (:mod:`mynumber.devices.phone.enrolment`); ``login --phone`` then logs in with them
instead of the card.

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
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from mynumber.card import load_or_create_demo_seal_key
from mynumber.cli.inserted import card_or_phone
from mynumber.cli.options import DataDir, settings
from mynumber.devices import phone as device
from mynumber.errors import Error
from mynumber.reader import InvalidPin, JPKIClient, PinBlocked, PinIncorrect

if TYPE_CHECKING:
    from mynumber.devices.phone.card import JPKIToken
    from mynumber.reader.cms import SigningToken

app = typer.Typer(help="The Mynaportal smartphone app, simulated.", no_args_is_help=True)
console = Console()

Url = Annotated[
    str | None,
    typer.Option("--url", help="The deployment, e.g. http://127.0.0.1:8000 (default: local)."),
]


def _resources(http: httpx.Client) -> device.Resources:
    """The phone's resources within the deployment ``http`` is based at."""
    return device.Resources(allowed=[str(http.base_url).rstrip("/")], http=http)


def _url(http: httpx.Client, code: str, kind: str) -> str:
    return device.resource_of(code, kind=kind, base_url=str(http.base_url))


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
    http: httpx.Client, code: str, client: JPKIToken, *, pin: str, via: str = "qr"
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


def sign(http: httpx.Client, code: str, client: SigningToken, *, password: str) -> dict[str, Any]:
    """Sign the bytes of Mynaportal's sign request ``code`` on the card (or with the phone's
    own credential) and send the CMS
    (:meth:`mynumber.devices.phone.Resources.sign`)."""
    return _resources(http).sign(_url(http, code, "sign"), client, password=password)


def _card(file: Path, data: Path | None) -> JPKIClient:
    return device.open_card(file, settings(data).data_dir / "card-seal.key")


def _seal(data: Path | None) -> bytes:
    return load_or_create_demo_seal_key(settings(data).data_dir / "card-seal.key")


@app.command()
def login(
    target: Annotated[
        str, typer.Argument(help="The code shown on the PC, the QR code's URL or the resource.")
    ],
    card: Annotated[
        Path | None, typer.Option("--card", help="Card image file.", exists=True)
    ] = None,
    phone_file: Annotated[
        Path | None,
        typer.Option(
            "--phone", help="The phone's own certificates (from phone enrol).", exists=True
        ),
    ] = None,
    pin: Annotated[
        str | None, typer.Option("--pin", help="Auth PIN (asked when missing).", show_default=False)
    ] = None,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Approve a login with a card, or with the phone's own certificate, as the app does."""
    base = (url or settings(data).base_url).rstrip("/")
    client: JPKIToken = card_or_phone(card, phone_file, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        phone = _resources(http)
        resource = device.resource_of(target, kind="login", base_url=base)
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
    card: Annotated[
        Path | None, typer.Option("--card", help="Card image file.", exists=True)
    ] = None,
    phone_file: Annotated[
        Path | None,
        typer.Option(
            "--phone", help="The phone's own certificates (from phone enrol).", exists=True
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Signing password (asked when missing).", show_default=False
        ),
    ] = None,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Sign what a site asks for with the card's signing key, or with the phone's own
    signing certificate, as the smartphone app does."""
    base = (url or settings(data).base_url).rstrip("/")
    client: SigningToken = card_or_phone(card, phone_file, data)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        phone = _resources(http)
        resource = device.resource_of(target, kind="sign", base_url=base)
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


@app.command("enrol")
def enrol_command(
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    out: Annotated[Path, typer.Option("--out", help="The phone's file to write.")],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="The card's signing password (asked when missing).",
            show_default=False,
        ),
    ] = None,
    pin: Annotated[
        str | None,
        typer.Option(
            "--pin", help="The phone's new auth PIN, 4 digits (asked).", show_default=False
        ),
    ] = None,
    new_password: Annotated[
        str | None,
        typer.Option(
            "--new-password",
            help="The phone's new signing password (default: the card's).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="android or iphone.", case_sensitive=False)
    ] = "android",
    assist_pin: Annotated[
        str | None,
        typer.Option(
            "--assist-pin",
            help="iPhone: the card's 入力補助 PIN (asked when missing).",
            show_default=False,
        ),
    ] = None,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """スマホ用電子証明書: put the phone's own two certificates on it, with the card.

    Two key pairs are made in the phone's store; the card signs the request after its
    signing password; J-LIS issues the certificates. An earlier phone of the same person
    loses its certificates (one device per person).
    """
    kind = kind.lower()
    base = (url or settings(data).base_url).rstrip("/")
    if out.exists():
        console.print(f"[red]{escape(str(out))} exists: choose another file[/]")
        raise typer.Exit(1)
    if password is None:
        password = typer.prompt(
            "カードの署名用電子証明書のパスワード / the card's signing password", hide_input=True
        )
    if pin is None:
        pin = typer.prompt("スマホの利用者証明用暗証番号 / the phone's auth PIN", hide_input=True)
    if kind == "iphone" and assist_pin is None:
        assist_pin = typer.prompt("券面事項入力補助用暗証番号 / 入力補助 PIN", hide_input=True)
    client = _card(card, data)
    with httpx.Client(base_url=base, timeout=60.0) as http:
        try:
            from mynumber.devices.phone.enrolment import enrol as enrol_phone

            enrolled = enrol_phone(
                http,
                client,
                seal=_seal(data),
                kind=kind,
                card_password=password,
                pin=pin,
                password=new_password or password,
                assist_pin=assist_pin,
            )
        except PinIncorrect as exc:
            console.print(
                f"[red]カードの暗証番号が違います / wrong card PIN: {exc.tries_left} tries left[/]"
            )
            raise typer.Exit(1) from None
        except PinBlocked:
            console.print(
                "[red]カードの暗証番号がロックされています。市区町村の窓口で初期化してください / "
                "the card's PIN is locked: have it reset at your municipality's counter[/]"
            )
            raise typer.Exit(1) from None
        except Error as exc:
            console.print(f"[red]{escape(exc.message)}[/]")
            raise typer.Exit(1) from None
    enrolled.credential.save(out)
    answer = enrolled.answer
    console.print(
        f"[green]スマホ用電子証明書を発行しました / phone certificates issued[/] "
        f"({escape(kind)}, token {escape(enrolled.credential.read_token())}) → {escape(str(out))}"
    )
    for cert in answer["certificates"]:
        console.print(
            f"  {cert['hierarchy']}: serial {cert['serial']}, valid to {cert['not_after']}"
        )
    for old in answer["replaced"]:
        console.print(f"  [yellow]earlier phone's {old['hierarchy']} {old['serial']} revoked[/]")
