"""A benefit run's parts executed by Celery on RabbitMQ (``MYNUMBER_BROKER_URL``).

The run (:class:`mynumber.orgs.benefits.run.PaymentRun`) stays the coordinator: it holds
the round's lease and moves the phases. The partitioned phases — each municipality's
eligibility pages (with a per-person programme's payees), a household programme's payees
by municipality, the open payees in ranges of payee ids for the accounts through the hub,
the parts of the round's Zengin file, each written file's transfer to the paying bank, the
notices in ranges of notice ids — go to the broker as tasks, one per part, and the
coordinator waits for all of them. A worker
(``mynumber benefit worker``, or ``celery -A mynumber.federation.distributed worker``)
builds the federation on the same data folder and databases, as ``mynumber benefit run``
does, and does the part there. A worker of a split deployment (``mynumber run --split``;
``mynumber benefit worker --split``) builds the benefit office alone: every other
organisation's share of a part (a municipality's pages, J-LIS's and the hub's codes, the
hub's relay to the account registry) is done in that organisation's own process, reached
at its URL, and the worker opens no database but the office's.

Why Celery on RabbitMQ (this project's choice): the parts are coarse (10^4–10^5 people
each), so what matters is delivery, not scheduling latency. RabbitMQ redelivers a task
whose worker died before acknowledging it (``acks_late``, ``reject_on_worker_lost``) and
hands each worker one task at a time (prefetch 1), which is the exactly-once story the run
needs together with its idempotent parts (cursors moved by compare-and-set, unique keys on
instructions). Dask or Ray would schedule finer tasks faster, but keep results in worker
memory and recompute lost ones, which suits pure functions, not parts that write to
several organisations' databases. Results come back over RabbitMQ itself (``rpc://``), so
no second service is needed.

Without ``MYNUMBER_BROKER_URL`` nothing here is used: the run does its parts in-process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable

from celery import Celery, group, signals
from sqlalchemy.exc import OperationalError

from mynumber import errors
from mynumber.orgs.benefits.run import Part, PaymentRun
from mynumber.platform import runtime
from mynumber.platform.settings import Settings

log = logging.getLogger("mynumber.distributed")

#: Parts of the accounts phase, in open payees (a part is a few hub batches).
PART_SIZE = 20_000
#: How long the coordinator waits for one phase's parts before it gives up (it resumes).
PHASE_TIMEOUT = 3600.0
#: Set in the environment of a worker of a split deployment (see :func:`worker_env`).
SPLIT = "MYNUMBER_WORKER_SPLIT"


def wait_for_workers(celery: Celery, names: list[str], timeout: float = 120.0) -> int:
    """Wait until the workers ``names`` (node names, ``name@host``) answer a ping — each
    builds its federation before it does."""
    import time

    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = len(celery.control.ping(destination=names, timeout=1.0) or [])
        if seen >= len(names):
            return seen
    raise TimeoutError(f"{seen} of {len(names)} workers answered")


def node_name(settings: Settings, name: str) -> str:
    """A worker's node name, unique per federation on a shared broker (``name.queue@host``)."""
    import socket

    return f"{name}.{queue_of(settings)}@{socket.gethostname()}"


def broker_url() -> str | None:
    return os.environ.get("MYNUMBER_BROKER_URL") or None


def queue_of(settings: Settings) -> str:
    """The task queue of one federation (its data folder and databases): workers of another
    federation on the same broker never take its parts."""
    where = f"{settings.data_dir.resolve()}|{settings.database_url or ''}|"
    where += settings.database_prefix
    return "benefits-" + hashlib.sha256(where.encode()).hexdigest()[:12]


def make_celery(url: str) -> Celery:
    app = Celery("mynumber", broker=url, backend="rpc://", set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when done: a killed worker's task is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # a solo worker cannot answer AMQP heartbeats while it does a part: without this
        # the broker would drop a busy worker's connection and redeliver its part
        broker_heartbeat=0,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        task_track_started=False,
    )
    return app


app = make_celery(broker_url() or "amqp://guest:guest@127.0.0.1:5672//")

_runner: PaymentRun | None = None
_runner_lock = threading.Lock()


def _worker_runner() -> PaymentRun:
    """The benefit office's run in this worker process, built once: on the whole federation
    in-process, or, in a split deployment, on the office alone with the others' URLs."""
    global _runner
    with _runner_lock:
        if _runner is None:
            from mynumber import federation  # the composition root, built once per worker

            settings = Settings()
            if os.environ.get(SPLIT):
                from mynumber.orgs.benefits.app import BenefitServices
                from mynumber.platform.composition import services_of

                root = federation.build_one(settings, "benefits", federation.split_urls(settings))
                _runner = services_of(root.state.org_app, BenefitServices).runner
            else:
                _runner = federation.build(settings, in_process=True).benefits().runner
        return _runner


@signals.worker_ready.connect  # type: ignore[untyped-decorator]
def _warm(**_: object) -> None:
    """Build the federation when the worker starts, not in its first task."""
    runtime.configure_gc()  # celery's own main, not mynumber's, started this process
    _worker_runner()


@app.task(  # type: ignore[untyped-decorator]
    name="mynumber.benefits.part",
    acks_late=True,
    reject_on_worker_lost=True,
    # another organisation down for a moment, a database busy: the part is tried again
    autoretry_for=(errors.Unavailable, OperationalError),
    retry_backoff=1,
    max_retries=5,
)
def run_part(
    phase: str, programme_id: str, round_number: int, after: str, upto: str | None, number: int = 0
) -> int:
    """One part of a benefit run (idempotent: a redelivery redoes nothing done)."""
    _worker_runner().run_part(Part(phase, programme_id, round_number, after, upto, number))
    return os.getpid()


class CeleryPartitions:
    """Sends a phase's parts to the federation's queue and waits for every one."""

    def __init__(self, celery: Celery, queue: str, timeout: float = PHASE_TIMEOUT) -> None:
        self.celery = celery
        self.queue = queue
        self.timeout = timeout

    def run_parts(self, runner: PaymentRun, parts: list[Part], done: Callable[[int], None]) -> None:
        if not parts:
            return
        task = self.celery.signature("mynumber.benefits.part")
        sent = group(
            task.clone(args=(x.phase, x.programme_id, x.round, x.after, x.upto, x.number)).set(
                queue=self.queue
            )
            for x in parts
        ).apply_async()
        finished = [0]

        def one_more(task_id: str, value: object) -> None:
            finished[0] += 1
            done(finished[0])

        join = sent.join_native if sent.supports_native_join else sent.join
        join(timeout=self.timeout, propagate=True, callback=one_more)


def partitions(settings: Settings) -> CeleryPartitions | None:
    """The engine's partitions when ``MYNUMBER_BROKER_URL`` is set, else None (in-process)."""
    url = broker_url()
    if url is None:
        return None
    return CeleryPartitions(make_celery(url), queue_of(settings))


def use_engine(runner: PaymentRun, settings: Settings, part_size: int = PART_SIZE) -> bool:
    """Make ``runner`` send its parts to the engine if a broker is configured
    (``MYNUMBER_RUN_PAGE`` people per eligibility page and per range of a municipality,
    each range a part, else the office's page of 20,000; ``MYNUMBER_RUN_PART_SIZE`` open
    payees per accounts part, else ``part_size``;
    ``MYNUMBER_RUN_FILE_RECORDS`` records at most per part of the round's file, else
    999,999, the most a 総合振込 file holds — a bank may want its files smaller; on the
    engine the file is cut in up to :data:`~mynumber.orgs.benefits.run.FILE_PARTS_ON_WORKERS`
    parts of at least ``part_size`` records, for the workers to write side by side)."""
    engine = partitions(settings)
    if engine is None:
        return False
    runner.partitions = engine
    runner.part_size = int(os.environ.get("MYNUMBER_RUN_PART_SIZE") or part_size)
    runner.page = int(os.environ.get("MYNUMBER_RUN_PAGE") or runner.page)
    records = int(os.environ.get("MYNUMBER_RUN_FILE_RECORDS") or 0)
    if records:
        runner.max_records = records
    return True


def worker_env(settings: Settings, base: dict[str, str], *, split: bool = False) -> dict[str, str]:
    """The environment of a worker process of this federation (``base`` plus where its
    data and databases are); ``split``: of the split deployment on ``settings``' host and
    ports, whose organisations the worker reaches at their URLs."""
    env = dict(base) | {
        "MYNUMBER_DATA_DIR": str(settings.data_dir.resolve()),
        "MYNUMBER_DATABASE_PREFIX": settings.database_prefix,
    }
    if settings.database_url:
        env["MYNUMBER_DATABASE_URL"] = settings.database_url
    if split:
        env |= {SPLIT: "1", "MYNUMBER_HOST": settings.host, "MYNUMBER_PORT": str(settings.port)}
    return env


def worker_argv(settings: Settings, *, name: str) -> list[str]:
    """Arguments of ``python -m celery`` for one single-process worker of this federation."""
    return [
        "-A",
        "mynumber.federation.distributed",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue_of(settings),
        "--hostname",
        node_name(settings, name),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


__all__ = [
    "SPLIT",
    "CeleryPartitions",
    "app",
    "node_name",
    "partitions",
    "queue_of",
    "use_engine",
    "wait_for_workers",
    "worker_argv",
    "worker_env",
]
