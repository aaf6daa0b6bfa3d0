"""``mynumber benefit run`` killed with SIGKILL at random moments, then run again to the
end: every eligible person with a registered account is credited exactly once — counted in
the banks' own credit rows — and nobody else; each file's trailer equals the sums of its
instructions and of its result file; ``mynumber benefit status`` agrees with the banks.

A data folder with a few thousand seeded residents and public-fund accounts is made once;
each seed is a programme of its own, run with its own random kills.

The same with the run's parts on two Celery workers (RabbitMQ; the test fails if it is
down): a worker — now and then the coordinator — is SIGKILLed with parts in flight and
started again; its unacknowledged part is redelivered, and the banks' credit rows must
still hold each eligible account once.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from mynumber import federation
from mynumber.orgs.accounts import store as accounts_store
from mynumber.orgs.bank import store as bank_store
from mynumber.orgs.benefits import store as benefits_store
from mynumber.orgs.benefits.model import PAYER_BANK
from mynumber.orgs.benefits.run import PHASES
from mynumber.payments import read_file, read_results
from mynumber.platform.db import create_org_engine, drop_postgres_databases
from mynumber.platform.settings import Settings

pytestmark = pytest.mark.slow

MYNUMBER = Path(sys.executable).with_name("mynumber")
POSTGRES_URL = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PER_MUNICIPALITY = 2_000
SEEDS = (11, 23, 37)
#: Kills per seed before a run is let to finish.
KILLS = 5
AMOUNT = 100_000


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_kind) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A data folder with residents, bank accounts and registrations; the environment a
    ``mynumber`` subprocess needs to use it."""
    data = tmp_path_factory.mktemp("crash") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYNUMBER_")}
    values: dict[str, Any] = {"data_dir": data, "seed_residents": 0}
    if database_kind == "postgres":
        prefix = f"mnc_{secrets.token_hex(4)}"
        values |= {"database_url": POSTGRES_URL, "database_prefix": prefix}
        env |= {"MYNUMBER_DATABASE_URL": POSTGRES_URL, "MYNUMBER_DATABASE_PREFIX": prefix}
    settings = Settings(**values)
    fed = federation.build(settings, in_process=True)
    try:
        for code in settings.municipalities:
            fed.seed(code, PER_MUNICIPALITY)
        registered = fed.seed_accounts(per_municipality=PER_MUNICIPALITY)
        assert registered > 500
    finally:
        fed.close()
    yield settings, env
    if settings.database_url:
        drop_postgres_databases(settings.database_url, settings.database_prefix)


def approver_token(settings: Settings) -> str:
    """A second staff member of the benefit office, an approver (the local administrator
    made the programme and may not approve it): their bearer token."""
    fed = federation.build(settings, in_process=True)
    try:
        staff = fed.benefits().staff
        member = staff.add(name="承認 次郎", roles=["approver"], auth_serial=secrets.token_hex(8))
        return staff.issue_token(member.id).token
    finally:
        fed.close()


def mynumber(env: dict[str, str], data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MYNUMBER), *args, "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def phase_of(engine: Engine, programme: str) -> str:
    """The phase the office's database says the run is in (read directly, as a probe)."""
    r = benefits_store.rounds.c
    with engine.connect() as conn:
        phase = conn.scalar(
            select(r.phase).where(r.programme_id == programme).order_by(r.number.desc()).limit(1)
        )
    return str(phase or "not_started")


def rank(phase: str) -> int:
    return PHASES.index(phase) if phase in PHASES else -1


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


def expected_accounts(fed: federation.Federation) -> Counter[tuple[str, str, str, str]]:
    """The registered account of every eligible person (active residents today), by the
    registry's own code — what the run must pay, once each."""
    numbers = []
    for code in fed.settings.municipalities:
        with fed.municipality(code).engine.connect() as conn:
            numbers += list(
                conn.scalars(
                    text(
                        "SELECT my_number FROM residents "
                        "WHERE status = 'active' AND my_number IS NOT NULL"
                    )
                )
            )
    registry = fed.accounts().registry
    codes = set(filter(None, registry.enrol(numbers)))
    h, r = accounts_store.holders.c, accounts_store.registrations.c
    with fed.accounts().engine.connect() as conn:
        rows = conn.execute(
            select(h.code, r.bank_code, r.branch_code, r.deposit_type, r.account_number).join_from(
                accounts_store.registrations, accounts_store.holders, r.holder_id == h.id
            )
        ).all()
    return Counter(
        (bank, branch, kind, number) for code, bank, branch, kind, number in rows if code in codes
    )


def bank_credits(fed: federation.Federation, programme: str) -> Counter[tuple[str, str, str, str]]:
    """Every bank's own credit rows for the programme's files, per account: the paying
    bank's for its own accounts, each receiving bank's for the records routed to it."""
    credited: Counter[tuple[str, str, str, str]] = Counter()
    for bank in federation.DEMO_BANKS:
        c, a = bank_store.credits.c, bank_store.accounts.c
        with fed.bank(f"bank-{bank}").engine.connect() as conn:
            rows = conn.execute(
                select(c.paying_bank, a.branch_code, a.deposit_type, a.number, c.amount)
                .join_from(bank_store.credits, bank_store.accounts, c.account_id == a.id)
                .where(c.file_id.like(f"{programme}-%"))
            ).all()
        for paying_bank, branch, kind, number, amount in rows:
            assert (paying_bank, amount) == (PAYER_BANK, AMOUNT)
            credited[(bank, branch, kind, number)] += 1
    return credited


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_run_reruns_to_exactly_one_credit_per_eligible_account(world, seed):
    settings, env = world
    data = settings.data_dir
    created = mynumber(
        env,
        data,
        "benefit",
        "create",
        f"crash-{seed}",
        "--amount",
        str(AMOUNT),
        "--municipality",
        settings.municipalities[0],
        "--municipality",
        settings.municipalities[1],
    )
    assert created.returncode == 0, created.stdout + created.stderr
    programme = created.stdout.strip().splitlines()[-1]
    approved = mynumber(
        env | {"MYNUMBER_STAFF_TOKEN": approver_token(settings)},
        data,
        "benefit",
        "approve",
        programme,
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr

    killed = run_with_kills(settings, env, programme, random.Random(seed))
    again = mynumber(env, data, "benefit", "run", programme)  # finished: changes nothing
    shown = mynumber(env, data, "benefit", "status", programme, "--json")

    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    fed = federation.build(settings, in_process=True)
    try:
        expected = expected_accounts(fed)
        credited = bank_credits(fed, programme)
    finally:
        fed.close()
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


# --- the same run with its parts on Celery workers, workers killed too -------------------

BROKER_URL = os.environ.get("MYNUMBER_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
#: Open payees per accounts part: several parts in flight on a few thousand payees.
PART_SIZE = 700
WORKERS = 2


def broker_reachable() -> None:
    """Fail (not skip) when RabbitMQ is down: ``scripts/ensure-rabbitmq.sh`` starts it."""
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(
            f"RabbitMQ at {BROKER_URL} is not reachable ({exc}): scripts/ensure-rabbitmq.sh"
        )


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
    env = env | {"MYNUMBER_BROKER_URL": BROKER_URL, "MYNUMBER_RUN_PART_SIZE": str(PART_SIZE)}
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

    try:
        process = coordinator()
        for _ in range(KILLS + 2):
            now = phase_of(probe, programme)
            if rank(now) >= rank("files"):
                break
            target = rng.choice(("eligibility", "accounts"))
            deadline = time.monotonic() + 300
            while process.poll() is None and rank(phase_of(probe, programme)) < rank(target):
                assert time.monotonic() < deadline, "the run made no progress in 5 minutes"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.5))
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
    settings, env = world
    data = settings.data_dir
    created = mynumber(
        env,
        data,
        "benefit",
        "create",
        f"workers-{seed}",
        "--amount",
        str(AMOUNT),
        "--municipality",
        settings.municipalities[0],
        "--municipality",
        settings.municipalities[1],
    )
    assert created.returncode == 0, created.stdout + created.stderr
    programme = created.stdout.strip().splitlines()[-1]
    approved = mynumber(
        env | {"MYNUMBER_STAFF_TOKEN": approver_token(settings)},
        data,
        "benefit",
        "approve",
        programme,
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr

    killed, workers_killed = run_on_workers_with_kills(
        settings, env, programme, random.Random(seed)
    )
    shown = mynumber(env, data, "benefit", "status", programme, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    fed = federation.build(settings, in_process=True)
    try:
        expected = expected_accounts(fed)
        credited = bank_credits(fed, programme)
    finally:
        fed.close()
    print(f"seed {seed}: killed {killed}")
    assert workers_killed, "no worker was killed"
    assert credited == expected  # each eligible account once, nobody else
    assert report["phase"] == "done"
    assert report["payees"]["credited"]["count"] == sum(credited.values())
    assert report["instructions"]["credited"]["count"] == sum(credited.values())
    assert sum(f["credited_total"] for f in report["files"]) == AMOUNT * sum(credited.values())
    assert sum(f["total"] for f in report["files"]) == sum(
        v["yen"] for k, v in report["instructions"].items()
    )
