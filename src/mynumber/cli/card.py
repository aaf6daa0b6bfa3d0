"""``mynumber card …``: issue a card through a municipality, put it into a PC/SC reader,
show what it reveals, suspend it at J-LIS.

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
from cryptography.hazmat.primitives import serialization
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mynumber import federation
from mynumber.card import (
    CardFile,
    Chip,
    ChipTransport,
    VpcdCard,
    load_or_create_demo_seal_key,
    reader_name,
    reader_port,
)
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.errors import Error
from mynumber.reader import ENDORSEMENT_SLOTS as SLOTS
from mynumber.reader import JPKIClient, KeyKind, PinNotSet, PinRef, ReaderError

app = typer.Typer(help="Virtual My Number cards (chip images).", no_args_is_help=True)
console = Console()

SEAL_KEY_NAME = "card-seal.key"

SealKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--seal-key-file",
        help="Sealing key of the card images (default DATA/card-seal.key, the one J-LIS "
        "seals issued cards with; created with a DEMO value if missing).",
        show_default=False,
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


def _seal_key_path(seal_key_file: Path | None, data: Path | None) -> Path:
    return seal_key_file or settings(data).data_dir / SEAL_KEY_NAME


def _load(file: Path, seal_key_file: Path, *, writable: bool) -> Chip:
    seal_key = load_or_create_demo_seal_key(seal_key_file)
    store = CardFile(file)
    return Chip.from_image(store.load(), seal_key=seal_key, store=store if writable else None)


@app.command()
def insert(
    file: CardFileArg,
    reader: Annotated[int, typer.Option("--reader", min=0, max=1, help="vpcd reader 0 or 1.")] = 0,
    host: Annotated[str, typer.Option("--host", help="Where pcscd's vpcd listens.")] = "127.0.0.1",
    seal_key_file: SealKeyOption = None,
    data: DataDir = None,
) -> None:
    """Serve the card into pcscd's virtual reader until Ctrl-C."""
    with _errors():
        chip = _load(file, _seal_key_path(seal_key_file, data), writable=True)
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
def show(
    file: CardFileArg,
    pem_auth: Annotated[
        bool,
        typer.Option(
            "--pem-auth",
            help="Print only the user-authentication certificate (EF 000A) as PEM.",
        ),
    ] = False,
    text_pin: Annotated[
        str | None,
        typer.Option(
            "--text-pin",
            help="Also read the 追記欄 behind the text AP PIN (a generation-2 card: the card "
            "PIN); a wrong one costs a try.",
            show_default=False,
        ),
    ] = None,
    seal_key_file: SealKeyOption = None,
    data: DataDir = None,
) -> None:
    """Print what any reader can read without a PIN (never keys, never personal data); with
    ``--text-pin`` also the 追記欄, the changes written on the card after issue."""
    with _errors():
        chip = _load(file, _seal_key_path(seal_key_file, data), writable=False)
        if pem_auth:
            if chip.is_dead:
                raise typer.BadParameter("the chip is dead (tamper response)", param_hint="FILE")
            der = JPKIClient(ChipTransport(chip)).read_certificate(KeyKind.AUTH)
            pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
            typer.echo(pem.decode("ascii"), nl=False)
            return
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
        face_only = False
        for ref in PinRef:
            try:
                left = str(client.pin_status(ref))
            except PinNotSet:
                left = "[dim]none (not set)[/]"
                face_only = face_only or ref is PinRef.JPKI_AUTH
            except ReaderError as exc:
                left = f"[dim]{escape(type(exc).__name__)}[/]"
            pins.add_row(ref.spec.label, left)
        console.print(pins)
        if face_only:
            # the card face says 顔認証: no PIN, at a clinic's reader by face or by sight only
            console.print(
                "[bold]顔認証[/] マイナンバーカード (face-only card): no PIN, no signing "
                "certificate; confirmed at a clinic's reader by face or by sight only"
            )
        if text_pin is None:
            console.print("追記欄: [dim]needs the text AP PIN (--text-pin)[/]")
            return
        try:
            entries = client.read_endorsements(text_pin)
        except ReaderError as exc:
            raise Error(f"the 追記欄 could not be read: {exc}") from exc
        table = Table(
            "#", "date", "kind", "text", "municipality", title=f"追記欄 ({len(entries)} of {SLOTS})"
        )
        for n, entry in enumerate(entries, 1):
            day = f"{entry.date[:4]}-{entry.date[4:6]}-{entry.date[6:]}"
            table.add_row(str(n), day, entry.kind, escape(entry.text), entry.municipality)
        console.print(table)
        if len(entries) >= SLOTS:
            console.print("[yellow]the 追記欄 is full: a new card is needed for the next change[/]")


@app.command()
def issue(
    out: Annotated[Path, typer.Option("--out", help="Where to write the card image (JSON).")],
    auth_pin: Annotated[
        str | None,
        typer.Option("--auth-pin", help="利用者証明用 PIN: 4 digits (also text and 住基 PIN)."),
    ] = None,
    sign_password: Annotated[
        str | None,
        typer.Option("--sign-password", help="署名用 password: 6-16 of A-Z 0-9 (15 and over)."),
    ] = None,
    resident: Annotated[
        str | None,
        typer.Option("--resident", help="Resident id (default: register a new synthetic adult)."),
    ] = None,
    code: Annotated[
        str, typer.Option("--municipality", "-m", help="Municipality code.")
    ] = "131016",
    generation: Annotated[
        int,
        typer.Option(
            "--generation",
            min=1,
            max=2,
            help="1: today's card; 2: the next-generation card (this project's model: P-384, "
            "two applications, two PINs).",
        ),
    ] = 1,
    face_only: Annotated[
        bool,
        typer.Option(
            "--face-only",
            help="顔認証マイナンバーカード: no PIN and no signing certificate (give no PINs).",
        ),
    ] = False,
    data: DataDir = None,
) -> None:
    """交付: a municipality applies, J-LIS makes the card; the image is written to --out.

    Runs in-process on the data folder, through the municipality's API.
    """
    if face_only == (auth_pin is not None) or (face_only and sign_password is not None):
        raise typer.BadParameter("give --auth-pin (and --sign-password), or --face-only alone")
    with _errors():
        config = settings(data)
        if code not in config.municipalities:
            config = config.model_copy(update={"municipalities": (*config.municipalities, code)})
        if out.exists():
            raise typer.BadParameter(
                f"{out} exists; cards are never overwritten", param_hint="--out"
            )
        fed = federation.build(config, in_process=True)
        try:
            if resident is None:
                person = fed.register_synthetic_adult(code)
                resident = str(person["id"])
                console.print(
                    f"registered synthetic resident [bold]{resident}[/] "
                    f"({escape(person['family_name'])} {escape(person['given_name'])}, "
                    f"{person['birth_date']}) in {code}"
                )
            issued = fed.issue_card(
                code,
                resident,
                auth_pin=auth_pin,
                sign_password=sign_password,
                generation=generation,
                face_only=face_only,
            )
        finally:
            fed.close()
        CardFile(out).save(issued["card_image"].encode("utf-8"))
        summary = issued["summary"]
        console.print(
            f"card [bold]{summary['manufacture_number']}[/] written to [bold]{out}[/] "
            f"(expires {summary['expires_on']}, security code {summary['security_code']})"
        )
        for cert in summary["certificates"]:
            console.print(f"  {cert['hierarchy']:7} certificate serial {cert['serial']}")
        if not summary["signing_certificate_issued"]:
            console.print(f"  [yellow]{escape(summary['note'] or 'no signing certificate')}[/]")
        console.print(
            f"  sealed with {config.data_dir / SEAL_KEY_NAME}; next: "
            f"mynumber card insert {out} --data {config.data_dir}"
        )


@app.command()
def suspend(
    file: CardFileArg,
    reason: Annotated[
        str, typer.Option(help="RFC 5280 reason for the revocations.")
    ] = "keyCompromise",
    seal_key_file: SealKeyOption = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """一時停止 at J-LIS's 24/7 line: both certificates of the card are revoked at once.

    Reads the manufacture number from the card's 住基AP, then asks J-LIS as its operator
    (the local administrator on the data folder, or an operator's ``--token`` with ``--url``).
    """
    with _errors():
        chip = _load(file, _seal_key_path(seal_key_file, data), writable=False)
        manufacture_number = JPKIClient(ChipTransport(chip)).read_manufacture_number()
        with staff_client("jlis", data=data, url=url, token=token) as operator:
            answer = operator.request(
                "POST", f"/cards/{manufacture_number}/suspend", {"reason": reason}
            )
        console.print(f"card [bold]{manufacture_number}[/]: {answer['status']}")
        for r in answer["revoked"]:
            console.print(
                f"  {r['hierarchy']:4} certificate {r['serial']} revoked at "
                f"{r['revoked_at']} ({r['reason']})"
            )
