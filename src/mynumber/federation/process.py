"""``mynumber run`` as a child process, for scripts, benchmarks and tests that need a real
server: started on a free port with its own data folder, ready once ``/healthz`` answers,
stopped as Ctrl-C stops it (SIGINT, then a kill after a grace period)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


class ServerFailed(RuntimeError):
    """The server exited, or did not answer ``/healthz`` in time; the message carries its
    output."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def command() -> list[str]:
    """How to start ``mynumber``: the script beside this interpreter, else on ``PATH``."""
    beside = Path(sys.executable).with_name("mynumber")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mynumber")
    if found is None:
        raise ServerFailed("the mynumber command is not installed")
    return [found]


def clean_environment() -> dict[str, str]:
    """This process's environment without any ``MYNUMBER_*`` setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MYNUMBER_")}


@dataclass
class ServerProcess:
    base: str
    port: int
    data: Path
    env: dict[str, str]
    stdout: Path
    stderr: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        """What the server printed so far: its standard output, then its standard error."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


@contextmanager
def serving(
    data: Path,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    logs: Path | None = None,
    wait: float = 120.0,
) -> Iterator[ServerProcess]:
    """``mynumber run --port P --data DATA ARGS`` until the block ends.

    ``env`` is the child's environment (default: this one without ``MYNUMBER_*``);
    ``settings`` adds ``MYNUMBER_<NAME>`` variables (``{"seed_residents": "20"}``);
    ``MYNUMBER_PORT`` is set to the port, so commands run with this environment name it.
    Its output goes to ``stdout*.txt`` and ``stderr*.txt`` in ``logs`` (default: beside
    ``data``), numbered so that a restart in the same folder keeps the earlier run's.
    """
    port = free_port()
    child = dict(clean_environment() if env is None else env)
    child.update({f"MYNUMBER_{k.upper()}": v for k, v in (settings or {}).items()})
    child["MYNUMBER_PORT"] = str(port)
    folder = logs or data.parent
    folder.mkdir(parents=True, exist_ok=True)
    run = 1
    while (folder / f"stdout-{run}.txt").exists():
        run += 1
    out, err = folder / f"stdout-{run}.txt", folder / f"stderr-{run}.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own command, arguments are ours
            [*command(), "run", "--port", str(port), "--data", str(data), *args],
            stdout=stdout,
            stderr=stderr,
            env=child,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", port, data, child, out, err, process)
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise ServerFailed(
                    f"mynumber run exited with {process.returncode}:\n{server.output()}"
                )
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"no answer at /healthz in {wait:.0f} s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
