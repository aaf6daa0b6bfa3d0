"""``mynumber contract sign`` and ``mynumber contract verify``: PDF contracts signed with the
card's signing key, completed and checked by the platform operator (``/trustplatform``).

``sign`` verifies the signing password on the card, has the card sign the PDF (PAdES, the
signature time-stamped by the platform's TSA), then sends it to the platform, which checks
it with J-LIS, embeds the chain, J-LIS's OCSP answers and a document time-stamp, keeps it
for the provider and sends the file back. ``verify`` asks the platform to validate a file
(signature, chain, time-stamps, embedded revocation) and each signer's status today.
With ``--url`` the commands talk to a running server; without, to the deployment on the
data folder, in-process. The password goes only to the card.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from mynumber import errors, federation
from mynumber.cli.inserted import card_or_phone
from mynumber.cli.options import DataDir, settings
from mynumber.platform.http import InProcessTransport, error_from_response
from mynumber.reader import (
    InvalidPin,
    JPKIClient,
    KeyKind,
    PinBlocked,
    PinIncorrect,
    PinRef,
    digest_info,
)

if TYPE_CHECKING:
    from mynumber.reader.cms import SigningToken

app = typer.Typer(help="Contracts signed with the card (PAdES).", no_args_is_help=True)
console = Console()

PLATFORM = "/trustplatform"
SIGN_TRANSACTIONS = "/portal/sign-transactions"

Url = Annotated[
    str | None,
    typer.Option(
        "--url", help="A running server, e.g. http://127.0.0.1:8000 (default: in-process)."
    ),
]


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise error_from_response("trustplatform", response)
    return response


def sign_contract(
    http: httpx.Client,
    client: SigningToken,
    pdf: bytes,
    *,
    password: str,
    field: str = "Signature1",
    provider: str = "housing-loan",
    title: str = "契約書",
) -> tuple[str, bytes]:
    """(contract id, completed PDF): the card (either generation) or the phone's own
    credential signs, the platform completes and keeps."""
    from mynumber.cli.timestamper import HttpTimeStamper  # pyHanko: only when signing
    from mynumber.reader.pades import sign_pdf

    signed = sign_pdf(
        client,
        pdf,
        password=password,
        field_name=field,
        timestamper=HttpTimeStamper(http, f"{PLATFORM}/tsa"),
    )
    answer = _check(
        http.post(
            f"{PLATFORM}/api/providers/{provider}/contracts",
            params={"title": title},
            content=signed,
            headers={"content-type": "application/pdf"},
        )
    )
    return answer.headers["x-contract-id"], answer.content


def verify_contract(http: httpx.Client, pdf: bytes) -> dict[str, Any]:
    """The platform's report on a contract file (see ``POST /trustplatform/api/verify``)."""
    answer = _check(
        http.post(
            f"{PLATFORM}/api/verify", content=pdf, headers={"content-type": "application/pdf"}
        )
    )
    report: dict[str, Any] = answer.json()
    return report


def authorize_sign_transaction(
    http: httpx.Client, client: JPKIClient, tx_id: str, *, password: str
) -> dict[str, Any]:
    """The person's device: fetch what a sign transaction (beside Mynaportal's OpenID
    provider) asks, have the card sign its DigestInfo after the signing password, send the
    signature and certificate."""
    tx = _check(http.get(f"{SIGN_TRANSACTIONS}/{tx_id}")).json()
    info = base64.b64decode(tx["digest_info"])
    for algorithm, size in (("sha256", 32), ("sha384", 48), ("sha512", 64)):
        if digest_info(info[-size:], algorithm) == info:
            break
    else:
        raise errors.InvalidInput("the transaction's DigestInfo is not one the card signs")
    if client.generation == 2 and algorithm != "sha384":
        raise errors.InvalidInput(
            "a generation-2 card signs a SHA-384 hash: the transaction must ask for SHA-384",
            field="digest_info",
        )
    client.verify_pin(PinRef.JPKI_SIGN, password)
    signature = client.sign_digest(KeyKind.SIGN, info[-size:], algorithm=algorithm)
    body = {
        "signature": base64.b64encode(signature).decode(),
        "certificate": base64.b64encode(client.read_certificate(KeyKind.SIGN)).decode(),
    }
    answer: dict[str, Any] = _check(
        http.post(f"{SIGN_TRANSACTIONS}/{tx_id}/authorize", json=body)
    ).json()
    return answer


@contextmanager
def _deployment(url: str | None, data: Path | None) -> Iterator[httpx.Client]:
    if url:
        with httpx.Client(base_url=url.rstrip("/"), timeout=60.0) as http:
            yield http
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        with httpx.Client(
            transport=InProcessTransport(fed.root), base_url=federation.INTERNAL_BASE
        ) as http:
            yield http
    finally:
        fed.close()


@app.command("sign")
def sign_command(
    password: Annotated[
        str, typer.Option("--password", help="Signing password (the card's or the phone's).")
    ],
    source: Annotated[Path, typer.Option("--in", help="The PDF to sign.", exists=True)],
    out: Annotated[Path, typer.Option("--out", help="Where the completed PDF goes.")],
    card: Annotated[
        Path | None, typer.Option("--card", help="Card image file.", exists=True)
    ] = None,
    phone_file: Annotated[
        Path | None,
        typer.Option(
            "--phone", help="The phone's own certificates (from phone enrol).", exists=True
        ),
    ] = None,
    field: Annotated[str, typer.Option("--field", help="Signature field name.")] = "Signature1",
    provider: Annotated[
        str, typer.Option("--provider", help="The service provider the contract is with.")
    ] = "housing-loan",
    title: Annotated[str, typer.Option("--title", help="The contract's title.")] = "契約書",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Sign a PDF with the card's signing key (or the phone's own signing certificate); the
    platform completes it for the long term."""
    client: SigningToken = card_or_phone(card, phone_file, data)
    try:
        with _deployment(url, data) as http:
            contract_id, done = sign_contract(
                http,
                client,
                source.read_bytes(),
                password=password,
                field=field,
                provider=provider,
                title=title,
            )
    except PinIncorrect as exc:
        console.print(f"[red]パスワードが違います / wrong password: {exc.tries_left} tries left[/]")
        raise typer.Exit(1) from None
    except PinBlocked:
        console.print(
            "[red]パスワードがロックされています / the signing password is locked: "
            "have it reset at your municipality's counter[/]"
        )
        raise typer.Exit(1) from None
    except InvalidPin:
        console.print("[red]パスワードは英大文字と数字の6〜16文字です / 6-16 of A-Z, 0-9[/]")
        raise typer.Exit(1) from None
    except errors.Error as exc:
        console.print(f"[red]error:[/] {escape(exc.message)} ({exc.code})")
        raise typer.Exit(1) from None
    out.write_bytes(done)
    console.print(f"contract [bold]{contract_id}[/] signed ({field}) and written to {out}")


@app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="The contract PDF.", exists=True)],
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Validate a contract: signatures, chain, time-stamps, embedded revocation, and the
    signers' status today through the platform. Exit 1 unless everything holds."""
    with _deployment(url, data) as http:
        report = verify_contract(http, file.read_bytes())
    for s in report["signatures"]:
        mark = "[green]ok[/]" if s["ok"] else "[red]NOT OK[/]"
        console.print(
            f"{escape(s['field'])}: {mark} intact={s['intact']} trusted={s['trusted']} "
            f"revocation embedded={s['revocation_embedded']} time-stamped={s['timestamped']} "
            f"modified after signing={s['modified_after_signing']}"
        )
        current = s.get("current")
        if current:
            line = f"  today: {current['status']}"
            if current["status"] == "revoked":
                line += f" ({current['reason']}: {current['meaning']})"
            console.print(escape(line))
    console.print(
        f"document time-stamp: {report['document_timestamp']} "
        f"({'ok' if report['document_timestamp_ok'] else 'NOT OK'})"
    )
    if not report["ok"]:
        raise typer.Exit(1)
