"""``mynumber jlis …``: J-LIS's own operations — register verifiers, print CA certificates.

Runs in-process on the data folder; requests to J-LIS are signed as J-LIS itself.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mynumber.cli.options import DataDir, settings
from mynumber.platform import federation
from mynumber.platform.http import ServiceClient
from mynumber.platform.signing import Identity, KeyFolder

app = typer.Typer(
    help="J-LIS (地方公共団体情報システム機構): the JPKI CA and its verifiers.",
    no_args_is_help=True,
)
verifier_app = typer.Typer(
    help="Registered verifiers (may get OCSP and CRLs).", no_args_is_help=True
)
app.add_typer(verifier_app, name="verifier")
out = Console()


def _as_jlis(data: Any, method: str, path: str, body: Any = None) -> Any:
    config = settings(data)
    fed = federation.build(config, in_process=True)
    try:
        keys = KeyFolder(config.data_dir / "keys")
        client = ServiceClient(fed.directory, "jlis", Identity("jlis", keys.private_key("jlis")))
        return client.request(method, path, body)
    finally:
        fed.close()


@verifier_app.command("add")
def verifier_add(
    name: Annotated[str, typer.Argument(help="the verifier's name, e.g. a bank")],
    data: DataDir = None,
) -> None:
    """Register a verifier and print its credential (shown this once; J-LIS keeps a hash)."""
    added = _as_jlis(data, "POST", "/verifiers", {"name": name})
    out.print(f"verifier [bold]{escape(added['name'])}[/] registered as {added['id']}")
    out.print("credential (send as 'Authorization: Bearer …'; shown once):", style="dim")
    print(added["credential"])


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
