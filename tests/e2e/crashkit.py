"""What the crash tests of a benefit run share (``test_benefit_crash.py``: the run itself
killed; ``test_benefit_crash_workers.py``: its Celery workers killed): a data folder with a
few thousand seeded residents and public-fund accounts, the ``mynumber`` commands, the
probe of the run's phase and the two sides of the check — every eligible person's
registered account, and the banks' own credit rows; the broker the workers need (also the
split deployment's worker in ``test_split.py``) and the office's second staff member.

Two modules, so that ``--dist loadfile`` can run them on different xdist workers; each
builds its world once.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from mynumber import federation
from mynumber.orgs.accounts import store as accounts_store
from mynumber.orgs.bank import store as bank_store
from mynumber.orgs.benefits import store as benefits_store
from mynumber.orgs.benefits.model import PAYER_BANK
from mynumber.orgs.benefits.run import PHASES
from mynumber.platform.settings import Settings

MYNUMBER = Path(sys.executable).with_name("mynumber")
POSTGRES_URL = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PER_MUNICIPALITY = 2_000
SEEDS = (11, 23, 37)
#: Kills per seed before a run is let to finish.
KILLS = 5
AMOUNT = 100_000
BROKER_URL = os.environ.get("MYNUMBER_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

#: The world's settings, the environment of a ``mynumber`` subprocess, and the bearer token
#: of an approver of the benefit office.
World = tuple[Settings, dict[str, str], str]


def make_world(
    folder: Path, database_kind: str, drop_databases: Callable[[str, str], None]
) -> Iterator[World]:
    """A data folder with residents, bank accounts and registrations; the environment a
    ``mynumber`` subprocess needs to use it; an approver's token, minted while the world's
    federation is open (one federation fewer per programme: each holds a connection per
    organisation, and the PostgreSQL server allows 100). A module fixture's body."""
    data = folder / "data"
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
        approver = approver_token(fed)
    finally:
        fed.close()
    yield settings, env, approver
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


def broker_reachable() -> None:
    """Fail (not skip) when RabbitMQ is down: ``scripts/ensure-rabbitmq.sh`` starts it."""
    import pytest
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(
            f"RabbitMQ at {BROKER_URL} is not reachable ({exc}): scripts/ensure-rabbitmq.sh"
        )


def approver_token(fed: federation.Federation) -> str:
    """A second staff member of the benefit office, an approver (the local administrator
    made the programme and may not approve it): their bearer token."""
    staff = fed.benefits().staff
    member = staff.add(name="承認 次郎", roles=["approver"], auth_serial=secrets.token_hex(8))
    return staff.issue_token(member.id).token


def mynumber(env: dict[str, str], data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MYNUMBER), *args, "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def approved_programme(world: World, name: str) -> str:
    """A programme of ``AMOUNT`` yen for everyone of both municipalities, created by the
    local administrator and approved by an approver, as the commands do it: its id."""
    settings, env, approver = world
    data = settings.data_dir
    created = mynumber(
        env,
        data,
        "benefit",
        "create",
        name,
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
        env | {"MYNUMBER_STAFF_TOKEN": approver},
        data,
        "benefit",
        "approve",
        programme,
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr
    return programme


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


def accounts_owed_and_credited(
    settings: Settings, programme: str
) -> tuple[Counter[tuple[str, str, str, str]], Counter[tuple[str, str, str, str]]]:
    """Every eligible person's registered account (once each), and the banks' credit rows
    for the programme per account, read from the organisations' databases."""
    fed = federation.build(settings, in_process=True)
    try:
        return expected_accounts(fed), bank_credits(fed, programme)
    finally:
        fed.close()
