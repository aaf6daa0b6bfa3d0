"""``mynumber card renew`` and ``mynumber card address`` at the counter: on the data folder
(in process, as the municipality's local administrator) and against a running server with a
clerk's token. The card file is rewritten; every refusal exits 1 with its reason."""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from typer.testing import CliRunner

from mynumber import jst
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli import app
from mynumber.reader import JPKIClient, KeyKind, PinRef

pytestmark = pytest.mark.slow

runner = CliRunner()
AUTH_PIN, SIGN_PASSWORD = "1234", "ABC123"  # demo values
CHIYODA, SHINJUKU = "131016", "131041"


@pytest.fixture(scope="module")
def server(fed) -> Iterator[str]:
    """The federation also served on a free port, for ``--url``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    running = uvicorn.Server(
        uvicorn.Config(fed.root, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def issued_at(fed) -> Iterator[Any]:
    """Issue cards as if on another day: J-LIS's clock, put back afterwards."""
    issuer = fed.jlis().cards
    real = issuer.clock
    yield issuer
    issuer.clock = real


def card_for(fed, http, tmp: Path, *, birth: str = "1980-04-01") -> tuple[str, Path]:
    body = {
        "family_name": "窓口",
        "given_name": "更新",
        "family_name_kana": "マドグチ",
        "given_name_kana": "コウシン",
        "birth_date": birth,
        "sex": "1",
        "address": f"東京都千代田区九段南1丁目{secrets.randbelow(10**6)}番",
    }
    resident = http.post(f"/municipality/{CHIYODA}/api/residents", json=body).json()
    issued = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert issued.status_code == 201, issued.text
    path = tmp / f"{resident['id']}.card"
    path.write_text(issued.json()["card_image"], encoding="utf-8")
    return str(resident["id"]), path


def client_of(fed, path: Path) -> JPKIClient:
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(path.read_bytes(), seal_key=seal)))


def auth_certificate(fed, path: Path) -> x509.Certificate:
    return x509.load_der_x509_certificate(client_of(fed, path).read_certificate(KeyKind.AUTH))


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_renew_on_the_data_folder_and_its_refusals(fed, http, tmp_path, issued_at) -> None:
    data = str(fed.settings.data_dir)
    # a card issued almost five years ago: its certificates end in about 60 days
    ends_on = jst.today() + dt.timedelta(days=60)
    if (ends_on.month, ends_on.day) == (2, 29):
        ends_on += dt.timedelta(days=1)
    issued_on = ends_on.replace(year=ends_on.year - 5) + dt.timedelta(days=1)
    issued_at.clock = lambda: dt.datetime.combine(issued_on, dt.time(3), dt.UTC)
    resident, card = card_for(fed, http, tmp_path, birth=ends_on.replace(year=1980).isoformat())
    issued_at.clock = lambda: dt.datetime.now(dt.UTC)
    old = auth_certificate(fed, card)
    renew = ["card", "renew", str(card), "--resident", resident, "--municipality", CHIYODA]

    wrong = cli(*renew, "--pin", "9999", "--password", SIGN_PASSWORD, "--data", data)
    assert wrong.exit_code == 1 and "wrong PIN (2 tries left)" in wrong.output
    assert client_of(fed, card).pin_status(PinRef.JPKI_AUTH) == 2  # the try stays spent
    assert auth_certificate(fed, card).serial_number == old.serial_number

    done = cli(*renew, "--pin", AUTH_PIN, "--password", SIGN_PASSWORD, "--data", data)
    assert done.exit_code == 0, done.output
    new = auth_certificate(fed, card)
    assert new.serial_number != old.serial_number
    assert f"{new.serial_number:x}" in done.output and f"{old.serial_number:x}" in done.output
    # the 5th birthday after today: four years after the birthday the old ones end on
    assert new.not_valid_after_utc == old.not_valid_after_utc.replace(
        year=old.not_valid_after_utc.year + 4
    )
    assert client_of(fed, card).pin_status(PinRef.JPKI_AUTH) == 3  # refilled by the VERIFY

    # the same card again: its new certificates are years from their end
    early = cli(*renew, "--pin", AUTH_PIN, "--data", data)
    assert early.exit_code == 1 and "renewal opens on" in early.output

    # a card issued eleven years ago has itself expired: a new card is needed
    issued_at.clock = lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=11 * 366)
    resident, old_card = card_for(fed, http, tmp_path, birth="1970-01-10")
    issued_at.clock = lambda: dt.datetime.now(dt.UTC)
    expired = cli(
        "card", "renew", str(old_card), "--resident", resident, "-m", CHIYODA,
        "--pin", AUTH_PIN, "--data", data,
    )  # fmt: skip
    said = " ".join(expired.output.split())  # rich folds long lines at the terminal width
    assert expired.exit_code == 1 and "expired: apply for a new card" in said


def test_address_change_after_a_move_on_a_running_server(fed, http, tmp_path, server, as_staff):
    data = str(fed.settings.data_dir)
    resident, card = card_for(fed, http, tmp_path)
    sign_before = client_of(fed, card)
    sign_before.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    old_sign = x509.load_der_x509_certificate(sign_before.read_certificate(KeyKind.SIGN))

    still = cli(
        "card", "address", str(card), "--resident", resident, "--municipality", CHIYODA,
        "--pin", AUTH_PIN, "--data", data,
    )  # fmt: skip
    assert still.exit_code == 1 and "no move recorded" in still.output

    new_address = f"東京都新宿区四谷{secrets.randbelow(10**6)}番"
    moved = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident}/move",
        json={"to": SHINJUKU, "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    code = http.get(f"/municipality/{CHIYODA}/api/residents/{resident}").json()["resident_code"]
    there = http.post(
        f"/municipality/{SHINJUKU}/api/residents/search", json={"resident_code": code}
    ).json()["id"]
    clerk = as_staff(f"municipality-{SHINJUKU}", ["clerk"])["Authorization"].split()[1]
    address = [
        "card", "address", str(card), "--resident", there, "--municipality", SHINJUKU,
        "--data", data, "--url", server, "--token", clerk,
    ]  # fmt: skip

    wrong = cli(*address, "--pin", "0000")
    assert wrong.exit_code == 1 and "wrong PIN" in wrong.output
    done = cli(*address, "--pin", AUTH_PIN)

    assert done.exit_code == 0, done.output
    assert "追記欄 entry 1" in done.output and new_address in done.output
    client = client_of(fed, card)
    (entry,) = client.read_endorsements(AUTH_PIN)
    assert (entry.kind, entry.text, entry.municipality) == ("address", new_address, SHINJUKU)
    client.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    new_sign = x509.load_der_x509_certificate(client.read_certificate(KeyKind.SIGN))
    assert new_sign.serial_number != old_sign.serial_number
    assert f"{new_sign.serial_number:x}" in done.output
    shown = cli("card", "show", str(card), "--text-pin", AUTH_PIN, "--data", data)
    assert shown.exit_code == 0, shown.output
    assert "追記欄 (1 of 4)" in shown.output and new_address in shown.output
