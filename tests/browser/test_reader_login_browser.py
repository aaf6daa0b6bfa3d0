"""Login with a card reader on the PC, in Chromium: ``mynumber reader serve --card FILE`` runs
as its own process (the local helper, like the real マイナポータルAP); the login page hands it
the challenge with the PIN and the port the person typed, and lands logged in."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)
WAIT = 30_000
MYNUMBER = Path(sys.executable).with_name("mynumber")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def helper(server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``mynumber reader serve`` with a demo card file, for the server's origin; its port."""
    port = _free_port()
    card = server["wallet"][0]["path"]
    log = (tmp_path_factory.mktemp("reader") / "out.txt").open("w+b")
    command = [str(MYNUMBER), "reader", "serve", "--card", str(card), "--port", str(port)]
    command += ["--origin", server["url"], "--data", str(server["settings"].data_dir)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, Path(log.name).read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the reader helper did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_login_page_reads_the_card_through_the_local_helper(
    server: dict[str, Any], context: BrowserContext, helper: int
) -> None:
    context.set_default_timeout(WAIT)
    pc = context.new_page()
    pc.goto(server["url"] + "/portal/login")
    expect(pc.locator("#reader")).to_be_visible()

    pc.fill("#reader-port", str(helper))
    pc.fill("#reader-pin", "9999")
    pc.click("#reader-go")
    expect(pc.locator("#status")).to_contain_text("残り2回")
    assert "/portal/login" in pc.url  # a wrong PIN logs nobody in

    pc.goto(server["url"] + "/portal/login")
    pc.fill("#reader-port", str(helper))
    pc.fill("#reader-pin", PIN)
    pc.click("#reader-go")

    pc.wait_for_url("**/portal/home", timeout=WAIT)
    expect(pc.locator("h1")).to_contain_text("ホーム")
    expect(pc.locator("#logins")).to_contain_text("ICカードリーダー")
    expect(pc.locator("#logins")).to_contain_text("成功")
