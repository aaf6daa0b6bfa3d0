"""A client of one organisation's staff routes for the command line.

In-process on the data folder, the command acts as the organisation's local administrator
(recorded as such in its access log). With ``--url`` it speaks to a running server and
needs a staff member's bearer token (``--token`` or ``MYNUMBER_STAFF_TOKEN``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer

from mynumber import federation
from mynumber.cli.options import settings
from mynumber.platform.http import Directory, ServiceClient

Url = Annotated[
    str | None,
    typer.Option("--url", help="a running server, e.g. http://127.0.0.1:8000", show_default=False),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="MYNUMBER_STAFF_TOKEN",
        help="a staff member's bearer token, for --url",
        show_default=False,
    ),
]


@contextmanager
def staff_client(
    org: str, *, data: Path | None, url: str | None, token: str | None
) -> Iterator[ServiceClient]:
    """A client of ``org`` acting as its staff: remote with a token, else in-process."""
    if url:
        if not token:
            raise typer.BadParameter(
                "a running server needs a staff token: --token or MYNUMBER_STAFF_TOKEN",
                param_hint="--token",
            )
        http = httpx.Client(timeout=60.0, headers={"Authorization": f"Bearer {token}"})
        try:
            yield ServiceClient(
                Directory({org: url.rstrip("/") + federation.mount_path(org)}, http), org, None
            )
        finally:
            http.close()
        return
    fed = federation.build(settings(data), in_process=True)
    try:
        yield ServiceClient(Directory(fed.directory.urls, fed.admin_http), org, None)
    finally:
        fed.close()
