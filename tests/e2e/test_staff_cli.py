"""The command line of J-LIS and the hub as staff: in-process on the data folder as the local
administrator, and against a running ``mynumber run`` with ``--url`` and a staff token — the
act is recorded under that staff member in the organisation's access log."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mynumber import federation
from mynumber.cli import app
from mynumber.federation.process import serving
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=25)

runner = CliRunner()


@dataclass
class Running:
    base: str
    data: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """``mynumber run`` on a free port, without demo data."""
    data = tmp_path_factory.mktemp("staff-cli") / "data"
    with serving(data, args=["--no-seed"], wait=180) as running:
        yield Running(running.base, data)


def enrol(data: Path, org: str, role: str) -> tuple[str, str]:
    """A staff member of ``org`` with ``role`` (by the local administrator): id and token."""
    fed = federation.build(Settings(data_dir=data, seed_residents=0), in_process=True)
    try:
        staff = fed.services(org).staff
        member = staff.add(name="運用 太郎", roles=[role], auth_serial=secrets.token_hex(8))
        return member.id, staff.issue_token(member.id).token
    finally:
        fed.close()


def entries(data: Path, org: str) -> list[dict[str, object]]:
    fed = federation.build(Settings(data_dir=data, seed_residents=0), in_process=True)
    try:
        return list(fed.services(org).staff.log_entries())
    finally:
        fed.close()


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def test_jlis_verifiers_are_managed_remotely_with_an_operators_token(server) -> None:
    operator, token = enrol(server.data, "jlis", "operator")

    added = invoke(
        "jlis", "verifier", "add", "遠隔の検証者", "--url", server.base, "--token", token
    )

    assert added.exit_code == 0, added.output
    credential = added.output.strip().splitlines()[-1]
    assert credential.startswith("jv_")
    crl = httpx.get(
        f"{server.base}/jlis/crl/auth.crl", headers={"Authorization": f"Bearer {credential}"}
    )
    assert crl.status_code == 200
    verifier_id = added.output.split(" registered as ")[1].split()[0]
    withdrawn = invoke(
        "jlis",
        "verifier",
        "withdraw",
        verifier_id,
        "--url",
        server.base,
        env={"MYNUMBER_STAFF_TOKEN": token},
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    crl = httpx.get(
        f"{server.base}/jlis/crl/auth.crl", headers={"Authorization": f"Bearer {credential}"}
    )
    assert crl.status_code == 401
    mine = [
        (e["action"], e["role"]) for e in entries(server.data, "jlis") if e["actor"] == operator
    ]
    assert mine == [("verifiers.register", "operator"), ("verifiers.withdraw", "operator")]


def test_a_running_server_needs_a_valid_staff_token(server) -> None:
    missing = invoke("jlis", "verifier", "add", "x", "--url", server.base)
    assert missing.exit_code != 0 and "--token" in missing.output
    wrong = invoke("hub", "verify-log", "--url", server.base, "--token", "not-a-token")
    assert wrong.exit_code == 1
    assert "staff_sign_in_required" in wrong.output
    _, desk = enrol(server.data, "jlis", "desk")
    refused = invoke("jlis", "verifier", "add", "x", "--url", server.base, "--token", desk)
    assert refused.exit_code == 1 and "permission_denied" in refused.output


def test_hub_verify_log_remotely_and_in_process(server) -> None:
    operator, token = enrol(server.data, "hub", "operator")
    remote = invoke("hub", "verify-log", "--url", server.base, "--token", token)
    assert remote.exit_code == 0, remote.output
    assert "intact" in remote.output
    local = invoke("hub", "verify-log", "--data", str(server.data))
    assert local.exit_code == 0, local.output
    readers = {e["actor"] for e in entries(server.data, "hub") if e["action"] == "log.read"}
    assert readers == {operator, "local-admin"}


def test_a_clerk_signs_in_with_their_card_from_the_command_line(server, tmp_path) -> None:
    """``mynumber staff sign-in``: the card answers the challenge (the PIN goes to the card
    only); the token it prints lists residents with ``--url``, recorded under the clerk."""
    fed = federation.build(Settings(data_dir=server.data, seed_residents=0), in_process=True)
    try:
        holder = fed.register_synthetic_adult("131016")
        issued = fed.issue_card("131016", holder["id"], auth_pin="1234", sign_password="ABC123")
    finally:
        fed.close()
    card = tmp_path / "clerk.card"
    card.write_text(issued["card_image"], encoding="utf-8")
    org = "municipality-131016"
    data = ["--data", str(server.data)]
    added = invoke(
        "staff",
        "add",
        "--org",
        org,
        "--name",
        "窓口 花子",
        "--role",
        "clerk",
        "--card",
        str(card),
        *data,
    )
    assert added.exit_code == 0, added.output
    clerk = added.output.strip().split(": ")[-1]

    wrong = invoke(
        "staff",
        "sign-in",
        "--org",
        org,
        "--card",
        str(card),
        "--url",
        server.base,
        "--pin",
        "9999",
        *data,
    )
    assert wrong.exit_code != 0
    signed = invoke(
        "staff",
        "sign-in",
        "--org",
        org,
        "--card",
        str(card),
        "--url",
        server.base,
        "--pin",
        "1234",
        *data,
    )
    assert signed.exit_code == 0, signed.output
    token = signed.stdout.strip().splitlines()[-1]

    listed = invoke("resident", "list", "--url", server.base, env={"MYNUMBER_STAFF_TOKEN": token})
    assert listed.exit_code == 0, listed.output
    assert ("residents.search", "clerk") in {
        (e["action"], e["role"]) for e in entries(server.data, org) if e["actor"] == clerk
    }
    refused = invoke("resident", "list", "--url", server.base)
    assert refused.exit_code == 1
