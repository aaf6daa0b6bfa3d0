"""The whole e-application story in Chromium: log in with the phone, fill the child
allowance claim, sign it on the phone page with the card's signing key, submit; the
municipality's staff fetch the claimant's income through the hub and approve; the notice
reaches お知らせ, the status reads 承認, the tax office's exchange shows in やりとり履歴."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import text

from mynumber import federation, jst
from mynumber.platform.db import create_org_engine

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PINs (printed by mynumber run)
PASSWORD = "ABC123"
#: generous waits: the machine running the suite may be busy
WAIT = 30_000


def file_income(server: dict[str, Any], card: dict[str, Any]) -> None:
    """The tax office has the card holder's income (the demo seeds only some people's)."""
    engine = create_org_engine(server["settings"], "municipality-131016")
    with engine.connect() as conn:
        number = conn.execute(
            text("SELECT my_number FROM residents WHERE id = :id"), {"id": card["resident_id"]}
        ).scalar_one()
    engine.dispose()
    filings = {"filings": [{"my_number": number, "year": 2024, "income_yen": 3_800_000}]}
    intake = federation.LocalAdministrator(server["fed"])  # the tax office's back office
    response = httpx.post(f"{server['url']}/tax/api/filings", json=filings, auth=intake)
    assert response.status_code == 200, response.text


def test_a_child_allowance_claim_from_login_to_approval(
    server: dict[str, Any], context: BrowserContext, fits_phone: Any
) -> None:
    url = server["url"]
    card = next(c for c in server["wallet"] if c["municipality"] == "131016")
    file_income(server, card)
    card_id = card["card"].removesuffix(".card")
    phone_context = context.browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[union-attr]
    phone_context.set_default_timeout(WAIT)
    phone = phone_context.new_page()

    context.set_default_timeout(WAIT)
    pc = context.new_page()
    pc.goto(url + "/portal/login")
    login_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert login_url
    phone.goto(login_url)
    phone.select_option("#card", card_id)
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    pc.wait_for_url("**/portal/home", timeout=WAIT)

    pc.click("text=電子申請")
    pc.click("#new-child_allowance_claim")
    expect(pc.locator("#name")).to_have_value(re.compile(card["holder"].split()[0]), timeout=WAIT)
    # the prefilled address shows whole: its field is not narrower than the address
    address = pc.locator("#address")
    expect(address).not_to_have_value("")
    assert address.evaluate("e => e.scrollWidth <= e.clientWidth"), address.input_value()
    five = jst.today().replace(year=jst.today().year - 5)
    pc.fill("#tel", "03-1234-5678")
    pc.select_option("#spouse", "no")
    pc.fill("#child1_name", "試験 太郎")
    pc.fill("#child1_kana", "しけん たろう")
    pc.fill("#child1_birth_date", five.isoformat())
    pc.select_option("#child1_relation", "child")
    pc.select_option("#child1_together", "together")
    pc.select_option("#account", "public_fund")
    pc.click("#apply-button")
    pc.wait_for_url("**/portal/sign/*")
    expect(pc.locator("#purpose")).to_contain_text("児童手当", timeout=WAIT)
    expect(pc.locator("#sign")).to_have_attribute("data-wait", "events", timeout=WAIT)
    sign_url = pc.locator("#phone-link").get_attribute("href")
    assert sign_url and sign_url.startswith(url + "/phone/sign?request=")

    phone.goto(sign_url)
    expect(phone.locator("#asking")).to_contain_text("児童手当", timeout=WAIT)
    fits_phone(phone, "phone-sign")
    expect(phone.locator("#summary")).to_contain_text("シケン\u3000タロウ", timeout=WAIT)
    phone.select_option("#card", card_id)
    phone.fill("#password", "WRONG1")
    phone.click("#sign-button")
    expect(phone.locator("#error")).to_contain_text("残り4回", timeout=WAIT)
    phone.fill("#password", PASSWORD)
    phone.click("#sign-button")
    expect(phone.locator("#done")).to_contain_text("署名しました", timeout=WAIT)

    pc.wait_for_url(re.compile(r".*/portal/applications/[0-9a-f]{16}$"), timeout=WAIT)
    pc.click("#submit-button")
    expect(pc.locator("#status")).to_contain_text("審査中", timeout=WAIT)
    application_url = pc.url

    # the reviewer signs in with their own card, on their own phone
    staff = context.new_page()
    staff.goto(url + "/municipality/131016/applications/")
    staff.wait_for_url("**/municipality/131016/staff/login/wait*")
    staff_login = staff.locator("a[target=_blank]").get_attribute("href")
    assert staff_login and staff_login.startswith(url + "/phone/login?request=")
    phone.goto(staff_login)
    expect(phone.locator("body")).to_contain_text("職員認証", timeout=WAIT)
    phone.select_option("#card", "staff:staff-a")
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    staff.wait_for_url("**/municipality/131016/applications/", timeout=WAIT)
    staff.locator("#applications a").first.click()
    expect(staff.locator("#verdict")).to_contain_text("有効", timeout=WAIT)
    expect(staff.locator("#form")).to_contain_text("試験 太郎", timeout=WAIT)
    staff.click("#income-button")
    expect(staff.locator("#income-table")).to_be_visible(timeout=WAIT)
    # nobody called 試験 太郎 lives with the card holder: the check fails, and approving
    # anyway takes a reason
    expect(staff.locator("#child-1 [data-check=in_household]")).to_have_attribute(
        "data-ok", "no", timeout=WAIT
    )
    staff.select_option("#decision", "approved")
    staff.fill("#override", "同居を窓口で確認済み")
    staff.click("#decide-button")
    expect(staff.locator("#status")).to_contain_text("承認", timeout=WAIT)

    pc.goto(url + "/portal/notices")
    expect(pc.locator("#notices")).to_contain_text("【承認】児童手当 認定請求書", timeout=WAIT)
    pc.goto(application_url)
    expect(pc.locator("#status")).to_contain_text("承認", timeout=WAIT)
    pc.goto(url + "/portal/applications")
    expect(pc.locator("#applications")).to_contain_text("承認", timeout=WAIT)
    pc.goto(url + "/portal/records")
    expect(pc.locator("#records")).to_contain_text("児童手当", timeout=WAIT)
    expect(pc.locator("#records")).to_contain_text("国税庁", timeout=WAIT)
    fits_phone(pc, "records-after-application")
    pc.goto(application_url)
    fits_phone(pc, "application")
    pc.goto(url + "/portal/applications")
    fits_phone(pc, "applications")
    pc.goto(url + "/portal/applications/new/child_allowance_claim")
    expect(pc.locator("#name")).to_be_visible()
    fits_phone(pc, "application-form")

    pc.click("#logout")
    pc.wait_for_url("**/portal/login?why=logout")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    mynumber = Path(sys.executable).with_name("mynumber")
    return subprocess.run([str(mynumber), *args], capture_output=True, text=True, check=False)


def test_the_command_line_phone_logs_in_and_signs(server: dict[str, Any]) -> None:
    """``mynumber phone login`` and ``mynumber phone sign`` against the running server."""
    url, data = server["url"], str(server["settings"].data_dir)
    card = next(c for c in server["wallet"] if c["municipality"] == "131016")
    with httpx.Client(base_url=url, timeout=30.0) as pc:
        page = pc.get("/portal/login")
        code = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
        assert code is not None
        login = cli(
            "phone",
            "login",
            code.group(2),
            "--card",
            card["path"],
            "--pin",
            PIN,
            "--url",
            url,
            "--data",
            data,
        )
        assert login.returncode == 0, login.stdout + login.stderr
        assert (
            pc.get("/portal/login/status", params={"id": code.group(1)}).json()["state"] == "done"
        )

        form = pc.get("/portal/applications/new/child_allowance_claim").text
        key = re.search(r'name="key" value="([^"]+)"', form)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert key is not None and csrf is not None
        prefilled = dict(re.findall(r'<input name="([a-z_]+)" id="[a-z_]+" value="([^"]*)"', form))
        fields = {k: prefilled[k] for k in ("name", "kana", "birth_date", "address")}
        five = jst.today().replace(year=jst.today().year - 5).isoformat()
        fields |= {
            "tel": "0312345678",
            "spouse": "yes",
            "child1_name": "試験 花",
            "child1_kana": "シケン ハナ",
            "child1_birth_date": five,
            "child1_relation": "child",
            "child1_together": "together",
            "account": "public_fund",
            "key": key.group(1),
            "csrf": csrf.group(1),
        }
        posted = pc.post("/portal/applications/new/child_allowance_claim", data=fields)
        assert posted.status_code == 303, posted.text
        waiting = pc.get(posted.headers["location"])
        phone_url = re.search(r'href="([^"]+/phone/sign\?request=[^"]+)"', waiting.text)
        assert phone_url is not None
        elsewhere = cli(
            "phone",
            "sign",
            phone_url.group(1),
            "--card",
            card["path"],
            "--password",
            PASSWORD,
            "--url",
            "http://127.0.0.1:1",
            "--data",
            data,
        )
        assert elsewhere.returncode == 1 and "not for this deployment" in elsewhere.stderr

        wrong = cli(
            "phone",
            "sign",
            phone_url.group(1),
            "--card",
            card["path"],
            "--password",
            "WRONG1",
            "--url",
            url,
            "--data",
            data,
        )
        assert wrong.returncode == 1 and "tries left" in wrong.stdout
        signed = cli(
            "phone",
            "sign",
            phone_url.group(1),
            "--card",
            card["path"],
            "--password",
            PASSWORD,
            "--url",
            url,
            "--data",
            data,
        )
        assert signed.returncode == 0, signed.stdout + signed.stderr
        assert "児童手当" in signed.stdout and "署名しました" in signed.stdout
        sign_id = posted.headers["location"].rsplit("/", 1)[1]
        status = pc.get(f"/portal/sign/{sign_id}/status").json()
        assert status["state"] == "signed" and status["next"].startswith("/portal/applications/")
