"""PC/SC fixtures: pcscd with vpcd (started here if not running) and a served demo card.

If ``opensc-tool -l`` already lists "Virtual PCD", that pcscd is used and left alone;
otherwise ``pcscd -f`` is started as a subprocess, awaited, and stopped at session end.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

READER = "Virtual PCD 00 00"
TOOLS = ("pcscd", "opensc-tool", "pkcs15-tool", "pkcs11-tool", "openssl")
PKCS11_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib64/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/usr/local/lib/opensc-pkcs11.so",
)


def _load_cardkit() -> ModuleType:
    name = "mynumber_test_cardkit"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "unit" / "card" / "cardkit.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kit = _load_cardkit()


def run_tool(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)


def _vpcd_listed() -> bool:
    try:
        return "Virtual PCD" in run_tool("opensc-tool", "-l", timeout=5).stdout
    except subprocess.TimeoutExpired:
        return False


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def pkcs11_module() -> str:
    for path in PKCS11_CANDIDATES:
        if Path(path).exists():
            return path
    pytest.skip("OpenSC's PKCS#11 module (opensc-pkcs11.so) not found")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")
    if _vpcd_listed():
        yield
        return
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(["pcscd", "-f"], stdout=log, stderr=subprocess.STDOUT)
        try:
            if not _wait(_vpcd_listed, 15):
                pytest.skip("pcscd started but lists no 'Virtual PCD' reader (vsmartcard-vpcd?)")
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="module")
def inserted_card(pcscd):
    """A personalised demo card served into reader 0 through vpcd (in a thread)."""
    from mynumber.card import VpcdCard, reader_port

    card = kit.make_card("JP0000000000A")
    served = VpcdCard(card.chip, port=reader_port(0))
    served.start()
    try:
        if not served.connected.wait(10):
            pytest.skip("vpcd did not accept the card on 127.0.0.1:35963")

        def named():
            return run_tool("opensc-tool", "-r", READER, "-n", timeout=10).stdout.strip() == "jpki"

        if not _wait(named, 15):
            pytest.fail("OpenSC never saw the card as 'jpki'")
        yield card
    finally:
        served.stop()
