"""The free-area commands on an inserted card: a card the federation issued, served into
reader 0 through vpcd, and ``mynumber employer enrol``, ``door tap``, ``licence write`` and
``licence read`` given ``--reader`` instead of ``--card``, through pcscd."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from mynumber.card import Chip, load_or_create_demo_seal_key
from mynumber.cli import app

pytestmark = pytest.mark.pcsc

READER = "Virtual PCD 00 00"
runner = CliRunner()


@pytest.fixture(scope="module")
def issued(fed, http, pcscd) -> Iterator[dict[str, str]]:
    """A resident's card, issued by the federation and inserted in reader 0."""
    from mynumber.card import VpcdCard, reader_port
    from mynumber.reader import PCSCTransport, ReaderError

    body = {
        "family_name": "読取",
        "given_name": "花子",
        "family_name_kana": "ヨミトリ",
        "given_name_kana": "ハナコ",
        "birth_date": "1991-07-07",
        "sex": "2",
        "address": f"東京都千代田区永田町{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=body).json()
    answer = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    ).json()
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(answer["card_image"].encode(), seal_key=seal)
    served = VpcdCard(chip, port=reader_port(0))
    served.start()
    try:
        if not served.connected.wait(10):
            pytest.skip("vpcd did not accept the card on its port")
        deadline = time.monotonic() + 15
        while True:  # pcscd sees the card only on its next poll
            try:
                with PCSCTransport(READER):
                    break
            except ReaderError:
                if time.monotonic() > deadline:
                    pytest.fail("pcscd never saw the card in the reader")
                time.sleep(0.2)
        yield {"mfg": answer["summary"]["manufacture_number"], "name": "読取 花子"} | body
    finally:
        served.stop()


def invoke(*args: str, data: str):
    return runner.invoke(app, [*args, "--data", data], env={"COLUMNS": "200"})


def test_enrol_and_tap_with_the_card_in_the_reader(fed, issued) -> None:
    data = str(fed.settings.data_dir)
    ok = invoke("employer", "register", "--name", "DEMO 読取株式会社", data=data)
    assert ok.exit_code == 0, ok.output
    enrolled = invoke(
        "employer", "enrol", "--reader", READER, "--pin", "1234", "--employee", "R-1", data=data
    )
    assert enrolled.exit_code == 0, enrolled.output
    opened = invoke("door", "tap", "--reader", READER, "--door", "gate", data=data)
    assert opened.exit_code == 0 and "opens for R-1" in opened.output


def test_licence_write_and_read_with_the_card_in_the_reader(fed, http, issued) -> None:
    data = str(fed.settings.data_dir)
    licence = {
        "name": issued["name"],
        "birth_date": issued["birth_date"],
        "address": issued["address"],
        "types": ["普通", "普自二"],
        "conditions": ["眼鏡等"],
    }
    number = http.post("/police/api/licences", json=licence).json()["licence"]["number"]
    http.post(
        "/jlis/free-area/approvals",
        json={"issuer": "東京都公安委員会", "application": "licence"},
    )  # 409 if another test approved it already: either way it stands
    written = invoke(
        "licence", "write", "--reader", READER, "--number", number, "--pin", "2468", data=data
    )
    assert written.exit_code == 0, written.output
    assert issued["mfg"] in written.output
    wrong = invoke("licence", "read", "--reader", READER, "--pin", "1111", data=data)
    assert wrong.exit_code == 1 and "2 tries left" in wrong.output
    shown = invoke("licence", "read", "--reader", READER, "--pin", "2468", data=data)
    assert shown.exit_code == 0, shown.output
    assert number in shown.output and "普通・普自二" in shown.output
