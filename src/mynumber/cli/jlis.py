"""``mynumber jlis …``: J-LIS's own operations — register and withdraw verifiers, print CA
certificates.

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
