"""``mynumber portal …``: Mynaportal's operator commands — the relying parties of its
OpenID Connect provider (``portal client add|list|remove``).

These work on the portal's own database under ``--data`` (the operator's side of the
portal, like registering a service at the Digital Agency), not over the web.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from mynumber.cli.options import DataDir, settings
from mynumber.orgs.portal.oidc_clients import RelyingParties
from mynumber.platform.db import create_org_engine, migrate

app = typer.Typer(help="Mynaportal (マイナポータル): operator commands.", no_args_is_help=True)
client_app = typer.Typer(
    help="Relying parties of the OpenID Connect provider (Log in with Mynaportal).",
    no_args_is_help=True,
)
app.add_typer(client_app, name="client")
out = Console()


def _parties(data: DataDir) -> RelyingParties:
    engine = create_org_engine(settings(data), "portal")
    migrate(engine, "mynumber.orgs.portal.migrations")
    return RelyingParties(engine)


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
    data: DataDir = None,
) -> None:
    """Register a relying party: prints its client_id and, for a confidential client, its
    secret — shown this once and kept only as a hash."""
    parties = _parties(data)
    try:
        made = parties.add(name=name, redirect_uris=redirect_uri, public=public, sector=sector)
    finally:
        parties.engine.dispose()
    print(f"client_id {made.client.client_id}")
    if made.secret is not None:
        print(f"client_secret {made.secret}")
        out.print(
            "[yellow]the secret is shown only now: keep it safe (the portal stores only a hash)"
            "[/yellow]",
            highlight=False,
        )
    else:
        out.print("public client: no secret; it must use PKCE (S256)", highlight=False)


@client_app.command("list")
def list_clients(data: DataDir = None) -> None:
    """List the registered relying parties."""
    parties = _parties(data)
    try:
        clients = parties.all()
    finally:
        parties.engine.dispose()
    # the client_id is what people copy: never shortened, whatever the terminal's width
    widest = max((len(c.client_id) for c in clients), default=9)
    view = Table(
        Column("client_id", no_wrap=True, min_width=widest),
        Column("name", overflow="fold"),
        Column("type", no_wrap=True),
        Column("sector", overflow="fold"),
        Column("redirect URIs", overflow="fold"),
    )
    for c in clients:
        view.add_row(
            c.client_id,
            escape(c.name),
            "public" if c.public else "confidential",
            c.sector,
            "\n".join(c.redirect_uris),
        )
    out.print(view)


@client_app.command("remove")
def remove(
    client_id: Annotated[str, typer.Argument(help="the client_id to remove")],
    data: DataDir = None,
) -> None:
    """Remove a relying party: its consents, codes and tokens stop working at once."""
    parties = _parties(data)
    try:
        parties.remove(client_id)  # ClientUnknown → exit 1
    finally:
        parties.engine.dispose()
    out.print(f"removed {client_id}", highlight=False)
