"""``mynumber benefit run`` killed with SIGKILL at random moments, then run again to the
end: every eligible person with a registered account is credited exactly once — counted in
the banks' own credit rows — and nobody else; each file's trailer equals the sums of its
instructions and of its result file; ``mynumber benefit status`` agrees with the banks.

A data folder with a few thousand seeded residents and public-fund accounts is made once
(``crashkit``); each seed is a programme of its own, run with its own random kills. The
same with the run's parts on Celery workers killed: ``test_benefit_crash_workers.py``.

``make test`` runs these on PostgreSQL only (the production database): nothing in them is
particular to SQLite, whose run the benefit CLI and integration tests cover.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import crashkit
import pytest
from crashkit import AMOUNT, KILLS, MYNUMBER, PHASES, SEEDS, World, mynumber, phase_of, rank

from mynumber.payments import read_file, read_results
from mynumber.platform.db import create_org_engine
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow(seconds=100)


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_kind, drop_databases) -> Iterator[World]:
    yield from crashkit.make_world(tmp_path_factory.mktemp("crash"), database_kind, drop_databases)


def run_with_kills(
    settings: Settings, env: dict[str, str], programme: str, rng: random.Random
) -> list[str]:
    """Start the run and SIGKILL it at a random moment of the phase it is in or the next
    (found by watching the office's database, so a slow machine kills as a fast one does),
    again and again; then let a run end by itself. Returns the phases of the kills."""
    data = settings.data_dir
    killed: list[str] = []
    probe = create_org_engine(settings, "benefits")
    try:
        for _ in range(KILLS):
            now = phase_of(probe, programme)
            if now == "done":
                break
            here = max(rank(now), 0)  # this phase or the next, so the kills walk the run
            target = rng.choice(PHASES[here : min(here + 2, len(PHASES) - 1)])
            process = subprocess.Popen(
                [str(MYNUMBER), "benefit", "run", programme, "--data", str(data)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + 300
            while process.poll() is None and rank(phase_of(probe, programme)) < rank(target):
                assert time.monotonic() < deadline, "the run made no progress in 5 minutes"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.5))
            if process.poll() is not None:
                assert process.stderr is not None
                assert process.returncode == 0, process.stderr.read().decode()
                return killed
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed.append(phase_of(probe, programme))
    finally:
        probe.dispose()
    finished = mynumber(env, data, "benefit", "run", programme)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return killed


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_run_reruns_to_exactly_one_credit_per_eligible_account(world, seed):
    settings, env, _ = world
    data = settings.data_dir
    programme = crashkit.approved_programme(world, f"crash-{seed}")

    killed = run_with_kills(settings, env, programme, random.Random(seed))
    again = mynumber(env, data, "benefit", "run", programme)  # finished: changes nothing
    shown = mynumber(env, data, "benefit", "status", programme, "--json")

    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    expected, credited = crashkit.accounts_owed_and_credited(settings, programme)
    assert killed, "no run was killed"
    print(f"seed {seed}: killed in phases {killed}")
    assert credited == expected  # each eligible account once, nobody else
    assert report["phase"] == "done"
    assert report["payees"]["credited"] == {
        "count": sum(credited.values()),
        "yen": AMOUNT * sum(credited.values()),
    }
    assert report["instructions"]["credited"]["count"] == sum(credited.values())
    for f in report["files"]:
        sent = read_file(Path(f["path"]).read_bytes())
        answered = read_results(Path(f["result_path"]).read_bytes())
        assert (sent.trailer.count, sent.trailer.total) == (f["count"], f["total"])
        assert answered.trailer == sent.trailer
        credits = [r.transfer.amount for r in answered.results if r.credited]
        assert (len(credits), sum(credits)) == (f["credited_count"], f["credited_total"])
    assert sum(f["credited_total"] for f in report["files"]) == AMOUNT * sum(credited.values())
    assert sum(f["total"] for f in report["files"]) == sum(
        v["yen"] for k, v in report["instructions"].items()
    )
