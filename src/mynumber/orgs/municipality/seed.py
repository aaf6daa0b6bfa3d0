"""Synthetic residents in bulk: households of plausible people, at a million rows a minute.

Names come from Faker's ``ja_JP`` kanji/kana pairs, addresses from the municipality's own
towns. Codes are reserved and numbers generated through J-LIS's API in batches, and rows
go in with SQLAlchemy Core (``COPY`` on PostgreSQL), not one ORM object at a time.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from faker.providers.person.ja_JP import Provider as JaPerson
from sqlalchemy.exc import IntegrityError

from mynumber import jst
from mynumber.number import random_resident_code
from mynumber.orgs.municipality import store
from mynumber.orgs.municipality.clients import JlisIssuer
from mynumber.orgs.municipality.model import Municipality
from mynumber.platform.db import bulk_insert, insert_ignoring_duplicates
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

BATCH = 20_000

_LAST = [(k, kana) for k, kana, _ in JaPerson.last_name_pairs]
_FEMALE = [(k, kana) for k, kana, _ in JaPerson.first_name_female_pairs]
_MALE = [(k, kana) for k, kana, _ in JaPerson.first_name_male_pairs]


@dataclass
class SeedReport:
    residents: int = 0
    households: int = 0
    seconds: float = 0.0
    numbering_seconds: float = 0.0  # waiting for J-LIS
    writing_seconds: float = 0.0  # in the database writer (overlaps numbering)
    enrolled: int = 0  # residents enrolled at the hub afterwards (by whoever enrols them)


def _household(rng: random.Random, town_address: str, today: date) -> list[dict[str, Any]]:
    """One household: a head, perhaps a spouse, perhaps children and a parent."""
    family, family_kana = rng.choice(_LAST)
    head_age = rng.randint(20, 90)
    head_sex = rng.choice("12")
    people = [(head_age, head_sex, "世帯主")]
    if head_age >= 24 and rng.random() < 0.6:
        people.append(
            (
                max(18, head_age + rng.randint(-5, 5)),
                "2" if head_sex == "1" else "1",
                "妻" if head_sex == "1" else "夫",
            )
        )
        if head_age < 60:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                people.append((rng.randint(0, min(head_age - 20, 25)), rng.choice("12"), "子"))
    if rng.random() < 0.05:
        people.append(
            (
                min(head_age + rng.randint(22, 35), 105),
                rng.choice("12"),
                "母" if rng.random() < 0.6 else "父",
            )
        )
    members = []
    used: set[str] = set()
    for age, sex, relationship in people:
        given, given_kana = rng.choice(_MALE if sex == "1" else _FEMALE)
        while given in used:  # no two members share a given name
            given, given_kana = rng.choice(_MALE if sex == "1" else _FEMALE)
        used.add(given)
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        members.append(
            {
                "family_name": family,
                "given_name": given,
                "family_name_kana": family_kana,
                "given_name_kana": given_kana,
                "birth_date": birth,
                "sex": sex,
                "address": town_address,
                "relationship": relationship,
            }
        )
    return members


def synthesize(municipality: Municipality, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Yield households of synthetic people, without end."""
    today = jst.today()
    while True:
        address = (
            f"{municipality.full_name}{rng.choice(municipality.towns)}"
            f"{rng.randint(1, 9)}丁目{rng.randint(1, 40)}番{rng.randint(1, 30)}号"
            + (f"-{rng.randint(1, 12)}{rng.randint(1, 8):02d}" if rng.random() < 0.5 else "")
        )
        yield _household(rng, address, today)


def _batches(
    municipality: Municipality, count: int, rng: random.Random, now: datetime
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(households, people) in batches of about :data:`BATCH`, ``count`` people in all,
    never two with the registry's one-record-per-person key."""
    seen: set[tuple[str, str, date, str]] = set()
    made = 0
    households: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for members in synthesize(municipality, rng):
        if made >= count:
            break
        unique = []
        for member in members:
            key = (
                member["family_name"],
                member["given_name"],
                member["birth_date"],
                member["address"],
            )
            if key not in seen and made < count:
                seen.add(key)
                unique.append(member)
                made += 1
        if not unique:
            continue
        household_id = new_id()
        households.append({"id": household_id, "address": unique[0]["address"], "created_at": now})
        for member in unique:
            member["household_id"] = household_id
        people.extend(unique)
        if len(people) >= BATCH:
            yield households, people
            households, people = [], []
    if people:
        yield households, people


def seed(
    *,
    uow: UnitOfWork,
    municipality: Municipality,
    jlis: JlisIssuer,
    count: int,
    progress: Callable[[int], None] = lambda n: None,
    rng: random.Random | None = None,
) -> SeedReport:
    """Register ``count`` synthetic residents with codes and My Numbers from J-LIS.

    Two stages overlap: while one batch is written to the database (in a worker thread;
    the database driver releases the GIL), the next is made and numbered by J-LIS.
    """
    rng = rng or random.Random(secrets.randbits(64))
    report = SeedReport()
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-writer") as writer:
        pending: Future[None] | None = None
        for households, people in _batches(municipality, count, rng, started):
            clock = time.perf_counter()
            _number(jlis, people, started)
            report.numbering_seconds += time.perf_counter() - clock
            if pending is not None:
                pending.result()
            pending = writer.submit(_write, uow, households, people, report)
            pending.add_done_callback(partial(_report_progress, progress, len(people)))
            report.residents += len(people)
            report.households += len(households)
        if pending is not None:
            pending.result()
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _report_progress(progress: Callable[[int], None], count: int, _done: Future[None]) -> None:
    progress(count)


def _number(jlis: JlisIssuer, people: list[dict[str, Any]], now: datetime) -> None:
    """Reserve resident codes and get My Numbers for a batch, through J-LIS's API."""
    numbered: dict[str, str] = {}
    while len(numbered) < len(people):
        wanted = {
            random_resident_code() for _ in range(len(people) - len(numbered))
        } - numbered.keys()
        numbered.update(jlis.reserve_and_number(list(wanted)))
    today = now.date()
    for person, (code, number) in zip(people, numbered.items(), strict=True):
        person.update(
            id=new_id(),
            resident_code=code,
            my_number=number,
            status="active",
            registered_on=today,
            registered_reason="seed",
            moved_from=None,
            left_on=None,
            moved_to=None,
            idempotency_key=None,
            updated_at=now,
        )


def _write(
    uow: UnitOfWork,
    households: list[dict[str, Any]],
    people: list[dict[str, Any]],
    report: SeedReport,
) -> None:
    clock = time.perf_counter()
    try:
        with uow as conn:
            bulk_insert(conn, store.households, households)
            bulk_insert(conn, store.residents, people)
            uow.commit()
    except IntegrityError:
        # someone seeded before us holds one of these people: skip just those
        with uow as conn:
            conn.execute(store.households.insert(), households)
            insert_ignoring_duplicates(conn, store.residents, people)
            uow.commit()
    report.writing_seconds += time.perf_counter() - clock
