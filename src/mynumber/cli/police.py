"""``mynumber police …``: the licence counter of the police (``/police``, 東京都公安委員会):
issue a licence, show it, change how it is held, renew it — each with its fee.

In-process on the data folder as the police's local administrator, or against a running
server with ``--url`` and a counter clerk's ``--token``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mynumber.cli.options import DataDir
from mynumber.cli.staff_client import Token, Url, staff_client
from mynumber.errors import Error

app = typer.Typer(
    help="The police's licence counter (運転免許, マイナ免許証).", no_args_is_help=True
)
out = Console()

Number = Annotated[str, typer.Argument(help="the licence number (12 digits)")]
HOLDINGS = ("card", "plastic", "both")


def _call(
    data: Any, url: str | None, token: str | None, method: str, path: str, body: Any = None
) -> Any:
    try:
        with staff_client("police", data=data, url=url, token=token) as police:
            return police.request(method, path, body)
    except Error as exc:
        out.print(f"[red]refused:[/] {escape(exc.message)}")
        raise typer.Exit(1) from exc


def _number(value: str) -> str:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise typer.BadParameter("a licence number is 12 digits", param_hint="NUMBER")
    return value


def _holding(value: str) -> str:
    if value not in HOLDINGS:
        raise typer.BadParameter("card, plastic or both", param_hint="--holding")
    return value


def _show(lic: dict[str, Any]) -> None:
    out.print(f"免許証番号 [bold]{lic['number']}[/]  {escape(lic['commission'])}")
    out.print(
        f"氏名 {escape(lic['name'])}  生年月日 {lic['birth_date']}  住所 {escape(lic['address'])}"
    )
    conditions = "・".join(lic["conditions"]) or "なし"
    out.print(
        f"種類 {escape('・'.join(lic['types']))}  条件等 {escape(conditions)}"
        f"  区分 {lic['category']}"
    )
    out.print(
        f"交付 {lic['issued_on']}  有効期限 {lic['valid_until']}  {escape(lic['holding_name'])}"
        + ("  (カードへの記録待ち)" if lic["card_pending"] else "")
        + ("  署名用電子証明書: 連携済み" if lic["linked"] else "")
    )


@app.command()
def issue(
    name: Annotated[str, typer.Option("--name", help="氏名")],
    birth_date: Annotated[
        dt.datetime,
        typer.Option("--birth-date", formats=["%Y-%m-%d"], help="生年月日 (YYYY-MM-DD)"),
    ],
    address: Annotated[str, typer.Option("--address", help="住所")],
    types: Annotated[list[str], typer.Option("--type", help="免許の種類 (repeat)")],
    conditions: Annotated[
        list[str] | None, typer.Option("--condition", help="条件等 (repeat)")
    ] = None,
    holding: Annotated[str, typer.Option("--holding", help="card, plastic or both")] = "card",
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """免許の交付: a first licence, held as chosen; prints it and the fee."""
    body = {
        "name": name,
        "birth_date": birth_date.date().isoformat(),
        "address": address,
        "types": types,
        "conditions": conditions or [],
        "holding": _holding(holding),
    }
    issued = _call(data, url, token, "POST", "/api/licences", body)
    _show(issued["licence"])
    out.print(f"手数料 ¥{issued['fee']['amount']:,} ({issued['fee']['kind']})")


@app.command()
def show(number: Number, data: DataDir = None, url: Url = None, token: Token = None) -> None:
    """The licence record."""
    _show(_call(data, url, token, "GET", f"/api/licences/{_number(number)}"))


@app.command()
def holding(
    number: Number,
    to: Annotated[str, typer.Option("--to", help="card, plastic or both")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """保有方法の変更 outside renewal (adding the licence to a card: ¥1,500)."""
    fee = _call(
        data,
        url,
        token,
        "POST",
        f"/api/licences/{_number(number)}/holding",
        {"holding": _holding(to)},
    )
    out.print(f"{number}: {fee['holding']}  手数料 ¥{fee['amount']:,} ({fee['kind']})")


@app.command()
def renew(
    number: Number,
    category: Annotated[
        str | None, typer.Option("--category", help="優良, 一般, 違反 (default: kept)")
    ] = None,
    holding_: Annotated[str | None, typer.Option("--holding", help="card, plastic or both")] = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """更新 at the counter: the new validity and the renewal fee."""
    body: dict[str, Any] = {}
    if category is not None:
        body["category"] = category
    if holding_ is not None:
        body["holding"] = _holding(holding_)
    renewed = _call(data, url, token, "POST", f"/api/licences/{_number(number)}/renew", body)
    _show(renewed["licence"])
    out.print(f"手数料 ¥{renewed['fee']['amount']:,} ({renewed['fee']['kind']})")
