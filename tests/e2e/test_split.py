"""``mynumber run --split``: each organisation its own process on its own port, and a
linkage exchange (municipality → hub → tax office → back, sealed) across processes."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mynumber.platform import federation
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow

MYNUMBER = Path(sys.executable).with_name("mynumber")


def free_base(count: int) -> int:
    """A base port with ``count`` free ports after it."""
    for _ in range(50):
        base = random.randint(20_000, 60_000)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def test_split_deployment_runs_a_linkage_exchange_across_processes(tmp_path):
    data = tmp_path / "data"
    orgs = federation.org_names(Settings())
    base = free_base(len(orgs))
    urls = federation.split_urls(Settings(port=base))
    env = os.environ | {"MYNUMBER_SEED_RESIDENTS": "20", "MYNUMBER_DATABASE_URL": ""}
    env.pop("MYNUMBER_DATABASE_URL")
    log = (tmp_path / "out.txt").open("wb")
    process = subprocess.Popen(
        [str(MYNUMBER), "run", "--split", "--port", str(base), "--data", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 300  # fifteen processes start on two cores
        pending = set(orgs)
        while pending and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "out.txt").read_text()
            for org in list(pending):
                port = urls[org].split(":")[2].split("/")[0]
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                        pending.discard(org)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        assert not pending, (tmp_path / "out.txt").read_text()
        printed = (tmp_path / "out.txt").read_text()
        assert urls["hub"] in printed and urls["tax"] in printed

        chiyoda = urls["municipality-131016"]
        residents = httpx.get(f"{chiyoda}/api/residents", params={"limit": 50}).json()
        answers = []
        for resident in residents["residents"]:
            response = httpx.post(
                f"{chiyoda}/api/residents/{resident['id']}/linkage/income", timeout=30
            )
            assert response.status_code in (200, 404), response.text
            if response.status_code == 200:
                answers.append(response.json())
                break
        assert answers and answers[0]["provider"] == "tax" and answers[0]["income"]
        hub = httpx.get(urls["hub"].rsplit("/hub", 1)[0] + "/healthz").json()
        assert hub["orgs"]["hub"]["records"] >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
