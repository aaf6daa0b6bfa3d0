"""A convenience-store kiosk in Chromium: the touch screen takes the demo card and PIN,
prints a 住民票の写し, and the printed page (``pdftoppm`` → PNG) has its parts where the
paper form has them: the title, the ruled table, the certification with the mayor's name
and red seal, the verification code."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from mynumber.orgs.municipality.services.kiosk_pdf import HEIGHT, REGIONS, WIDTH

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)
WAIT = 30_000
JST = dt.timezone(dt.timedelta(hours=9))
DPI = 50


def _ink(image: Image.Image, box: tuple[float, float, float, float]) -> tuple[int, int]:
    """(dark pixels, red pixels) inside a region given in PDF points from the top-left."""
    scale = DPI / 72
    left, top, right, bottom = (round(v * scale) for v in box)
    dark = red = 0
    for r, g, b in image.crop((left, top, right, bottom)).getdata():
        if r < 90 and g < 90 and b < 90:
            dark += 1
        elif r > 150 and g < 90 and b < 90:
            red += 1
    return dark, red


def test_the_kiosk_prints_a_certificate_laid_out_like_the_form(
    server: dict[str, Any], page: Page, tmp_path: Path
) -> None:
    noon = dt.datetime(2026, 6, 15, 12, 0, tzinfo=JST)  # within service hours
    server["fed"].jlis().kiosk_center.clock = lambda: noon
    card = next(c for c in server["wallet"] if c["municipality"] == "131016")
    page.set_default_timeout(WAIT)
    page.goto(server["url"] + "/kiosk/sunrise-0001/")
    expect(page.locator("#screen-title")).to_contain_text("行政サービス")
    page.select_option("#card", card["card"].removesuffix(".card"))
    page.fill("#pin", PIN)
    page.select_option("#certificate", "juminhyo")
    page.click("#go")
    expect(page.locator("#issued")).to_be_visible()
    expect(page.locator("#fee")).to_have_text("200円")
    page.screenshot(path="/tmp/kiosk-screen.png", full_page=True)
    code = page.locator("#code").inner_text()
    href = page.locator("#print").get_attribute("href")
    assert href
    pdf = httpx.get(server["url"] + href, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "printed.pdf").write_bytes(pdf.content)

    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(tmp_path / "printed.pdf"),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    image = Image.open(tmp_path / "page.png").convert("RGB")
    image.save("/tmp/kiosk-certificate.png")
    expected = (WIDTH * DPI / 72, HEIGHT * DPI / 72)  # A4 portrait
    assert all(abs(got - want) <= 1 for got, want in zip(image.size, expected, strict=True))
    title_dark, _ = _ink(image, REGIONS["title"])
    table_dark, _ = _ink(image, REGIONS["table"])
    mayor_dark, mayor_red = _ink(image, REGIONS["mayor"])
    code_dark, _ = _ink(image, REGIONS["code"])
    margin_dark, _ = _ink(image, (0, 0, WIDTH, 40))  # the top margin: pattern only
    assert title_dark > 100 and code_dark > 100 and mayor_dark > 100
    assert table_dark > 5 * title_dark  # the ruled table with its rows
    assert mayor_red > 100  # the red seal beside the mayor's name
    assert margin_dark < 20
    # the seal sits right of the mayor's name, in the right third of the page
    _, red_left = _ink(image, (REGIONS["mayor"][0], REGIONS["mayor"][1], WIDTH * 2 / 3,
                               REGIONS["mayor"][3]))  # fmt: skip
    assert red_left == 0

    # the verification page confirms what was printed
    page.goto(server["url"] + "/municipality/131016/verify")
    page.fill("#code", code)
    page.click("button[type=submit]")
    expect(page.locator("#result")).to_contain_text("東京都千代田区")
    expect(page.locator("table")).to_contain_text(card["holder"].split()[0])
