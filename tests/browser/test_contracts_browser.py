"""A provider's page at the platform operator, in Chromium: a contract signed with a demo
card is uploaded and shown valid, with the signer's four items and status today; the same
file changed after signing is shown invalid."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from reportlab.pdfgen import canvas

from mynumber.cli.contract import sign_contract
from mynumber.devices.phone import open_card

pytestmark = pytest.mark.browser

PASSWORD = "ABC123"  # the demo cards' signing password (printed by mynumber run)
WAIT = 30_000


def test_a_provider_page_verifies_a_signed_contract(
    server: dict[str, Any], page: Page, tmp_path: Path
) -> None:
    card = server["wallet"][0]
    out = io.BytesIO()
    drawing = canvas.Canvas(out, pageCompression=0)
    drawing.drawString(72, 770, "Housing loan agreement (demo)")
    drawing.save()
    client = open_card(Path(card["path"]), server["settings"].data_dir / "card-seal.key")
    with httpx.Client(base_url=server["url"], timeout=60.0) as http:
        _, signed = sign_contract(http, client, out.getvalue(), password=PASSWORD, field="Buyer")
    good = tmp_path / "contract.pdf"
    good.write_bytes(signed)
    bad = tmp_path / "changed.pdf"
    raw = bytearray(signed)
    raw[raw.index(b"Housing loan agreement")] = ord("h")
    bad.write_bytes(bytes(raw))

    page.goto(f"{server['url']}/trustplatform/providers/housing-loan")
    expect(page.get_by_text("住宅ローン契約")).to_be_visible()
    page.set_input_files("#contract", str(good))
    page.get_by_role("button", name="検証する").click()
    result = page.locator("#result")
    expect(result).to_contain_text("有効な契約書です", timeout=WAIT)
    expect(result).to_contain_text("Buyer")
    expect(result).to_contain_text("good")

    page.set_input_files("#contract", str(bad))
    page.get_by_role("button", name="検証する").click()
    expect(page.locator("#result")).to_contain_text("検証できません", timeout=WAIT)
