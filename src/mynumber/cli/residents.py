"""``mynumber resident``: the registry's API from the command line.

Commands speak to a municipality's JSON API, in-process over the data folder, or to a
running server with ``--url``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from mynumber import errors, federation, jst
from mynumber.cli.options import DataDir, settings
from mynumber.orgs.municipality.model import Sex, municipality
from mynumber.platform.http import Directory, ServiceClient

app = typer.Typer(
    help="The resident registry (住民基本台帳) of a municipality.", no_args_is_help=True
)
out = Console()

Municipality = Annotated[str, typer.Option("--municipality", "-m", help="municipality code")]
Url = Annotated[
    str | None, typer.Option("--url", help="a running server, e.g. http://127.0.0.1:8000")
]


@contextmanager
def _registry(code: str, data: Any, url: str | None) -> Iterator[ServiceClient]:
    org = municipality(code).org
    if url:
        token = os.environ.get("MYNUMBER_STAFF_TOKEN", "")
        if not token:
            raise errors.Unauthorized(
                "with --url, give a staff token: export MYNUMBER_STAFF_TOKEN=…",
                code="staff_sign_in_required",
            )
        directory = Directory(
            {org: url.rstrip("/") + federation.mount_path(org) + "/api"},
            httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}),
        )
        try:
            yield ServiceClient(directory, org, None)
        finally:
            directory.http.close()
        return
    config = settings(data)
    if code not in config.municipalities:
        config = config.model_copy(update={"municipalities": (*config.municipalities, code)})
    fed = federation.build(config, in_process=True)
    try:
        api = Directory(
            {org: federation.INTERNAL_BASE + federation.mount_path(org) + "/api"},
            fed.admin_http,
        )
        yield ServiceClient(api, org, None)
    finally:
        fed.close()


def _print(resident: dict[str, Any]) -> None:
    table = Table(show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    for key, value in resident.items():
        table.add_row(key, "" if value is None else str(value))
    out.print(table)


@app.command()
def register(
    family_name: Annotated[str, typer.Option(help="氏")],
    given_name: Annotated[str, typer.Option(help="名")],
    family_name_kana: Annotated[str, typer.Option(help="氏 in katakana")],
    given_name_kana: Annotated[str, typer.Option(help="名 in katakana")],
    birth_date: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    sex: Annotated[Sex, typer.Option(help="ISO 5218: 1 male, 2 female, 9 n/a")],
    address: Annotated[str | None, typer.Option(help="address of a new household")] = None,
    household: Annotated[str | None, typer.Option(help="household id to join")] = None,
    relationship: Annotated[str, typer.Option(help="続柄 to the head")] = "世帯主",
    reason: Annotated[str, typer.Option(help="birth or move_in")] = "birth",
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Register a birth (or a first move-in): a resident code and a My Number are assigned."""
    body = {
        "family_name": family_name,
        "given_name": given_name,
        "family_name_kana": family_name_kana,
        "given_name_kana": given_name_kana,
        "birth_date": birth_date,
        "sex": sex.value,
        "address": address,
        "household_id": household,
        "relationship": relationship,
        "reason": reason,
    }
    with _registry(code, data, url) as api:
        _print(api.request("POST", "/residents", body))


@app.command()
def show(
    resident_id: Annotated[str, typer.Argument(help="the resident's id")],
    history: Annotated[bool, typer.Option(help="also print the record's history")] = False,
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """Print one resident record (the My Number masked)."""
    with _registry(code, data, url) as api:
        _print(api.request("GET", f"/residents/{resident_id}"))
        if history:
            for event in api.request("GET", f"/residents/{resident_id}/history"):
                detail = json.dumps(event["detail"], ensure_ascii=False)
                out.print(f"{event['on']}  {event['kind']:9} {detail}")


@app.command("list")
def list_(
    query: Annotated[
        str, typer.Option("--query", "-q", help="words in the name, kana or address")
    ] = "",
    status: Annotated[
        str, typer.Option(help="active, moved_out, deceased or '' for all")
    ] = "active",
    limit: Annotated[
        int, typer.Option(min=1, max=500, help="Show at most this many residents.")
    ] = 20,
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """List residents, searching by name, kana or address."""
    with _registry(code, data, url) as api:
        found = api.request(
            "GET", "/residents?" + httpx.QueryParams(q=query, status=status, limit=limit).__str__()
        )
    table = Table(title=f"{found['total']} residents")
    table.add_column("id", no_wrap=True, min_width=16)  # ids are what other commands take
    for heading in ("氏名", "カナ", "生年月日", "住所", "状態"):
        table.add_column(heading)
    for r in found["residents"]:
        table.add_row(
            r["id"],
            f"{r['family_name']} {r['given_name']}",
            f"{r['family_name_kana']} {r['given_name_kana']}",
            r["birth_date"],
            r["address"],
            r["status"],
        )
    out.print(table)


@app.command()
def move(
    resident_id: Annotated[str, typer.Argument(help="the resident's id")],
    to: Annotated[str, typer.Option(help="the receiving municipality's code")],
    address: Annotated[str, typer.Option(help="the new address")],
    whole_household: Annotated[
        bool, typer.Option("--household", help="move the whole household")
    ] = False,
    moved_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """転出/転入: move a resident to another municipality; the My Number stays."""
    body = {"to": to, "address": address, "whole_household": whole_household, "moved_on": moved_on}
    with _registry(code, data, url) as api:
        moved = api.request("POST", f"/residents/{resident_id}/move", body)
    for r in moved["residents"]:
        out.print(f"moved: {r['family_name']} {r['given_name']} → {to} as {r['id']}")


@app.command("reissue-number")
def reissue_number(
    resident_id: Annotated[str, typer.Argument(help="the resident's id")],
    reason: Annotated[str, typer.Option(help="why, e.g. leak")] = "leak",
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """個人番号の変更, first step: ask for a new My Number. A second supervisor approves
    (``approve-reissue``); then J-LIS issues it and the old one is never issued again."""
    with _registry(code, data, url) as api:
        request = api.request(
            "POST", f"/residents/{resident_id}/reissue-number", {"reason": reason}
        )
    out.print(f"asked: re-issue request {request['id']} waits for a second supervisor")


@app.command("approve-reissue")
def approve_reissue(
    request_id: Annotated[str, typer.Argument(help="the re-issue request's id")],
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """個人番号の変更, second step: approve another supervisor's request (never your own)."""
    with _registry(code, data, url) as api:
        _print(api.request("POST", f"/reissue-requests/{request_id}/approve"))


@app.command()
def death(
    resident_id: Annotated[str, typer.Argument(help="the resident's id")],
    died_on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (today in Japan if not given)")
    ] = None,
    code: Municipality = "131016",
    url: Url = None,
    data: DataDir = None,
) -> None:
    """死亡届: close the record."""
    with _registry(code, data, url) as api:
        _print(
            api.request(
                "POST",
                f"/residents/{resident_id}/death",
                {"died_on": died_on or jst.today().isoformat()},
            )
        )
