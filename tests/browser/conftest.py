"""Browser tests: Playwright driving Debian's Chromium (never ``playwright install``)
against a real server on a free port with its own data folder (engineering-notes)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from mynumber import federation
from mynumber.platform.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (scripts/system-deps.sh)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": LAUNCH_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every organisation on a real socket, with the demo wallet issued."""
    port = _free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("browser-data"), port=port, seed_residents=3
    )
    seeding = federation.build(settings, in_process=True)
    seeding.seed_demo()
    wallet = seeding.demo_wallet()
    seeding.close()
    fed = federation.build(settings, in_process=False)
    config = uvicorn.Config(fed.root, host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    assert httpx.get(f"{settings.base_url}/healthz").status_code == 200
    yield {"url": settings.base_url, "wallet": wallet, "settings": settings, "fed": fed}
    web.should_exit = True
    thread.join(timeout=10)
    fed.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fits_phone() -> Any:
    """Checks that a page, shown 390 px wide (a phone), needs no sideways scrolling; the
    check is made on the page as it is, then the screenshot is kept for people to look at."""

    def check(page: Any, name: str) -> None:
        page.set_viewport_size(PHONE)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=f"/tmp/portal-{name}.png", full_page=True)
        assert width <= PHONE["width"], f"{name} ({page.url}) is {width} px wide on a phone"

    return check
