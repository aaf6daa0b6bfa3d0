"""``mynumber licence …``: the driver's licence on the card (マイナ免許証,
:mod:`mynumber.reader.freearea`), on a card file (``--card``) or the card in a PC/SC reader
(``--reader``).

``write`` is the police desk (公安委員会): the police (``/police``) sign the licence record
they keep (``POST /police/api/licences/{number}/card-data``), J-LIS's operator grants the
licence application's session key for this card to the approved commission (``POST
/jlis/cards/{mfg}/free-area/licence``), and the desk writes data, signature and the holder's
licence PIN. ``read`` shows the licence only once the police signature verifies under the
police root (``DATA/police/police-root.pem``); the PIN is the licence PIN (a wrong one
counts down on the card). ``link`` is the holder presenting the signing certificate to the
police (an application signed with the card's signing key).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from cryptography import x509
from rich.console import Console
from rich.markup import escape

from mynumber import jst
from mynumber.cli.inserted import CardOption, ReaderOption, inserted
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.errors import Error
from mynumber.platform.http import Directory, ServiceClient
from mynumber.reader import JPKIClient
from mynumber.reader.freearea import (
    FreeApp,
    FreeAreaSession,
    read_licence,
    validate_licence_number,
    verify_licence,
)
from mynumber.reader.transport import Transport

app = typer.Typer(help="The driver's licence on the card (マイナ免許証).", no_args_is_help=True)
console = Console()

Number = Annotated[str, typer.Option("--number", help="The licence number (12 digits).")]
SealKey = Annotated[
    Path | None,
    typer.Option("--seal-key-file", help="Card sealing key (default DATA/card-seal.key)."),
]


def _number(value: str) -> str:
    try:
        return validate_licence_number(value)
    except Error as exc:
        raise typer.BadParameter(exc.message, param_hint="--number") from exc


@app.command()
def write(
    number: Number,
    pin: Annotated[str, typer.Option("--pin", help="The licence PIN the holder chose.")],
    card: CardOption = None,
    reader: ReaderOption = None,
    url: Url = None,
    token: Token = None,
    jlis_token: Annotated[
        str | None,
        typer.Option(
            "--jlis-token",
            envvar="MYNUMBER_JLIS_TOKEN",
            help="J-LIS staff token for the grant, with --url (default: --token)",
            show_default=False,
        ),
    ] = None,
    seal_key_file: SealKey = None,
    data: DataDir = None,
) -> None:
    """The police write their licence record into the card's free area."""
    licence_number = _number(number)
    try:
        with inserted(card, reader, data, seal_key_file) as target:
            mfg = target.manufacture_number()
            with staff_client("police", data=data, url=url, token=token) as police:
                signed = police.request("POST", f"/api/licences/{licence_number}/card-data")
                commission = str(
                    police.request("GET", "/api/licences/" + licence_number)["commission"]
                )
            with staff_client("jlis", data=data, url=url, token=jlis_token or token) as jlis:
                answer = jlis.request(
                    "POST", f"/cards/{mfg}/free-area/licence", {"issuer": commission}
                )
            session_key = base64.b64decode(answer["session_key"])
            body = base64.b64decode(signed["data"])
            session = FreeAreaSession.open(target.transport, FreeApp.LICENCE, session_key)
            session.write_licence(body, base64.b64decode(signed["signature"]), pin)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    console.print(f"licence {licence_number} written to card {mfg}")


@app.command()
def read(
    pin: Annotated[str, typer.Option("--pin", help="The licence PIN (4 digits).")],
    card: CardOption = None,
    reader: ReaderOption = None,
    police_root: Annotated[
        Path | None,
        typer.Option(
            "--police-root",
            help="The police licence root (PEM; default DATA/police/police-root.pem).",
            show_default=False,
        ),
    ] = None,
    seal_key_file: SealKey = None,
    data: DataDir = None,
) -> None:
    """Verify and show the licence: exit 0 and the licence, or 1 and the reason."""
    root_path = police_root or settings(data).data_dir / "police" / "police-root.pem"
    try:
        root = x509.load_pem_x509_certificate(root_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter("not a PEM certificate", param_hint="--police-root") from exc
    try:
        with inserted(card, reader, data, seal_key_file) as target:
            licence = verify_licence(*read_licence(target.transport, pin), root)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    today = jst.today()
    state = "valid" if licence.valid_on(today) else "[red]not valid today[/]"
    console.print(f"免許証番号 {licence.number}  ({state}, until {licence.valid_until})")
    console.print(f"氏名 {escape(licence.name)}  生年月日 {licence.birth_date}")
    console.print(f"住所 {escape(licence.address)}")
    console.print(f"種類 {escape('・'.join(licence.types))}")
    console.print(f"条件等 {escape('・'.join(licence.conditions) or 'なし')}")
    console.print(f"交付 {licence.issued_on}  {escape(licence.commission)}")


def signed_application(
    transport: Transport, document: dict[str, object], password: str
) -> dict[str, str]:
    """``document`` as JSON, signed with the card's signing key (the signing password)."""
    from mynumber.reader.cms import sign_detached  # pyHanko: only when signing

    data = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    cms = sign_detached(JPKIClient(transport), data, password=password)
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "cms": base64.b64encode(cms).decode("ascii"),
    }


@contextlib.contextmanager
def _holder_client(data: Path | None, url: str | None) -> Iterator[ServiceClient]:
    """The police as the holder reaches them: the signature (or the course id) is the
    proof, no staff token."""
    if url:
        with httpx.Client(timeout=60.0) as http:
            yield ServiceClient(
                Directory({"police": url.rstrip("/") + "/police"}, http), "police", None
            )
        return
    with staff_client("police", data=data, url=None, token=None) as police:
        yield police


@app.command()
def link(
    number: Number,
    password: Annotated[str, typer.Option("--password", help="The signing password.")],
    card: CardOption = None,
    reader: ReaderOption = None,
    url: Url = None,
    seal_key_file: SealKey = None,
    data: DataDir = None,
) -> None:
    """The holder presents the signing certificate to the police (an application signed
    with the card): Mynaportal's licence view, the online course and one-stop follow."""
    licence_number = _number(number)
    document: dict[str, object] = {
        "kind": "licence_link",
        "number": licence_number,
        "at": dt.datetime.now(dt.UTC).isoformat(),
    }
    try:
        with inserted(card, reader, data, seal_key_file) as target:
            body = signed_application(target.transport, document, password)
        with _holder_client(data, url) as police:
            answer = police.request("POST", "/api/links", body)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    console.print(f"licence {licence_number} linked: {', '.join(answer['services'])}")


@app.command()
def course(
    number: Number,
    pin: Annotated[str, typer.Option("--pin", help="The licence PIN (reads the photo).")],
    password: Annotated[str, typer.Option("--password", help="The signing password.")],
    camera: Annotated[
        Path, typer.Option("--camera", help="The camera's image of the holder.", exists=True)
    ],
    card: CardOption = None,
    reader: ReaderOption = None,
    url: Url = None,
    seal_key_file: SealKey = None,
    data: DataDir = None,
) -> None:
    """オンライン更新時講習 on the holder's device: the licence photo read from the card is
    compared with the camera image (the clinic reader's matcher), the signed start goes to
    the police with the score, every chapter is watched, and the renewal is recorded."""
    licence_number = _number(number)
    root_path = settings(data).data_dir / "police" / "police-root.pem"
    try:
        root = x509.load_pem_x509_certificate(root_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter("no police root in the data folder", param_hint="--data") from exc
    try:
        with inserted(card, reader, data, seal_key_file) as target:
            shown = verify_licence(*read_licence(target.transport, pin), root)
            from mynumber.devices.clinic import face_score

            score = face_score(shown.photo, camera.read_bytes())
            document: dict[str, object] = {
                "kind": "online_course",
                "number": licence_number,
                "at": dt.datetime.now(dt.UTC).isoformat(),
                "face_score": score,
            }
            body = signed_application(target.transport, document, password)
        with _holder_client(data, url) as police:
            started = police.request("POST", "/api/online-course", body)
            for chapter in started["chapters"]:
                console.print(f"視聴 {escape(chapter)}")
            renewed = police.request(
                "POST",
                f"/api/online-course/{started['course_id']}/complete",
                {"watched": started["chapters"]},
            )
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    console.print(
        f"face {score:.2f}: licence {licence_number} renewed until {renewed['valid_until']} "
        "(written to the card at the next visit)"
    )
