"""``mynumber clinic``: a clinic's reception terminal with its 顔認証付きカードリーダー
(:mod:`mynumber.devices.clinic`), on the command line.

``confirm`` reads the card file in one mode — ``--pin`` (the 4-digit auth PIN: the card
signs the system's challenge), ``--face IMAGE`` (the chip's photo, opened with 照合番号B
read off the printed face in ``CARD.json``, against the camera image) or ``--visual``
(staff looked) — or, with ``--phone PHONE --pin PIN``, a smartphone's スマホ用電子証明書
held to the reader (the phone's own PIN) — asks the eligibility system through the clinic
and prints the answer XML; exit 0 when the query was processed, 1 with the reason when
refused. ``register`` does マイナ保険証の利用登録 at the reader (PIN). ``query`` sends request
XML files (one, or several as a batch); ``folders`` answers every request file in
``DIR/req`` into ``DIR/res`` (照会番号 registrations ``OQSsiimm01req_*`` too).

With ``--url`` the terminal talks to that running server as the clinic's local
administrator (a token minted on the clinic's database in ``--data``); without it, to the
deployment in ``--data`` in-process.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console

from mynumber import errors, federation
from mynumber.cli.options import DataDir, settings
from mynumber.orgs.clinic.model import DEMO_INSTITUTIONS

if TYPE_CHECKING:
    from mynumber.devices.clinic import PrintedFace, Terminal

#: the demo clinic (a federation's first, :data:`mynumber.federation.assembly.CLINIC_CODES`)
DEMO_CLINIC = DEMO_INSTITUTIONS[0].code

app = typer.Typer(help="A clinic's reception terminal and card reader.", no_args_is_help=True)
err = Console(stderr=True)

Card = Annotated[Path, typer.Option("--card", help="the card image file", exists=True)]
Clinic = Annotated[
    str, typer.Option("--clinic", help="10-digit medical institution code (default: demo)")
]
Url = Annotated[
    str | None,
    typer.Option("--url", help="a running server, e.g. http://127.0.0.1:8000", show_default=False),
]


@contextmanager
def terminal(clinic: str, *, url: str | None, data: Path | None) -> Iterator[Terminal]:
    from mynumber.devices.clinic import Terminal

    org = f"clinic-{clinic}"
    config = settings(data)
    if url:
        from mynumber.platform.db import create_org_engine
        from mynumber.platform.staff.model import Roles
        from mynumber.platform.staff.services import Staff

        engine = create_org_engine(config, org)
        try:
            token = Staff(engine=engine, org=org, roles=Roles.of(), authority=None)
            bearer = token.local_admin_token()
        finally:
            engine.dispose()
        with httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {bearer}"}, timeout=60.0
        ) as http:
            yield Terminal(http, federation.mount_path(org))
        return
    fed = federation.build(config, in_process=True)
    try:
        if org not in fed.apps:
            raise errors.NotFound(f"no clinic {clinic} here", code="unknown_clinic")
        yield Terminal(fed.admin_http, federation.mount_path(org))
    finally:
        fed.close()


def printed_face(card: Path) -> PrintedFace:
    """The card's printed face as the reader scans it (``CARD.json`` beside the card)."""
    from mynumber.devices.clinic import PrintedFace

    note = card.with_suffix(".json")
    try:
        face = json.loads(note.read_text(encoding="utf-8"))
        return PrintedFace(
            birth_date=dt.date.fromisoformat(face["birth_date"]),
            expiry=dt.date.fromisoformat(face["expires_on"]),
            security_code=str(face["security_code"]),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise errors.InvalidInput(
            f"face mode scans the printed card face: {note.name} with birth_date, expires_on "
            "and security_code",
            field="face",
        ) from exc


@app.command("confirm")
def confirm(
    card: Annotated[
        Path | None, typer.Option("--card", help="the card image file", exists=True)
    ] = None,
    phone: Annotated[
        Path | None,
        typer.Option(
            "--phone", help="a smartphone's secure store (mynumber phone enrol)", exists=True
        ),
    ] = None,
    pin: Annotated[str | None, typer.Option("--pin", help="the 4-digit auth PIN")] = None,
    face: Annotated[
        Path | None, typer.Option("--face", help="the camera image", exists=True)
    ] = None,
    visual: Annotated[bool, typer.Option("--visual", help="staff checked the face")] = False,
    clinic: Clinic = DEMO_CLINIC,
    consent: Annotated[
        str, typer.Option("--consent", help="data the patient consents to: drugs,checkups,…")
    ] = "",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """資格確認 with the card (or a smartphone, PIN only); prints the answer XML."""
    if (card is None) == (phone is None):
        raise typer.BadParameter("give exactly one of --card or --phone")
    if sum((pin is not None, face is not None, visual)) != 1:
        raise typer.BadParameter("give exactly one of --pin, --face or --visual")
    if phone is not None and pin is None:
        raise typer.BadParameter("a phone is confirmed with its own PIN: --phone PHONE --pin PIN")
    from mynumber.card import load_or_create_demo_seal_key
    from mynumber.devices.clinic import CardReader
    from mynumber.devices.phone.credential import PhoneCredential
    from mynumber.devices.phone.wallet import open_card

    kinds = [k.strip() for k in consent.split(",") if k.strip()]
    seal = settings(data).data_dir / "card-seal.key"
    if phone is not None:
        reader = CardReader(PhoneCredential.load(phone, load_or_create_demo_seal_key(seal)))
        camera = None
    else:
        assert card is not None
        reader = CardReader(open_card(card, seal))
        camera = (printed_face(card), face.read_bytes()) if face is not None else None
    with terminal(clinic, url=url, data=data) as desk:
        confirmed = desk.confirm(reader, pin=pin, face=camera, visual=visual, consent=kinds)
    sys.stdout.write(confirmed.xml.decode("utf-8") + "\n")
    err.print(f"reference number {confirmed.reference}")


@app.command("register")
def register(
    card: Card,
    pin: Annotated[str, typer.Option("--pin", help="the 4-digit auth PIN")],
    clinic: Clinic = DEMO_CLINIC,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """マイナ保険証の利用登録 at the reader."""
    from mynumber.devices.clinic import CardReader
    from mynumber.devices.phone.wallet import open_card

    reader = CardReader(open_card(card, settings(data).data_dir / "card-seal.key"))
    with terminal(clinic, url=url, data=data) as desk:
        has_records = desk.register(reader, pin=pin)
    err.print("registered" + ("" if has_records else " (no insurer has registered you yet)"))


@app.command("query")
def query(
    files: Annotated[list[Path], typer.Argument(help="request XML files", exists=True)],
    clinic: Clinic = DEMO_CLINIC,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """資格確認 by insurance-card data: one request (single) or several (batch)."""
    with terminal(clinic, url=url, data=data) as desk:
        if len(files) == 1:
            answers = [desk.insurance(files[0].read_bytes())]
        else:
            answers = desk.batch([f.read_bytes() for f in files])
    for answer in answers:
        sys.stdout.write(answer.decode("utf-8") + "\n")


@app.command("folders")
def folders(
    folder: Annotated[Path, typer.Argument(help="the folder holding req/ and res/")],
    clinic: Clinic = DEMO_CLINIC,
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Answer every request in FOLDER/req (OQSsiquc01req_*.xml …) into FOLDER/res."""
    from mynumber.devices.clinic.folders import answer_folder

    with terminal(clinic, url=url, data=data) as desk:
        done = answer_folder(desk, folder)
    err.print(f"{len(done)} answered")
