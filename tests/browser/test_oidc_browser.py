"""Log in with Mynaportal in Chromium: a service registered with ``mynumber portal client
add`` sends the browser to the authorization endpoint; the login page (QR + the demo phone)
brings it back to the consent page by itself; 同意する returns to the service with a code the
service exchanges; 連携サービス lists the service and withdraws consent."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import sys
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from mynumber.cli import main

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)


def add_client(monkeypatch: pytest.MonkeyPatch, capsys, data: str, redirect_uri: str) -> dict:
    """``mynumber portal client add`` on the running server's data folder."""
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    argv = ["mynumber", "portal", "client", "add", "デモ銀行 (Demo Bank)"]
    monkeypatch.setattr(sys, "argv", [*argv, "--redirect-uri", redirect_uri, "--data", data])
    with pytest.raises(SystemExit) as exited:
        main()
    assert not exited.value.code
    out = capsys.readouterr().out
    client_id = re.search(r"^client_id (\S+)$", out, re.M)
    secret = re.search(r"^client_secret (\S+)$", out, re.M)
    assert client_id and secret
    return {"client_id": client_id.group(1), "secret": secret.group(1)}


def test_a_service_signs_a_person_in_through_the_consent_page(
    server: dict[str, Any], context: BrowserContext, monkeypatch, capsys
) -> None:
    callback = server["url"] + "/healthz"  # any page of the loopback server will do
    client = add_client(monkeypatch, capsys, str(server["settings"].data_dir), callback)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": callback,
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    pc = context.new_page()
    pc.goto(server["url"] + "/portal/oidc/authorize?" + urlencode(query))
    assert "/portal/login?oidc=" in pc.url
    phone_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert phone_url

    phone = context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # type: ignore[union-attr]
    phone.goto(phone_url)
    phone.select_option("#card", server["wallet"][0]["card"].removesuffix(".card"))
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    expect(phone.locator("#done")).to_be_visible()

    pc.wait_for_url("**/portal/oidc/consent?request=*", timeout=10_000)
    expect(pc.locator("#client-name")).to_contain_text("デモ銀行")
    expect(pc.locator("#claims")).to_contain_text("利用者識別子")
    pc.set_viewport_size({"width": 390, "height": 844})
    pc.screenshot(path="/tmp/portal-oidc-consent.png", full_page=True)
    pc.click("#allow")

    pc.wait_for_url("**/healthz?code=*", timeout=10_000)
    back = parse_qs(urlsplit(pc.url).query)
    assert back["state"] == [state]
    token = requests.post(
        server["url"] + "/portal/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["secret"]),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    assert token.json()["id_token"].count(".") == 2

    pc.goto(server["url"] + "/portal/oidc/services")
    expect(pc.locator("#services")).to_contain_text("デモ銀行")
    pc.screenshot(path="/tmp/portal-oidc-services.png", full_page=True)
    pc.click("#services button")
    expect(pc.locator("#done")).to_contain_text("取り消しました")
    expect(pc.locator("#none")).to_be_visible()
