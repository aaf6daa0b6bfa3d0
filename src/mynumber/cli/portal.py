"""``mynumber portal …``: Mynaportal's operator commands — the relying parties of its
OpenID Connect provider (``portal client add|list|remove``).

They call the portal's operator API (``/portal/api/oidc/clients``, the operator role
``oidc.clients``): in-process on ``--data`` as the portal's local administrator, or as the
staff member of ``--token`` (``MYNUMBER_STAFF_TOKEN``); with ``--url``, a running server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from mynumber import federation
from mynumber.cli.benefits import Token, Url
from mynumber.cli.options import DataDir, settings
from mynumber.platform.http import Directory, ServiceClient

app = typer.Typer(help="Mynaportal (マイナポータル): operator commands.", no_args_is_help=True)
client_app = typer.Typer(
    help="Relying parties of the OpenID Connect provider (Log in with Mynaportal).",
    no_args_is_help=True,
)
app.add_typer(client_app, name="client")
out = Console()


@contextmanager
def _operator(data: Any, url: str | None, token: str | None) -> Iterator[ServiceClient]:
    """The portal's operator API: on a running server, or in-process on the data folder."""
    path = federation.mount_path("portal") + "/api/oidc/clients"
    if url is not None:
        if not token:
            raise typer.BadParameter("a server needs a staff token", param_hint="--token")
        with httpx.Client(timeout=60.0, headers={"Authorization": f"Bearer {token}"}) as http:
            yield ServiceClient(Directory({"portal": url.rstrip("/") + path}, http), "portal", None)
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        http = fed.admin_http
        if token:
            local = fed.directory.http
            http = httpx.Client(
                transport=local._transport,
                base_url=local.base_url,
                timeout=local.timeout,
                headers={"Authorization": f"Bearer {token}"},
            )
        yield ServiceClient(
            Directory({"portal": federation.INTERNAL_BASE + path}, http), "portal", None
        )
    finally:
        fed.close()


@client_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the service's name, shown on the consent page")],
    redirect_uri: Annotated[
        list[str], typer.Option("--redirect-uri", help="an exact redirect URI (repeatable)")
    ],
    public: Annotated[
        bool, typer.Option("--public", help="a public client (app without a secret)")
    ] = False,
    sector: Annotated[
        str | None,
        typer.Option(help="sector identifier for the pairwise sub (default: the URIs' host)"),
    ] = None,
    jwk: Annotated[
        Path | None,
        typer.Option(
            "--jwk",
            exists=True,
            dir_okay=False,
            help="the client's RSA public key (JWK, JSON file): private_key_jwt, no secret",
        ),
    ] = None,
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Register a relying party: prints its client_id and, for a confidential client, its
    secret — shown this once and kept only as a hash (none with ``--jwk``)."""
    body: dict[str, Any] = {
        "name": name,
        "redirect_uris": redirect_uri,
        "public": public,
        "sector": sector,
    }
    if jwk is not None:
        try:
            body["jwk"] = json.loads(jwk.read_text())
        except ValueError as exc:
            raise typer.BadParameter("the --jwk file is not JSON") from exc
    with _operator(data, url, token) as api:
        made = api.request("POST", "", body)
    print(f"client_id {made['client_id']}")
    if made["client_secret"] is not None:
        print(f"client_secret {made['client_secret']}")
        out.print(
            "[yellow]the secret is shown only now: keep it safe (the portal stores only a hash)"
            "[/yellow]",
            highlight=False,
        )
    elif jwk is not None:
        out.print(
            "private_key_jwt client: no secret; it signs its assertions with its key and "
            "must use PKCE (S256)",
            highlight=False,
        )
    else:
        out.print("public client: no secret; it must use PKCE (S256)", highlight=False)


@client_app.command("list")
def list_clients(data: DataDir = None, url: Url = None, token: Token = None) -> None:
    """List the registered relying parties."""
    with _operator(data, url, token) as api:
        clients = api.request("GET", "")
    # the client_id is what people copy: never shortened, whatever the terminal's width
    widest = max((len(c["client_id"]) for c in clients), default=9)
    view = Table(
        Column("client_id", no_wrap=True, min_width=widest),
        Column("name", overflow="fold"),
        Column("type", no_wrap=True),
        Column("sector", overflow="fold"),
        Column("redirect URIs", overflow="fold"),
    )
    for c in clients:
        view.add_row(
            c["client_id"],
            escape(c["name"]),
            "public" if c["public"] else "confidential",
            c["sector"],
            "\n".join(c["redirect_uris"]),
        )
    out.print(view)


@client_app.command("remove")
def remove(
    client_id: Annotated[str, typer.Argument(help="the client_id to remove")],
    data: DataDir = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Remove a relying party: its consents, codes and tokens stop working at once."""
    with _operator(data, url, token) as api:
        api.request("DELETE", "/" + quote(client_id, safe=""))  # an unknown one → exit 1
    out.print(f"removed {client_id}", highlight=False)
