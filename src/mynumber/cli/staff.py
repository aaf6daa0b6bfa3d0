"""``mynumber staff …`` and ``mynumber audit …``: an organisation's staff directory and its
access log, administered on the data folder (the organisation's local administrator).

Staff are enrolled with the serial of their own card's user-authentication certificate
(read from a card file, or given in hex); they sign in with that card at
``<org>/staff/login``. Removing a staff member ends their sessions at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from mynumber import errors, federation
from mynumber.cli.options import DataDir, settings

if TYPE_CHECKING:
    from mynumber.platform.staff.services import Staff

app = typer.Typer(
    help="An organisation's staff: enrol, list, remove, tokens.", no_args_is_help=True
)
audit = typer.Typer(help="An organisation's access log (who read or changed whose data).")
out = Console()

Org = Annotated[str, typer.Option("--org", help="the organisation, e.g. municipality-131016")]


@contextmanager
def _staff(org: str, data: Path | None) -> Iterator[Staff]:
    config = settings(data)
    fed = federation.build(config, in_process=True)
    try:
        if org not in fed.apps:
            known = ", ".join(fed.apps)
            raise errors.NotFound(f"no organisation {org} here (known: {known})")
        found: Staff = fed.services(org).staff
        yield found
    finally:
        fed.close()


def card_serial(card: Path, data: Path | None) -> str:
    """The serial (hex) of the user-authentication certificate on a card file."""
    from cryptography import x509

    from mynumber.devices.phone import open_card
    from mynumber.reader import KeyKind

    client = open_card(card, settings(data).data_dir / "card-seal.key")
    der = client.read_certificate(KeyKind.AUTH)
    return f"{x509.load_der_x509_certificate(der).serial_number:x}"


@app.command("add")
def add(
    org: Org,
    name: Annotated[str, typer.Option(help="the staff member's name")],
    role: Annotated[list[str], typer.Option("--role", help="a role (repeat for more)")],
    card: Annotated[Path | None, typer.Option(help="their card file (reads the serial)")] = None,
    serial: Annotated[str | None, typer.Option(help="or the auth certificate's serial")] = None,
    until: Annotated[str | None, typer.Option(help="valid until YYYY-MM-DD")] = None,
    data: DataDir = None,
) -> None:
    """Enrol a staff member with their own card."""
    if (card is None) == (serial is None):
        raise typer.BadParameter("give --card or --serial")
    auth_serial = serial or card_serial(card, data)  # type: ignore[arg-type]
    valid_to = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC) if until else None
    with _staff(org, data) as staff:
        member = staff.add(name=name, roles=role, auth_serial=auth_serial, valid_to=valid_to)
    out.print(f"enrolled {member.name} as {' '.join(member.roles)}: {member.id}")


@app.command("list")
def list_staff(
    org: Org,
    all_: Annotated[bool, typer.Option("--all", help="removed ones too")] = False,
    data: DataDir = None,
) -> None:
    """The staff directory and the organisation's roles."""
    with _staff(org, data) as staff:
        members = staff.members(include_removed=all_)
        roles = staff.roles.by_name
    view = Table("id", "name", "roles", "card serial", "valid to", "removed")
    for m in members:
        view.add_row(
            m.id,
            m.name,
            " ".join(m.roles),
            m.auth_serial or "—",
            m.valid_to.date().isoformat() if m.valid_to else "",
            m.removed_at.isoformat(timespec="seconds") if m.removed_at else "",
        )
    out.print(view)
    out.print("roles: " + "; ".join(f"{n} {r.label}" for n, r in roles.items()))


@app.command("remove")
def remove(
    org: Org,
    staff_id: Annotated[str, typer.Argument(help="the staff member's id")],
    data: DataDir = None,
) -> None:
    """Remove a staff member: their sessions and tokens end now."""
    with _staff(org, data) as staff:
        staff.remove(staff_id)
    out.print(f"removed {staff_id}; their sessions ended")


@app.command("token")
def token(
    org: Org,
    staff_id: Annotated[str, typer.Argument(help="the staff member's id")],
    hours: Annotated[float, typer.Option(help="how long it lives (at most 720)")] = 8,
    data: DataDir = None,
) -> None:
    """Issue a bearer token for a staff member (for ``--url`` commands); shown once."""
    with _staff(org, data) as staff:
        opened = staff.issue_token(staff_id, ttl=dt.timedelta(hours=hours))
    out.print(opened.token, soft_wrap=True)


@audit.command("verify")
def verify(org: Org, data: DataDir = None) -> None:
    """Recompute the access log's hash chain; exit 1 at the first entry that was changed."""
    with _staff(org, data) as staff:
        entries, head = staff.verify_log()
    out.print(f"access log of {org}: {entries} entries, head {head}")


@audit.command("show")
def show(
    org: Org,
    person: Annotated[str | None, typer.Option(help="only this person (the org's own id)")] = None,
    last: Annotated[int, typer.Option(help="how many, newest last")] = 50,
    data: DataDir = None,
) -> None:
    """The newest entries of the access log."""
    with _staff(org, data) as staff:
        entries = staff.log_entries(person=person, limit=1_000_000)[-last:]
    view = Table("seq", "at", "who", "role", "action", "person", "purpose")
    for e in entries:
        view.add_row(
            str(e["seq"]),
            e["at"],
            e["actor_name"],
            e["role"],
            e["action"],
            e["person"] or "",
            e["purpose"],
        )
    out.print(view)


@app.command("sign-in")
def sign_in(
    org: Org,
    card: Annotated[Path, typer.Option(help="your own card file")],
    url: Annotated[str, typer.Option(help="the running server")] = "http://127.0.0.1:8000",
    pin: Annotated[str | None, typer.Option(help="the auth PIN (asked when not given)")] = None,
    data: DataDir = None,
) -> None:
    """Sign in as staff with your own card (a device flow); prints the bearer token for
    ``--url`` commands (``export MYNUMBER_STAFF_TOKEN=…``). The PIN goes only to the card."""
    import base64

    import httpx

    from mynumber.devices.phone import open_card, sign_challenge
    from mynumber.platform.http import error_from_response

    base = url.rstrip("/") + federation.mount_path(org) + "/staff/api/sign-in"
    secret = pin or typer.prompt("auth PIN", hide_input=True)
    client = open_card(card, settings(data).data_dir / "card-seal.key")
    with httpx.Client(timeout=60) as http:

        def ok(response: httpx.Response) -> dict[str, str]:
            if response.status_code >= 400:
                raise error_from_response(org, response)
            return dict(response.json())

        started = ok(http.post(base))
        Console(stderr=True).print(f"signing in at {started['site']}")
        answer = sign_challenge(client, base64.b64decode(started["challenge"]), pin=secret)
        ok(http.post(f"{base}/{started['code']}", json=answer.to_json(via="cli")))
        token = ok(
            http.post(
                f"{base}/{started['id']}/session", json={"pair_secret": started["pair_secret"]}
            )
        )
    out.print(token["token"], soft_wrap=True)


@audit.command("disclose")
def disclose(org: Org, data: DataDir = None) -> None:
    """Send the pending access-log entries to the persons' Mynaportal (a municipality; after
    an outage). Entries for people the portal does not take yet stay pending."""
    from mynumber.orgs.municipality.app import MunicipalityServices
    from mynumber.platform.uow import UnitOfWork

    config = settings(data)
    fed = federation.build(config, in_process=True)
    try:
        services = fed.services(org) if org in fed.apps else None
        if not isinstance(services, MunicipalityServices):
            raise errors.NotFound(f"{org} discloses no access log (a municipality does)")
        sent = services.disclosure.send_pending(UnitOfWork(services.engine))
    finally:
        fed.close()
    out.print(
        f"{org}: {sent.entries} pending entries, {sent.disclosed} disclosed to Mynaportal, "
        f"{sent.kept} kept (no portal account or no code yet)"
    )
