"""The whole e-application story in Chromium: log in with the phone, fill the child
allowance claim, sign it on the phone page with the card's signing key, submit; the
municipality's staff fetch the claimant's income through the hub and approve; the notice
reaches お知らせ, the status reads 承認, the tax office's exchange shows in やりとり履歴."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PINs (printed by mynumber run)
PASSWORD = "ABC123"


def test_a_child_allowance_claim_from_login_to_approval(
    server: dict[str, Any], context: BrowserContext
) -> None:
    url = server["url"]
    card = next(c for c in server["wallet"] if c["municipality"] == "131016")
    card_id = card["card"].removesuffix(".card")
    phone = context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # type: ignore[union-attr]

    pc = context.new_page()
    pc.goto(url + "/portal/login")
    login_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert login_url
    phone.goto(login_url)
    phone.select_option("#card", card_id)
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    pc.wait_for_url("**/portal/home", timeout=10_000)

    pc.click("text=電子申請")
    pc.click("#new-child_allowance_claim")
    expect(pc.locator("#name")).to_have_value(re.compile(card["holder"].split()[0]))
    five = dt.date.today().replace(year=dt.date.today().year - 5)
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
    expect(pc.locator("#purpose")).to_contain_text("児童手当")
    sign_url = pc.locator("#phone-link").get_attribute("href")
    assert sign_url and "/portal/phone/sign?code=" in sign_url

    phone.goto(sign_url)
    expect(phone.locator("#asking")).to_contain_text("児童手当")
    expect(phone.locator("#summary")).to_contain_text("シケン\u3000タロウ")
    phone.select_option("#card", card_id)
    phone.fill("#password", "WRONG1")
    phone.click("#sign-button")
    expect(phone.locator("#error")).to_contain_text("残り4回")
    phone.fill("#password", PASSWORD)
    phone.click("#sign-button")
    expect(phone.locator("#done")).to_contain_text("署名しました")

    pc.wait_for_url(re.compile(r".*/portal/applications/[0-9a-f]{16}$"), timeout=10_000)
    pc.click("#submit-button")
    expect(pc.locator("#status")).to_contain_text("審査中")
    application_url = pc.url

    staff = context.new_page()
    staff.goto(url + "/municipality/131016/applications/")
    staff.locator("#applications a").first.click()
    expect(staff.locator("#verdict")).to_contain_text("有効")
    expect(staff.locator("#form")).to_contain_text("試験 太郎")
    staff.click("#income-button")
    expect(staff.locator("#income-table")).to_be_visible()
    staff.select_option("#decision", "approved")
    staff.click("#decide-button")
    expect(staff.locator("#status")).to_contain_text("承認")

    pc.goto(url + "/portal/notices")
    expect(pc.locator("#notices")).to_contain_text("【承認】児童手当 認定請求書")
    pc.goto(application_url)
    expect(pc.locator("#status")).to_contain_text("承認")
    pc.goto(url + "/portal/applications")
    expect(pc.locator("#applications")).to_contain_text("承認")
    pc.goto(url + "/portal/records")
    expect(pc.locator("#records")).to_contain_text("児童手当")
    expect(pc.locator("#records")).to_contain_text("tax")
    pc.set_viewport_size({"width": 390, "height": 844})
    pc.screenshot(path="/tmp/portal-records-after-application.png", full_page=True)

    pc.click("#logout")
    pc.wait_for_url("**/portal/login?why=logout")
