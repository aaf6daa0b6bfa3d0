"""``mynumber jlis …``: J-LIS's own operations — register and withdraw verifiers, approve
and withdraw free-area issuers, print CA certificates.

Runs in-process on the data folder as J-LIS's local administrator, or against a running
server with ``--url`` and an operator's ``--token``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mynumber import federation
from mynumber.cli.options import DataDir, settings
from mynumber.cli.staff_client import Token, Url, staff_client

app = typer.Typer(
    help="J-LIS (地方公共団体情報システム機構): the JPKI CA and its verifiers.",
    no_args_is_help=True,
)
verifier_app = typer.Typer(
    help="Registered verifiers (may get OCSP and CRLs).", no_args_is_help=True
)
app.add_typer(verifier_app, name="verifier")
free_area_app = typer.Typer(
    help="Standing approvals of free-area issuers (employers, 公安委員会).", no_args_is_help=True
)
app.add_typer(free_area_app, name="free-area")
out = Console()


def _as_operator(
    data: Any, url: str | None, token: str | None, method: str, path: str, body: Any = None
) -> Any:
    with staff_client("jlis", data=data, url=url, token=token) as jlis:
        return jlis.request(method, path, body)


@verifier_app.command("add")
def verifier_add(
    name: Annotated[str, typer.Argument(help="the verifier's name, e.g. a bank")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Register a verifier and print its credential (shown this once; J-LIS keeps a hash)."""
    added = _as_operator(data, url, token, "POST", "/verifiers", {"name": name})
    out.print(f"verifier [bold]{escape(added['name'])}[/] registered as {added['id']}")
    out.print("credential (send as 'Authorization: Bearer …'; shown once):", style="dim")
    print(added["credential"])


@verifier_app.command("withdraw")
def verifier_withdraw(
    verifier_id: Annotated[str, typer.Argument(help="the id printed by 'verifier add'")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Withdraw a verifier's registration: its credential stops working at once."""
    if len(verifier_id) > 40:
        raise typer.BadParameter("a verifier id is at most 40 characters", param_hint="ID")
    _as_operator(data, url, token, "POST", f"/verifiers/{verifier_id}/deactivate")
    out.print(f"verifier {escape(verifier_id)} withdrawn")


@free_area_app.command("approve")
def free_area_approve(
    issuer: Annotated[str, typer.Argument(help="the issuer's name, e.g. 東京都公安委員会")],
    application: Annotated[
        str, typer.Option("--application", help="employee or licence")
    ] = "employee",
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """A standing approval: the issuer may be granted sessions on the application."""
    if application not in ("employee", "licence"):
        raise typer.BadParameter("employee or licence", param_hint="--application")
    body = {"issuer": issuer, "application": application}
    done = _as_operator(data, url, token, "POST", "/free-area/approvals", body)
    out.print(f"approved [bold]{escape(done['issuer'])}[/] ({done['application']}) as {done['id']}")


@free_area_app.command("list")
def free_area_list(
    active: Annotated[bool, typer.Option("--active", help="standing approvals only")] = False,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Every approval, oldest first."""
    path = "/free-area/approvals" + ("?active=true" if active else "")
    for a in _as_operator(data, url, token, "GET", path):
        state = "standing" if a["active"] else f"withdrawn {a['withdrawn_at']}"
        out.print(f"{a['id']}  {a['application']:8}  {escape(a['issuer'])}  ({state})")


@free_area_app.command("withdraw")
def free_area_withdraw(
    approval_id: Annotated[str, typer.Argument(help="the id printed by 'free-area approve'")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Withdraw an approval: the issuer gets no more session keys."""
    if len(approval_id) > 16:
        raise typer.BadParameter("an approval id is at most 16 characters", param_hint="ID")
    _as_operator(data, url, token, "POST", f"/free-area/approvals/{approval_id}/withdraw")
    out.print(f"approval {escape(approval_id)} withdrawn")


@app.command("ca-cert")
def ca_cert(
    hierarchy: Annotated[str, typer.Argument(help="auth or sign")],
    data: DataDir = None,
) -> None:
    """Print a JPKI root CA certificate (PEM)."""
    if hierarchy not in ("auth", "sign"):
        raise typer.BadParameter("auth or sign", param_hint="HIERARCHY")
    config = settings(data)
    fed = federation.build(config, in_process=True)
    try:
        response = fed.directory.http.get(fed.directory.url("jlis") + f"/ca/{hierarchy}.pem")
        response.raise_for_status()
    finally:
        fed.close()
    print(response.text, end="")
