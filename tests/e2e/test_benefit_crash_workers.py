"""The benefit run with its parts on two Celery workers (RabbitMQ; the test fails if it is
down): a worker — now and then the coordinator, ``mynumber benefit run`` — is SIGKILLed
with parts in flight and started again; its unacknowledged part is redelivered, and the
banks' credit rows must still hold each eligible account once.

The world (seeded residents and accounts) and the checks are ``crashkit``'s, as for the
killed run of ``test_benefit_crash.py``; this module is apart so that ``--dist loadfile``
runs the two on different xdist workers. ``make test`` runs it on PostgreSQL only.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import crashkit
import pytest
from crashkit import (
    AMOUNT,
    BROKER_URL,
    KILLS,
    MYNUMBER,
    SEEDS,
    World,
    broker_reachable,
    mynumber,
    phase_of,
    rank,
)

from mynumber.platform.db import create_org_engine
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=40)


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_kind, drop_databases) -> Iterator[World]:
    yield from crashkit.make_world(tmp_path_factory.mktemp("crash"), database_kind, drop_databases)


#: People per eligibility page and per range of a municipality (each range a part): each
#: municipality's 2,000 in ranges, as a city's are.
PAGE = 1_000
#: Open payees per accounts part: several parts in flight on a few thousand payees.
PART_SIZE = 150
FILE_RECORDS = 100  # the round's file in several parts, as a national one is
WORKERS = 2


class Workers:
    """Single-process Celery workers of the world's federation, as subprocesses."""

    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        from mynumber.federation import distributed

        self.argv = [sys.executable, "-m", "celery"]
        self.settings, self.distributed = settings, distributed
        self.env = distributed.worker_env(settings, env)
        self.running: dict[int, subprocess.Popen[bytes]] = {}
        self.killed = 0

    def start(self, n: int) -> None:
        argv = self.argv + self.distributed.worker_argv(
            self.settings, name=f"w{n}-{time.time_ns()}"
        )
        self.running[n] = subprocess.Popen(
            argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def kill(self, n: int) -> None:
        """SIGKILL worker ``n`` (its task in flight is redelivered) and start another."""
        self.running[n].send_signal(signal.SIGKILL)
        self.running[n].wait()
        self.killed += 1
        self.start(n)

    def stop(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGKILL)
            process.wait()


def run_on_workers_with_kills(
    settings: Settings, env: dict[str, str], programme: str, rng: random.Random
) -> tuple[list[str], int]:
    """The coordinator (``mynumber benefit run``) with its parts on two workers; at random
    moments of the distributed phases a worker — or now and then the coordinator — is
    killed and started again. Returns the phases of the kills and how many workers died."""
    data = settings.data_dir
    env = env | {
        "MYNUMBER_BROKER_URL": BROKER_URL,
        "MYNUMBER_RUN_PAGE": str(PAGE),
        "MYNUMBER_RUN_PART_SIZE": str(PART_SIZE),
        "MYNUMBER_RUN_FILE_RECORDS": str(FILE_RECORDS),
    }
    workers = Workers(settings, env)
    for n in range(WORKERS):
        workers.start(n)
    killed: list[str] = []
    probe = create_org_engine(settings, "benefits")

    def coordinator() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(MYNUMBER), "benefit", "run", programme, "--data", str(data)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    # the phases of the kills, in the run's order: a kill aimed at a phase already over is
    # skipped, so the long transfers phase does not take every kill
    targets = sorted(
        rng.choices(("eligibility", "accounts", "files", "transfers"), k=KILLS + 2), key=rank
    )
    try:
        process = coordinator()
        for target in targets:
            now = phase_of(probe, programme)
            if rank(now) >= rank("notices"):
                break
            if rank(now) > rank(target):
                continue
            deadline = time.monotonic() + 300
            while process.poll() is None and rank(phase_of(probe, programme)) < rank(target):
                assert time.monotonic() < deadline, "the run made no progress in 5 minutes"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.05))  # into the phase, its parts in flight
            if process.poll() is not None:
                break
            if rng.random() < 0.25:  # the coordinator, with parts in flight on the workers
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed.append("coordinator:" + phase_of(probe, programme))
                process = coordinator()
            else:
                workers.kill(rng.randrange(WORKERS))
                killed.append("worker:" + phase_of(probe, programme))
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr.decode()
        return killed, workers.killed
    finally:
        workers.stop()
        probe.dispose()


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_workers_killed_with_parts_in_flight_still_credit_each_account_once(world, seed):
    broker_reachable()
    settings, env, _ = world
    data = settings.data_dir
    programme = crashkit.approved_programme(world, f"workers-{seed}")

    killed, workers_killed = run_on_workers_with_kills(
        settings, env, programme, random.Random(seed)
    )
    shown = mynumber(env, data, "benefit", "status", programme, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    expected, credited = crashkit.accounts_owed_and_credited(settings, programme)
    print(f"seed {seed}: killed {killed}")
    assert workers_killed, "no worker was killed"
    assert credited == expected  # each eligible account once, nobody else
    assert report["phase"] == "done"
    assert len(report["files"]) > 1  # parts of the round's file, written on the workers
    assert report["payees"]["credited"]["count"] == sum(credited.values())
    assert report["instructions"]["credited"]["count"] == sum(credited.values())
    assert sum(f["credited_total"] for f in report["files"]) == AMOUNT * sum(credited.values())
    assert sum(f["total"] for f in report["files"]) == sum(
        v["yen"] for k, v in report["instructions"].items()
    )
