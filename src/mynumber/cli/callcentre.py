"""``mynumber callcentre …``: J-LIS's 24/7 call centre (個人番号カードコールセンター).

The operator identifies the caller by the card number (カード製造番号, ``mynumber card
show`` prints it) and the name, with the date of birth if given, and suspends the card at
once. In-process on the data folder as J-LIS's local administrator, or against a running
server with ``--url`` and a call-centre operator's ``--token``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from mynumber.cli.options import DataDir
from mynumber.cli.staff_client import Token, Url, staff_client

app = typer.Typer(help="J-LIS's 24/7 call centre: suspend a lost card.", no_args_is_help=True)
out = Console()


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise typer.BadParameter("a date as YYYY-MM-DD", param_hint="--birth-date") from None


@app.command()
def suspend(
    card_number: Annotated[
        str, typer.Option("--card-number", help="カード製造番号 (13 of A-Z 0-9)")
    ],
    name: Annotated[str, typer.Option("--name", help="氏名 as on the card")],
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="生年月日 YYYY-MM-DD", show_default=False)
    ] = None,
    lost_outside: Annotated[
        bool, typer.Option("--lost-outside", help="lost or stolen outside the home")
    ] = False,
    police_receipt: Annotated[
        str | None,
        typer.Option(
            "--police-receipt", help="遺失届の受理番号 (a loss outside)", show_default=False
        ),
    ] = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """一時利用停止: identify the caller and hold both certificates at once."""
    body = {
        "card_number": card_number.strip().upper(),
        "name": name,
        "birth_date": _date(birth_date),
        "lost_outside": lost_outside,
        "police_receipt": police_receipt,
    }
    with staff_client("jlis", data=data, url=url, token=token) as centre:
        answer = centre.request("POST", "/callcentre/suspensions", body)
    out.print(f"card [bold]{escape(answer['manufacture_number'])}[/]: {answer['status']}")
    for r in answer["revoked"]:
        out.print(f"  {r['hierarchy']} {r['serial']}: revoked ({r['reason']}) at {r['revoked_at']}")
    if answer["police_receipt_recorded"]:
        out.print("  police receipt number recorded")
