"""``mynumber licence write|read``: the driver's licence in the card's free area
(:mod:`mynumber.reader.freearea`).

``write`` is the police desk (公安委員会): J-LIS's operator grants the licence application's
session key for this card (``POST /jlis/cards/{mfg}/free-area/licence``), the desk signs the
licence record with its key and writes data, signature and the holder's licence PIN. The
police keys live in ``DATA/police`` (DEMO values made on first use; ``police-root.pem`` is
the trust anchor readers use). ``read`` shows the licence only once the police signature
verifies; the PIN is the licence PIN (a wrong one counts down on the card). A police
organisation keeping the records in the federation is not part of it yet.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from rich.console import Console
from rich.markup import escape

from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.errors import Error
from mynumber.reader.freearea import (
    FreeApp,
    FreeAreaSession,
    Licence,
    read_licence,
    sign_licence,
    validate_licence_number,
    verify_licence,
)

app = typer.Typer(help="The driver's licence on the card (マイナ免許証).", no_args_is_help=True)
console = Console()


def _police_keys(data: Path | None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The police licence-signing key and certificate, made as DEMO values on first use."""
    folder = settings(data).data_dir / "police"
    key_path, cert_path = folder / "licence-signer.key", folder / "licence-signer.pem"
    if not key_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        root_key, key = (
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
        )
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DEMO police licence root")])
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "DEMO 公安委員会 licence signer")]
        )

        def cert(
            subject: x509.Name, public: ec.EllipticCurvePublicKey, ca: bool
        ) -> x509.Certificate:
            return (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(root_name)
                .public_key(public)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(root_key, hashes.SHA256())
            )

        root = cert(root_name, root_key.public_key(), True)
        (folder / "police-root.pem").write_bytes(root.public_bytes(Encoding.PEM))
        cert_path.write_bytes(cert(name, key.public_key(), False).public_bytes(Encoding.PEM))
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        key_path.write_bytes(b"# DEMO police licence-signing key (demo value)\n" + pem)
        key_path.chmod(0o600)
    pem = b"\n".join(
        line for line in key_path.read_bytes().splitlines() if not line.startswith(b"#")
    )
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise typer.BadParameter("the police key is not an EC key", param_hint="--data")
    return loaded, x509.load_pem_x509_certificate(cert_path.read_bytes())


@app.command()
def write(
    card: Annotated[Path, typer.Option("--card", help="Card image file.", exists=True)],
    record: Annotated[
        Path, typer.Option("--licence", help="The licence record (JSON).", exists=True)
    ],
    pin: Annotated[str, typer.Option("--pin", help="The licence PIN the holder chose.")],
    url: Url = None,
    token: Token = None,
    seal_key_file: Annotated[
        Path | None,
        typer.Option("--seal-key-file", help="Card sealing key (default DATA/card-seal.key)."),
    ] = None,
    data: DataDir = None,
) -> None:
    """The police write the licence into the card's free area (J-LIS grants the session)."""
    try:
        doc = json.loads(record.read_text(encoding="utf-8"))
        licence = Licence(
            number=validate_licence_number(str(doc["number"])),
            name=str(doc["name"]),
            birth_date=dt.date.fromisoformat(doc["birth_date"]),
            address=str(doc["address"]),
            issued_on=dt.date.fromisoformat(doc["issued_on"]),
            valid_until=dt.date.fromisoformat(doc["valid_until"]),
            types=tuple(str(t) for t in doc["types"]),
            conditions=tuple(str(c) for c in doc.get("conditions", [])),
            commission=str(doc["commission"]),
        )
    except (ValueError, KeyError, TypeError, Error) as exc:
        raise typer.BadParameter(f"not a licence record: {exc}", param_hint="--licence") from exc
    seal_key = load_or_create_demo_seal_key(
        seal_key_file or settings(data).data_dir / "card-seal.key"
    )
    store = CardFile(card)
    try:
        chip = Chip.from_image(store.load(), seal_key=seal_key, store=store)
        with staff_client("jlis", data=data, url=url, token=token) as jlis:
            answer = jlis.request(
                "POST",
                f"/cards/{chip.manufacture_number}/free-area/licence",
                {"issuer": licence.commission},
            )
        session_key = base64.b64decode(answer["session_key"])
        key, cert = _police_keys(data)
        body = licence.to_bytes()
        session = FreeAreaSession.open(ChipTransport(chip), FreeApp.LICENCE, session_key)
        session.write_licence(body, sign_licence(body, key, cert), pin)
    except Error as exc:
        console.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    console.print(f"licence {licence.number} written to card {chip.manufacture_number}")


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
