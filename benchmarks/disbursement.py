"""A national benefit run: payees/s from a programme's definition to its Zengin files.

Prints JSON. Set-up, timed apart: synthetic residents in the demo municipalities, bank
accounts for a share of the adults, registered as public-fund accounts (which enrols them
at the account registry through J-LIS and the hub: the network is warm). Then the benefit
office's own run (``mynumber.orgs.benefits.run.PaymentRun``, with its pages and batches)
for a programme paying every resident, twice: ``first_run`` is the office's first
programme, which enrols everyone (J-LIS → hub) and keeps the codes; ``run`` is a later
programme — the one a disaster calls for — which finds them. Phase by phase:

- ``eligibility``: the municipalities' sealed pages (``POST …/api/benefits/eligible``);
- ``enrolment``: the office's codes for those My Numbers (J-LIS 取得番号 → hub);
- ``accounts_via_hub``: registered accounts through ``POST /hub/exchanges/bulk``;
- ``instructions``: payees and payment instructions in the office's database;
- ``files``: the Zengin 総合振込 file for the paying bank (parts of ≤ 999,999 records),
  written atomically.

``payees_per_s`` counts from the programme's creation to the last file (``payees_per_cpu_s``
divides by the process's CPU time instead: every organisation runs in this process, so that
figure does not depend on what else the machine runs). In the same run,
``io_limit`` writes the same bytes straight to disk (write + fsync per file): the rate
nothing above the disk could beat, and the run's ratio to it. ``--transfers`` then sends
the files to the paying bank (``POST /bank/{code}/api/transfers``), which routes the other
banks' records over the modelled Zengin network (``POST /bank/{code}/api/zengin/credits``),
and times that too. All
organisations in one process, in-process HTTP (no sockets), SQLite unless ``--postgres``:

    .venv/bin/python -m benchmarks.disbursement [--residents 1000000] [--large] [--postgres]
        [--workers K [--repeat R]] [--transfers]

``--workers K`` runs the same programme once per k = 1 … K with its parts on k Celery
workers (single-process, started here against ``MYNUMBER_BROKER_URL``, by default the
local RabbitMQ): ``run`` is then the k = 1 run, ``runs`` holds every k and ``scaling``
each k's payees/s over k = 1's. ``--repeat R`` does that R times, every other time from
k = K down to 1 (1 2 2 1 …: a host whose speed drifts during the benchmark favours no k),
and ``scaling`` is then each k's median payees/s over k = 1's median; ``runs`` holds every
run; each run carries the CPU baseline (:func:`benchmarks.machine.cpu_baseline`) measured
just before it, as the host's speed may drift between runs. ``payees_per_cpu_s`` then
divides by the CPU of every
process that takes part (this coordinator and each worker, read from ``/proc``); the
broker's own CPU is reported beside it (``broker_cpu_seconds``). With ``--postgres`` the
database server's CPU is reported beside it too (``database_cpu_seconds``: the whole
PostgreSQL cluster on this machine, read from ``/proc``) and counted in
``payees_per_cpu_s_with_database``; before each run the databases are vacuumed and
checkpointed (:func:`settle`), so no run is charged for the writes of the one before.

The goal is 126 million people in 10 minutes: 210,000 payees/s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import zengin_code
from sqlalchemy import select

from benchmarks.machine import cpu_baseline, machine
from mynumber import federation, jst
from mynumber.federation import distributed
from mynumber.orgs.accounts.services import Account
from mynumber.orgs.bank.app import org_name as bank_org
from mynumber.orgs.benefits.run import PaymentRun
from mynumber.orgs.municipality.model import age_on, municipality
from mynumber.orgs.municipality.store import residents
from mynumber.platform import runtime
from mynumber.platform.composition import OrgServices, services_of
from mynumber.platform.db import drop_postgres_databases
from mynumber.platform.settings import Settings
from mynumber.platform.staff.model import LOCAL_ADMIN_ID
from mynumber.platform.uow import UnitOfWork

POSTGRES = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
GOAL_PER_S = 126_000_000 / 600  # everyone in Japan in ten minutes
#: Share of adults with an account at a demo bank registered as their public-fund account.
REGISTERED_SHARE = 0.7
PAGE = 100_000


class _Stop(Exception):
    """Raised from the run's progress callback to end it after a phase (it resumes)."""


def _timed(report: dict[str, float], name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            report[name] = report.get(name, 0.0) + time.perf_counter() - started

    return wrapper


# --- set-up --------------------------------------------------------------------------------


def seed_residents(fed: federation.Federation, count: int) -> dict[str, Any]:
    codes = fed.settings.municipalities
    started = time.perf_counter()
    seeded = 0
    for n, code in enumerate(codes):
        share = count // len(codes) + (1 if n < count % len(codes) else 0)
        seeded += fed.seed(code, share).residents
    return {"residents": seeded, "seconds": round(time.perf_counter() - started, 1)}


def register_accounts(fed: federation.Federation) -> dict[str, Any]:
    """Open an own-name account for a share of the adults at the demo banks and register it
    as the public-fund account (the registry enrols the numbers through J-LIS and the hub)."""
    started = time.perf_counter()
    rng = random.Random(7)
    banks = list(federation.DEMO_BANKS)
    branches = {b: sorted(zengin_code.Bank.all[b].branches)[:5] for b in banks}
    next_number = dict.fromkeys(((b, br) for b in banks for br in branches[b]), 1)
    today = jst.today()
    opened: dict[str, list[dict[str, str]]] = {b: [] for b in banks}
    entries: list[tuple[str, Account]] = []
    r = residents.c
    for code in fed.settings.municipalities:
        with fed.municipality(code).engine.connect() as conn:
            rows = conn.execute(
                select(r.my_number, r.family_name_kana, r.given_name_kana, r.birth_date).where(
                    r.status == "active", r.my_number.is_not(None)
                )
            ).all()
        for number, family, given, born in rows:
            if age_on(born, today) < 18 or rng.random() >= REGISTERED_SHARE:
                continue
            at = rng.choice(banks)
            br = rng.choice(branches[at])
            account = {
                "branch_code": br,
                "deposit_type": "1",
                "account_number": f"{next_number[(at, br)]:07d}",
                "holder_kana": f"{family} {given}",
            }
            next_number[(at, br)] += 1
            opened[at].append(account)
            entries.append(
                (
                    str(number),
                    Account.checked(
                        bank_code=at,
                        branch_code=br,
                        deposit_type="1",
                        number=account["account_number"],
                        holder_kana=account["holder_kana"],
                    ),
                )
            )
    opening = time.perf_counter()
    for at in banks:
        bank = fed.bank(bank_org(at))
        for start in range(0, len(opened[at]), 50_000):
            bank.bank.open_accounts(UnitOfWork(bank.engine), opened[at][start : start + 50_000])
    registering = time.perf_counter()
    accounts = fed.accounts()
    registered = 0
    for start in range(0, len(entries), PAGE):
        work = UnitOfWork(accounts.engine)
        registered += accounts.registry.register_demo(work, entries[start : start + PAGE])
    done = time.perf_counter()
    return {
        "accounts": sum(len(v) for v in opened.values()),
        "registered": registered,
        "seconds": round(done - started, 1),
        "opening_seconds": round(registering - opening, 1),
        "registering_seconds": round(done - registering, 1),
    }


# --- the run -------------------------------------------------------------------------------

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """A process's user + system CPU seconds (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_cpu() -> float | None:
    """CPU seconds of this machine's PostgreSQL cluster so far: the postmaster's own and
    its reaped children's (``cutime``/``cstime``: backends that ended) plus each live
    child's — so a run's database CPU is the difference, however many connections came
    and went. None if no postmaster runs here. The whole cluster is counted: other
    users of the server during the run would be counted too."""
    children: dict[int, list[int]] = {}
    postmaster = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        if (Path(f"/proc/{ppid}/comm").read_text().strip() if ppid > 1 else "") != "postgres":
            postmaster = pid
    if postmaster is None:
        return None
    fields = Path(f"/proc/{postmaster}/stat").read_text().rpartition(")")[2].split()
    own = sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    alive = 0.0
    for child in children.get(postmaster, []):
        with contextlib.suppress(OSError):
            alive += cpu_of(child)
    return own + alive


def broker_pid() -> int | None:
    """The RabbitMQ node's process (beam.smp) on this machine, if any."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "beam.smp":
                    return int(entry.name)
            except OSError:
                continue
    return None


class Workers:
    """``count`` single-process Celery workers of this federation (subprocesses)."""

    def __init__(self, settings: Settings, count: int) -> None:
        env = distributed.worker_env(settings, dict(os.environ)) | {
            "MYNUMBER_BROKER_URL": distributed.broker_url() or BROKER,
            "MYNUMBER_LOG_LEVEL": "WARNING",
        }
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", *distributed.worker_argv(settings, name=f"b{n}")],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for n in range(count)
        ]
        self.celery = distributed.make_celery(env["MYNUMBER_BROKER_URL"])
        names = [distributed.node_name(settings, f"b{n}") for n in range(count)]
        distributed.wait_for_workers(self.celery, names, timeout=600)
        self.partitions = distributed.CeleryPartitions(self.celery, distributed.queue_of(settings))

    def cpu(self) -> float:
        return sum(cpu_of(p.pid) for p in self.processes)

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            p.wait(timeout=60)


def run_to_files(fed: federation.Federation, workers: Workers | None = None) -> dict[str, Any]:
    """Create a programme paying every resident, run it until its files are written (in the
    office's folder, as the workers write them: ``files/<programme>/``)."""
    benefits = fed.benefits()
    folder = benefits.runner.folder
    calls: dict[str, float] = {}
    clients = benefits.clients
    clients.eligible = _timed(calls, "eligible", clients.eligible)
    clients.enrol = _timed(calls, "enrol", clients.enrol)
    clients.accounts = _timed(calls, "accounts", clients.accounts)
    runner = PaymentRun(  # the office's own settings (pages, batches), timed clients
        units=partial(UnitOfWork, benefits.engine),
        clients=clients,
        folder=folder,
        number_key=benefits.runner.number_key,
    )
    if workers is not None:
        runner.partitions = workers.partitions
        runner.part_size = distributed.PART_SIZE
    baseline = cpu_baseline()  # the host's speed just before this run (it drifts)
    others = workers.cpu if workers is not None else (lambda: 0.0)
    broker = broker_pid() if workers is not None else None
    broker_started = cpu_of(broker) if broker else 0.0
    postgres = fed.settings.database_url is not None
    database_started = postgres_cpu() if postgres else None
    starts: dict[str, float] = {}
    cpu: dict[str, float] = {}
    own: dict[str, float] = {}  # this process's share of ``cpu``: the coordinator's
    stop_at = {"transfers"}

    def progress(phase: str, done: int, total: int | None) -> None:
        starts.setdefault(phase, time.perf_counter())
        if phase not in cpu:
            own[phase] = time.process_time()
            cpu[phase] = own[phase] + others()
        if phase in stop_at:
            raise _Stop(phase)

    started, own_started = time.perf_counter(), time.process_time()
    cpu_started = own_started + others()
    programme = benefits.programmes.create(
        UnitOfWork(benefits.engine),
        name=f"bench-{secrets.token_hex(3)}",
        amount=100_000,
        per="person",
        municipalities=list(fed.settings.municipalities),
        as_of=jst.today(),
        by=LOCAL_ADMIN_ID,
    )
    # a run needs another staff member's approval: the benchmark's own approver
    benefits.programmes.approve(
        UnitOfWork(benefits.engine), programme["id"], by="benchmark-approver"
    )
    with contextlib.suppress(_Stop):
        runner.run(programme["id"], progress)
    finished = starts["transfers"]
    database_cpu = (
        None
        if database_started is None
        else (postgres_cpu() or database_started) - database_started
    )
    status = benefits.programmes.status(UnitOfWork(benefits.engine), programme["id"])
    phase_seconds = {
        phase: starts[following] - starts[phase]
        for phase, following in (
            ("eligibility", "payees"),
            ("payees", "accounts"),
            ("accounts", "files"),
            ("files", "transfers"),
        )
    }
    payees = sum(s["count"] for s in status["payees"].values())
    seconds = finished - started
    # every organisation runs in this process (and in each worker's): their CPU time is
    # the whole run's, however many other programs share the machine
    cpu_seconds = cpu["transfers"] - cpu_started
    cpu_phases = {
        phase: cpu[following] - cpu[phase]
        for phase, following in (
            ("eligibility", "payees"),
            ("payees", "accounts"),
            ("accounts", "files"),
            ("files", "transfers"),
        )
    }
    phases = {
        "eligibility": phase_seconds["eligibility"] - calls.get("enrol", 0.0),
        "enrolment": calls.get("enrol", 0.0),
        "accounts_via_hub": calls.get("accounts", 0.0),
        "instructions": phase_seconds["payees"]
        + phase_seconds["accounts"]
        - calls.get("accounts", 0.0),
        "files": phase_seconds["files"],
    }
    return {
        "programme": programme["id"],
        "payees": payees,
        "instructions": sum(s["count"] for s in status["instructions"].values()),
        "seconds": round(seconds, 2),
        "payees_per_s": round(payees / seconds),
        "cpu_seconds": round(cpu_seconds, 2),
        "payees_per_cpu_s": round(payees / cpu_seconds),
        "cpu_seconds_by_phase": {k: round(v, 2) for k, v in cpu_phases.items()},
        "phases": {
            name: {
                "seconds": round(value, 2),
                "share": round(value / seconds, 3),
                "payees_per_s": round(payees / value) if value else None,
            }
            for name, value in phases.items()
        },
        "of_which_waiting_for_municipalities_s": round(calls.get("eligible", 0.0), 2),
        "workers": 0 if workers is None else len(workers.processes),
        "cpu_baseline": baseline,
        # with workers, how the CPU divides: this process (the coordinator) and the workers
        "coordinator_cpu_seconds": round(own["transfers"] - own_started, 2),
        "broker_cpu_seconds": round(cpu_of(broker) - broker_started, 2) if broker else None,
        # PostgreSQL: the database server's CPU, beside the run's (not in payees_per_cpu_s)
        "database_cpu_seconds": None if database_cpu is None else round(database_cpu, 2),
        "payees_per_cpu_s_with_database": (
            None if database_cpu is None else round(payees / (cpu_seconds + database_cpu))
        ),
        "_runner": runner,
        "_folder": folder / programme["id"],
    }


def settle(fed: federation.Federation) -> None:
    """On PostgreSQL, what the last bulk writes left the server to do — autovacuum's pass
    over the new rows, the next checkpoint — done now, before a run is timed: else each run
    pays for the one before it (the first with workers for the set-up's 200,000 residents).
    ``VACUUM ANALYZE`` of each organisation's database, then one ``CHECKPOINT``."""
    if fed.settings.database_url is None:
        return
    engines = [services_of(app, OrgServices).engine for app in fed.apps.built()]
    for engine in engines:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    with engines[0].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")


def io_limit(folder: Path, payees: int) -> dict[str, Any]:
    """The same bytes written straight to disk, each file with write + fsync."""
    written = sorted(folder.rglob("*.zengin"))
    blobs = [p.read_bytes() for p in written]
    with tempfile.TemporaryDirectory(dir=folder) as out:
        started = time.perf_counter()
        for n, data in enumerate(blobs):
            fd = os.open(Path(out) / f"{n}.zengin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        seconds = time.perf_counter() - started
    size = sum(len(b) for b in blobs)
    return {
        "files": len(blobs),
        "bytes": size,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "payees_per_s": round(payees / seconds),
    }


def transfers(fed: federation.Federation, run: dict[str, Any]) -> dict[str, Any]:
    """Send the files to the banks and settle the results (the run's next phase)."""
    runner: PaymentRun = run["_runner"]
    starts: dict[str, float] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        starts.setdefault(phase, time.perf_counter())
        if phase == "notices":
            raise _Stop(phase)

    with contextlib.suppress(_Stop):
        runner.run(run["programme"], progress)
    seconds = starts["notices"] - starts["transfers"]
    benefits = fed.benefits()
    status = benefits.programmes.status(UnitOfWork(benefits.engine), run["programme"])
    credited = status["instructions"].get("credited", {}).get("count", 0)
    return {
        "seconds": round(seconds, 2),
        "records_per_s": round(run["instructions"] / seconds) if seconds else None,
        "credited": credited,
    }


def measure(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    fed = federation.build(settings, in_process=True)
    try:
        setup = {
            "residents": seed_residents(fed, args.residents),
            "accounts": register_accounts(fed),
        }
        # the office's first programme enrols everyone (J-LIS → hub) and keeps the codes;
        # a later programme, the one a disaster calls for, finds them: both are reported
        settle(fed)
        cold = run_to_files(fed)
        runs: list[dict[str, Any]] = []
        if args.workers:
            ks = list(range(1, args.workers + 1))
            for time_ in range(args.repeat):
                for k in ks if time_ % 2 == 0 else reversed(ks):
                    settle(fed)
                    workers = Workers(settings, k)
                    try:
                        runs.append(run_to_files(fed, workers))
                    finally:
                        workers.stop()
        else:
            settle(fed)
            runs.append(run_to_files(fed))
        run = runs[0]
        limit = io_limit(run["_folder"], run["payees"])
        result: dict[str, Any] = {
            "setup": setup,
            "first_run": {k: v for k, v in cold.items() if not k.startswith("_")},
            "run": {k: v for k, v in run.items() if not k.startswith("_")},
            "io_limit": limit,
            "ratio_to_io_limit": round(run["payees_per_s"] / limit["payees_per_s"], 4),
            "goal_payees_per_s": round(GOAL_PER_S),
            "ratio_to_goal": round(run["payees_per_s"] / GOAL_PER_S, 4),
        }
        if args.workers:
            result["runs"] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
            rates: dict[int, list[int]] = {}
            for r in runs:
                rates.setdefault(r["workers"], []).append(r["payees_per_s"])
            one = statistics.median(rates[1])
            result["scaling"] = {
                str(k): round(statistics.median(v) / one, 3) for k, v in sorted(rates.items())
            }
        if args.transfers:
            result["transfers"] = transfers(fed, run)
        return result
    finally:
        fed.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--large", action="store_true", help="10,000,000 residents")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--transfers", action="store_true", help="also send the files to banks")
    parser.add_argument(
        "--workers", type=int, default=0, help="run once with 1 … K Celery workers (0: in-process)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="with --workers: the runs of 1 … K, R times"
    )
    args = parser.parse_args()
    runtime.configure_gc()  # as every mynumber process does (the organisations run here)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.large:
        args.residents = 10_000_000
    result: dict[str, Any] = {
        "benchmark": "disbursement",
        "machine": machine() | {"load_average": [round(x, 2) for x in os.getloadavg()]},
        "database": "postgresql" if args.postgres else "sqlite",
        "municipalities": [municipality(c).org for c in Settings().municipalities],
    }
    with tempfile.TemporaryDirectory() as folder:
        values: dict[str, Any] = {"data_dir": Path(folder), "seed_residents": 0}
        values["log_level"] = "WARNING"
        if args.postgres:
            values |= {"database_url": POSTGRES, "database_prefix": f"bench_{secrets.token_hex(3)}"}
        settings = Settings(**values)
        try:
            result |= measure(settings, args)
        finally:
            if settings.database_url:
                drop_postgres_databases(settings.database_url, settings.database_prefix)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
