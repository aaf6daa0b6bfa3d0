"""Mynaportal in Chromium: the PC page shows a QR code, the simulated phone approves with
a demo card, and the PC page logs in by itself; wrong PINs; logout."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)


def approve_on_phone(phone: Page, url: str, card: str, pin: str) -> None:
    phone.goto(url)
    expect(phone.locator("#asking")).to_contain_text("マイナポータル")
    phone.select_option("#card", card)
    phone.fill("#pin", pin)
    phone.click("#approve-button")


def test_pc_logs_in_by_itself_when_the_phone_approves(
    server: dict[str, Any], context: BrowserContext, fits_phone: Any
) -> None:
    pc = context.new_page()
    pc.goto(server["url"] + "/portal/login")
    expect(pc.locator("#login svg")).to_be_visible()
    fits_phone(pc, "login")
    expect(pc.locator("#login")).to_have_attribute("data-wait", "events")  # not polling
    phone_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert phone_url and "/portal/phone/?code=" in phone_url

    phone = context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # type: ignore[union-attr]
    card = server["wallet"][0]["card"].removesuffix(".card")
    approve_on_phone(phone, phone_url, card, PIN)
    expect(phone.locator("#done")).to_contain_text("承認しました")

    pc.wait_for_url("**/portal/home", timeout=10_000)
    expect(pc.locator("h1")).to_contain_text("ホーム")
    expect(pc.locator("#logins")).to_contain_text("成功")
    fits_phone(pc, "home")
    pc.goto(server["url"] + "/portal/information")
    expect(pc.locator("h1")).to_contain_text("わたしの情報")
    fits_phone(pc, "information")
    pc.goto(server["url"] + "/portal/home")

    pc.click("#logout")
    pc.wait_for_url("**/portal/login?why=logout")
    expect(pc.locator("#notice")).to_contain_text("ログアウトしました")
    pc.goto(server["url"] + "/portal/home")
    assert "/portal/login" in pc.url


def test_a_wrong_pin_shows_the_tries_left(server: dict[str, Any], context: BrowserContext) -> None:
    pc = context.new_page()
    pc.goto(server["url"] + "/portal/login")
    phone_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert phone_url
    phone = context.new_page()
    card = server["wallet"][-1]["card"].removesuffix(".card")
    approve_on_phone(phone, phone_url, card, "9999")
    expect(phone.locator("#error")).to_contain_text("残り2回")
    # the right PIN resets the counter and the PC logs in
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    expect(phone.locator("#done")).to_be_visible()
    pc.wait_for_url("**/portal/home", timeout=10_000)
