"""Organisations in their own uvicorn processes, as ``mynumber run --split`` starts them,
for the benchmarks that compare loopback HTTP with in-process calls."""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from mynumber import federation
from mynumber.platform.settings import Settings


def cpu_seconds(pids: list[int]) -> float:
    """CPU (user + system) used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_base(count: int) -> int:
    """A port with ``count`` free ports from it on."""
    for base in range(28_000, 60_000, 97):
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


@contextmanager
def servers(
    settings: Settings, orgs: tuple[str, ...]
) -> Iterator[tuple[dict[str, str], list[int]]]:
    """``orgs``, each in its own uvicorn process on its own port (the ports and URLs
    ``mynumber run --split`` would give them); yields (every organisation's URL, the
    servers' pids) once each answers ``/healthz``."""
    from mynumber.cli.serve import _serve_org

    names = federation.org_names(settings)
    settings = settings.model_copy(update={"port": _free_base(len(names))})
    urls = federation.split_urls(settings)
    spawn = multiprocessing.get_context("spawn")
    processes = []
    for index, org in enumerate(names):
        if org in orgs:
            process = spawn.Process(
                target=_serve_org,
                args=(settings.model_dump(mode="json"), org, urls, settings.port + index),
                name=f"mynumber-{org}",
                daemon=True,
            )
            process.start()
            processes.append(process)
    try:
        deadline = time.monotonic() + 120
        for org in orgs:
            health = httpx.URL(urls[org]).copy_with(path="/healthz")
            while True:
                try:
                    if httpx.get(health, timeout=2).is_success:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{org} did not start")
                time.sleep(0.2)
        yield urls, [p.pid for p in processes if p.pid is not None]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(10)
