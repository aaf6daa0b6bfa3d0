"""``mynumber employer register|enrol``, ``mynumber door tap`` and ``mynumber licence
write|read|link|course`` on the data folder (in process): exit 0 when the door opens, 1
once the card is suspended; a licence from the police's records, written with J-LIS's grant
to an approved commission, is verified and shown; linked, the holder renews online."""

from __future__ import annotations

import base64
import secrets

import pytest
from typer.testing import CliRunner

from mynumber.cli import app

pytestmark = pytest.mark.slow(seconds=60)

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


def test_licence_write_then_read_on_an_issued_card(fed, http, tmp_path) -> None:
    data = str(fed.settings.data_dir)
    body = {
        "family_name": "運転",
        "given_name": "花子",
        "family_name_kana": "ウンテン",
        "given_name_kana": "ハナコ",
        "birth_date": "1990-01-02",
        "sex": "2",
        "address": f"東京都千代田区霞が関{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=body).json()
    issued = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    ).json()
    card = tmp_path / "card.json"
    card.write_text(issued["card_image"], encoding="utf-8")
    licence = {
        "name": "運転 花子",
        "birth_date": "1990-01-02",
        "address": body["address"],
        "types": ["普通"],
        "conditions": ["AT限定"],
        "holding": "card",
    }
    number = http.post("/police/api/licences", json=licence).json()["licence"]["number"]
    write = ["licence", "write", "--card", str(card), "--number", number, "--pin", "4321"]
    unapproved = runner.invoke(app, [*write, "--data", data], env={"COLUMNS": "200"})
    assert unapproved.exit_code == 1 and "no standing approval" in unapproved.output
    approval = {"issuer": "東京都公安委員会", "application": "licence"}
    http.post("/jlis/free-area/approvals", json=approval)  # once per module's federation
    written = runner.invoke(app, [*write, "--data", data])
    assert written.exit_code == 0, written.output
    root = fed.settings.data_dir / "police" / "police-root.pem"
    read = ["licence", "read", "--card", str(card), "--police-root", str(root), "--data", data]
    shown = runner.invoke(app, [*read, "--pin", "4321"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "運転 花子" in shown.output and "AT限定" in shown.output
    wrong = runner.invoke(app, [*read, "--pin", "0000"], env={"COLUMNS": "200"})
    assert wrong.exit_code == 1 and "2 tries left" in wrong.output


def test_link_and_the_online_course_on_the_holders_device(fed, http, tmp_path) -> None:
    data = str(fed.settings.data_dir)
    body = {
        "family_name": "講習",
        "given_name": "次郎",
        "family_name_kana": "コウシュウ",
        "given_name_kana": "ジロウ",
        "birth_date": "1975-08-09",
        "sex": "1",
        "address": f"東京都千代田区番町{secrets.randbelow(10**6)}番",
    }
    resident = http.post("/municipality/131016/api/residents", json=body).json()
    issued = http.post(
        f"/municipality/131016/api/residents/{resident['id']}/card",
        json={"auth_pin": "1234", "sign_password": "ABC123"},
    ).json()
    card = tmp_path / "card.json"
    card.write_text(issued["card_image"], encoding="utf-8")
    photo = bytes(range(200, 256)) * 40  # synthetic
    licence = {
        "name": "講習 次郎",
        "birth_date": body["birth_date"],
        "address": body["address"],
        "types": ["普通"],
        "photo": base64.b64encode(photo).decode("ascii"),
    }
    number = http.post("/police/api/licences", json=licence).json()["licence"]["number"]
    http.post(f"/police/api/licences/{number}/renew", json={"category": "一般"})
    http.post(
        "/jlis/free-area/approvals", json={"issuer": "東京都公安委員会", "application": "licence"}
    )  # 409 when the module approved it already
    written = runner.invoke(
        app,
        [
            "licence",
            "write",
            "--card",
            str(card),
            "--number",
            number,
            "--pin",
            "1357",
            "--data",
            data,
        ],
    )
    assert written.exit_code == 0, written.output
    before = http.get(f"/police/api/licences/{number}").json()["valid_until"]

    course = ["licence", "course", "--card", str(card), "--number", number, "--pin", "1357"]
    course += ["--password", "ABC123", "--data", data]
    unlinked = runner.invoke(app, [*course, "--camera", str(_file(tmp_path, photo))])
    assert unlinked.exit_code == 1 and "signing certificate" in unlinked.output

    link = ["licence", "link", "--card", str(card), "--number", number, "--password", "ABC123"]
    linked = runner.invoke(app, [*link, "--data", data], env={"COLUMNS": "200"})
    assert linked.exit_code == 0 and "online_course" in linked.output, linked.output

    stranger = _file(tmp_path, bytes(range(0, 40)) * 56, "stranger.bin")
    refused = runner.invoke(app, [*course, "--camera", str(stranger)], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "does not match" in refused.output
    done = runner.invoke(
        app, [*course, "--camera", str(_file(tmp_path, photo))], env={"COLUMNS": "200"}
    )
    assert done.exit_code == 0, done.output
    after = http.get(f"/police/api/licences/{number}").json()
    assert after["valid_until"] > before and after["card_pending"] is True


def _file(folder, content: bytes, name: str = "camera.bin"):
    path = folder / name
    path.write_bytes(content)
    return path


def test_jlis_approves_lists_and_withdraws_a_free_area_issuer(fed) -> None:
    data = ["--data", str(fed.settings.data_dir)]
    name = f"DEMO 承認テスト{secrets.randbelow(10**6)}"
    approved = runner.invoke(
        app, ["jlis", "free-area", "approve", name, *data], env={"COLUMNS": "200"}
    )
    assert approved.exit_code == 0, approved.output
    approval = approved.output.split(" as ")[-1].strip()
    listed = runner.invoke(
        app, ["jlis", "free-area", "list", "--active", *data], env={"COLUMNS": "200"}
    )
    assert name in listed.output and approval in listed.output
    withdrawn = runner.invoke(
        app, ["jlis", "free-area", "withdraw", approval, *data], env={"COLUMNS": "200"}
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    listed = runner.invoke(
        app, ["jlis", "free-area", "list", "--active", *data], env={"COLUMNS": "200"}
    )
    assert name not in listed.output


def test_the_police_counter_on_the_command_line(fed) -> None:
    data = ["--data", str(fed.settings.data_dir)]
    env = {"COLUMNS": "200"}
    issue = ["police", "issue", "--name", "窓口 三郎", "--birth-date", "1988-03-03"]
    issue += ["--address", "東京都千代田区1番", "--type", "普通", "--type", "普自二"]
    issued = runner.invoke(app, [*issue, "--holding", "plastic", *data], env=env)
    assert issued.exit_code == 0, issued.output
    assert "¥2,350" in issued.output and "普通・普自二" in issued.output
    number = issued.output.split("免許証番号 ")[1].split()[0]
    added = runner.invoke(app, ["police", "holding", number, "--to", "both", *data], env=env)
    assert added.exit_code == 0 and "¥1,500" in added.output, added.output
    renewed = runner.invoke(app, ["police", "renew", number, "--category", "優良", *data], env=env)
    assert renewed.exit_code == 0 and "¥2,950" in renewed.output, renewed.output
    shown = runner.invoke(app, ["police", "show", number, *data], env=env)
    assert "優良" in shown.output and "カードへの記録待ち" in shown.output
    refused = runner.invoke(app, ["police", "holding", number, "--to", "both", *data], env=env)
    assert refused.exit_code == 1 and "already held" in refused.output
    assert runner.invoke(app, ["police", "show", "12", *data]).exit_code == 2
