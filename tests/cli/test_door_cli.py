"""``mynumber employer register|enrol`` and ``mynumber door tap`` on the data folder
(in process): exit 0 when the door opens, 1 once the card is suspended."""

from __future__ import annotations

import secrets

from typer.testing import CliRunner

from mynumber.cli import app

runner = CliRunner()


def test_enrol_then_tap_opens_and_a_suspended_card_does_not(fed, http, tmp_path) -> None:
    data = str(fed.settings.data_dir)
    body = {
        "family_name": "職員",
        "given_name": "一郎",
        "family_name_kana": "ショクイン",
        "given_name_kana": "イチロウ",
        "birth_date": "1980-04-01",
        "sex": "1",
        "address": f"東京都千代田区丸の内2丁目{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=body).json()
    issued = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    ).json()
    card = tmp_path / "card.json"
    card.write_text(issued["card_image"], encoding="utf-8")

    shut = runner.invoke(app, ["door", "tap", "--card", str(card), "--data", data])
    assert shut.exit_code == 2 and "register" in shut.output  # not a verifier yet

    ok = runner.invoke(app, ["employer", "register", "--name", "DEMO 東京都庁", "--data", data])
    assert ok.exit_code == 0, ok.output
    enrol = ["employer", "enrol", "--card", str(card), "--pin", "1234", "--employee", "E-7"]
    ok = runner.invoke(app, [*enrol, "--data", data])
    assert ok.exit_code == 0, ok.output
    opened = runner.invoke(
        app, ["door", "tap", "--card", str(card), "--door", "n1", "--data", data]
    )
    assert opened.exit_code == 0, opened.output
    assert "opens for E-7" in opened.output

    mfg = issued["summary"]["manufacture_number"]
    assert http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    refused = runner.invoke(app, ["door", "tap", "--card", str(card), "--data", data])
    assert refused.exit_code == 1
    assert "stays shut" in refused.output and "certificate refused" in refused.output
