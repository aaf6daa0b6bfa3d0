"""The benefit office's payment run and its one-click applications on the office's own
database (SQLite with only its migrations), no federation. Every organisation the run
calls is faked at the office's boundary (:class:`~mynumber.orgs.benefits.run.RunClients`):
the municipalities' eligibility pages, J-LIS and the hub's codes, the account registry,
the paying bank, Mynaportal. The Zengin files the run writes and the bank's result files
are real, read and written with :mod:`mynumber.payments`; each step of the run commits in
a unit of work of its own, so a run broken off anywhere resumes to the same end."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from mynumber import errors, jst
from mynumber.orgs.benefits import store
from mynumber.orgs.benefits.clients import Eligibility, EligiblePage
from mynumber.orgs.benefits.model import FAILURES, PAYER_BANK, Account, NotApproved
from mynumber.orgs.benefits.run import InProcess, Part, PaymentRun
from mynumber.orgs.benefits.services import BenefitApplications, Programmes
from mynumber.payments import ResultCode, TransferResult, read_file
from mynumber.payments.results import write_results
from mynumber.platform.uow import UnitOfWork

CHIYODA, SHINJUKU = "131016", "131041"
SERVED = (CHIYODA, SHINJUKU)
MIZUHO, MUFG = "0001", "0005"  # the payer's bank (0001) and another on the network
AMOUNT = 30_000


@dataclass(frozen=True, slots=True)
class Resident:
    number: str  # the My Number, as only the municipality and J-LIS know it
    town: str
    kana: str
    age: int
    account: tuple[str, str, str] | None = None  # registered (bank, branch, number)


class Unavailable(errors.Unavailable):
    """A fake organisation that did not answer (the run stops; it resumes later)."""


class Others:
    """Every organisation a run calls, as the office sees them (RunClients)."""

    def __init__(self, residents: list[Resident]) -> None:
        self.residents = residents
        self.codes = {r.number: secrets.token_hex(8) for r in residents}  # 機関別符号
        self.person = {code: number for number, code in self.codes.items()}
        self.closed: set[str] = set()  # account numbers the receiving banks closed
        self.on_portal: set[str] = set()  # My Numbers with a Mynaportal account
        self.asked: list[list[str]] = []  # codes per registry request
        self.enrolled: list[str] = []  # My Numbers sent to J-LIS for the office's codes
        self.submitted: list[str] = []  # Idempotency-Keys, one per submission
        self.answers: dict[str, tuple[bytes, bytes]] = {}  # key → (file, result file)
        self.credited: list[tuple[str, int]] = []  # (account, amount), once per credit
        self.notices: list[tuple[str, dict[str, str]]] = []  # (My Number, message)
        #: method name → calls still to fail (before / after the work was done)
        self.fail_before: dict[str, int] = {}
        self.fail_after: dict[str, int] = {}

    def _breaks(self, table: dict[str, int], name: str) -> None:
        if table.get(name, 0) > 0:
            table[name] -= 1
            raise Unavailable(f"{name} did not answer")

    def _eligible(self, municipality: str, who: Eligibility) -> list[Resident]:
        """The town's residents of the programme's ages, by number."""
        return sorted(
            (
                r
                for r in self.residents
                if r.town == municipality
                and (who.min_age is None or r.age >= who.min_age)
                and (who.max_age is None or r.age <= who.max_age)
            ),
            key=lambda r: r.number,
        )

    def eligible(
        self,
        municipality: str,
        who: Eligibility,
        *,
        after: str | None,
        upto: str | None,
        limit: int,
    ) -> EligiblePage:
        people = [
            (r.number, r)
            for r in self._eligible(municipality, who)
            if (after is None or r.number > after) and (upto is None or r.number <= upto)
        ]
        page = people[:limit]
        return EligiblePage(
            my_number=[number for number, _ in page],
            household=[f"h-{number}" for number, _ in page],
            head=[True for _ in page],
            kana=[r.kana for _, r in page],
            age=[r.age for _, r in page],
            next=page[-1][0] if len(people) > limit else None,
        )

    def eligible_bounds(self, municipality: str, who: Eligibility, *, every: int) -> list[str]:
        return [r.number for r in self._eligible(municipality, who)][every - 1 :: every]

    def enrol(self, numbers: list[str]) -> dict[str, str | None]:
        self.enrolled.extend(numbers)
        return {n: self.codes.get(n) for n in numbers}

    def accounts(self, codes: list[str]) -> list[Account | None]:
        self._breaks(self.fail_before, "accounts")
        self.asked.append(list(codes))
        found: list[Account | None] = []
        for code in codes:
            resident = next(r for r in self.residents if r.number == self.person[code])
            if resident.account is None:
                found.append(None)
            else:
                bank, branch, number = resident.account
                found.append((bank, branch, "1", number.zfill(7)))
        return found

    def reaches(self, bank_code: str) -> bool:
        return bank_code in (MIZUHO, MUFG)

    def transfer(self, bank_code: str, file_id: str, content: bytes) -> bytes:
        """The paying bank: credits each record once per Idempotency-Key (the same key
        answers the same result file again), a closed account's record fails."""
        assert bank_code == PAYER_BANK
        self._breaks(self.fail_before, "transfer")
        self.submitted.append(file_id)
        if file_id in self.answers:
            sent, answer = self.answers[file_id]
            assert sent == content  # a resubmission is the same file, byte for byte
        else:
            file = read_file(content)
            results = []
            for t in file.transfers:
                ok = t.account_number not in self.closed
                results.append(
                    TransferResult(t, ResultCode.CREDITED if ok else ResultCode.ACCOUNT_CLOSED)
                )
                if ok:
                    self.credited.append((f"{t.bank_code}-{t.account_number}", t.amount))
            answer = write_results(file.header, results)
            self.answers[file_id] = (content, answer)
        self._breaks(self.fail_after, "transfer")  # credited, but the answer is lost
        return answer

    def notify(self, codes: list[str], messages: list[dict[str, str]]) -> tuple[str, list[bool]]:
        self._breaks(self.fail_before, "notify")
        for code, message in zip(codes, messages, strict=True):
            self.notices.append((self.person[code], message))
        self._breaks(self.fail_after, "notify")  # delivered, but the answer is lost
        return secrets.token_hex(8), [self.person[c] in self.on_portal for c in codes]


def town() -> list[Resident]:
    """Six residents of two towns: accounts at two banks, one without, one closed, a child."""
    return [
        Resident("100000000001", CHIYODA, "ヤマダ タロウ", 40, (MIZUHO, "001", "1000001")),
        Resident("100000000002", CHIYODA, "ヤマダ ハナコ", 38, (MUFG, "001", "2000002")),
        Resident("100000000003", CHIYODA, "スズキ イチロウ", 70),  # no registered account
        Resident("100000000004", CHIYODA, "タナカ ジロウ", 55, (MUFG, "002", "2000004")),
        Resident("100000000005", CHIYODA, "ヤマダ サクラ", 9, (MIZUHO, "004", "1000005")),
        Resident("100000000006", SHINJUKU, "サトウ ミカ", 29, (MIZUHO, "004", "1000006")),
    ]


@dataclass
class Office:
    engine: Engine
    programmes: Programmes
    others: Others
    runner: PaymentRun

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def programme(self, *, approved: bool = True, per: str = "person") -> str:
        made = self.programmes.create(
            self.uow(),
            name=f"臨時特別給付金 {secrets.token_hex(2)}",
            amount=AMOUNT,
            per=per,
            municipalities=list(SERVED),
            as_of=jst.today(),
            min_age=18,
            by="staff-maker",
        )
        if approved:
            self.programmes.approve(self.uow(), made["id"], by="staff-approver")
        return str(made["id"])

    def status(self, pid: str) -> dict[str, Any]:
        return self.programmes.status(self.uow(), pid)

    def instructions(self, pid: str) -> list[Any]:
        i, y = store.instructions.c, store.payees.c
        with self.uow() as conn:
            return list(
                conn.execute(
                    select(y.code, i.round, i.account_number, i.status, i.reason)
                    .join_from(store.instructions, store.payees, y.id == i.payee_id)
                    .where(i.programme_id == pid)
                    .order_by(i.round, i.account_number)
                )
            )


@pytest.fixture
def office(database, tmp_path: Path) -> Office:
    engine = database("benefits", "mynumber.orgs.benefits.migrations")
    others = Others(town())
    others.closed.add("2000004")
    others.on_portal.update({"100000000001", "100000000003", "100000000004"})
    runner = PaymentRun(
        units=partial(UnitOfWork, engine),
        clients=others,
        folder=tmp_path / "files",
        page=2,  # small pages and batches: several units of work per phase
        batch=2,
        number_key=b"k" * 32,
    )
    return Office(engine, Programmes(served=SERVED), others, runner)


def accounts_credited(office: Office) -> list[str]:
    return sorted(account for account, _ in office.others.credited)


def kinds_told(office: Office) -> dict[str, list[str]]:
    """Per My Number, the notices' titles' kind (paid / not paid / tell us)."""
    told: dict[str, list[str]] = {}
    for number, message in office.others.notices:
        kind = (
            "credited"
            if "paid" in message["title"] and "not" not in message["title"]
            else "failed"
            if "could not" in message["title"]
            else "no_account"
        )
        told.setdefault(number, []).append(kind)
    return told


def test_a_round_pays_each_eligible_adult_once_and_tells_each_payee(office):
    pid = office.programme()

    done = office.runner.run(pid)

    # five adults (the child is not eligible): four accounts, one of them closed
    assert done == {"round": 1, "instructions": 4, "notices": 5}
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]
    assert all(amount == AMOUNT for _, amount in office.others.credited)
    assert office.others.submitted == [f"{pid}-r001-{PAYER_BANK}-01"]  # one file, sent once
    status = office.status(pid)
    assert status["phase"] == "done" and status["eligible"] == 5
    assert status["payees"]["credited"] == {"count": 3, "yen": 3 * AMOUNT}
    assert status["payees"]["failed"]["count"] == 1
    assert status["payees"]["no_account"]["count"] == 1
    (written,) = status["files"]
    assert (written["count"], written["total"], written["status"]) == (4, 4 * AMOUNT, "settled")
    assert (written["credited_count"], written["credited_total"]) == (3, 3 * AMOUNT)
    assert Path(written["path"]).is_file() and Path(written["result_path"]).is_file()
    assert kinds_told(office) == {
        "100000000001": ["credited"],
        "100000000002": ["credited"],
        "100000000003": ["no_account"],
        "100000000004": ["failed"],
        "100000000006": ["credited"],
    }
    failed = next(m for n, m in office.others.notices if n == "100000000004")
    assert FAILURES["account_closed"][0] in failed["body"]
    # on Mynaportal or on paper
    assert status["notices"] == {"delivered": 3, "paper": 2}


def test_the_office_keeps_no_my_number(office):
    office.runner.run(office.programme())

    numbers = {r.number for r in office.others.residents}
    with office.uow() as conn:
        for table in store.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                assert not numbers & {str(v) for v in row}, table.name


def test_a_person_is_enrolled_once_not_once_per_programme(office):
    first = office.programme()
    office.runner.run(first)
    enrolled = sorted(office.others.enrolled)
    assert len(set(enrolled)) == len(enrolled) == 5  # the five adults, each once

    second = office.programme()
    assert office.runner.run(second)["instructions"] == 4

    # the office found every code it had; the second programme pays the same people
    assert sorted(office.others.enrolled) == enrolled
    assert [c for c, *_ in office.instructions(second)] == [
        c for c, *_ in office.instructions(first)
    ]


def test_a_file_over_the_record_limit_is_written_in_parts_each_sent_once(office):
    office.runner.max_records = 3  # as 999,999 records would be
    pid = office.programme()

    assert office.runner.run(pid)["instructions"] == 4

    assert office.others.submitted == [f"{pid}-r001-{PAYER_BANK}-01", f"{pid}-r001-{PAYER_BANK}-02"]
    written = office.status(pid)["files"]
    assert [(f["part"], f["count"]) for f in written] == [(1, 3), (2, 1)]
    # the records run on from one part to the next in the file's order
    records = [t for f in written for t in read_file(Path(f["path"]).read_bytes()).transfers]
    keys = [(t.bank_code, t.branch_code, t.account_number) for t in records]
    assert keys == sorted(keys) and len(set(keys)) == 4
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]


def test_parts_cut_for_an_engine_are_cut_the_same_when_the_run_resumes_without_it(office):
    office.runner.part_size = 2  # on an engine: parts small enough to write side by side
    pid = office.programme()

    class Stop(Exception):
        pass

    def stop_after_first_part(phase: str, done: int, total: int | None) -> None:
        if phase == "files" and done == 1:
            raise Stop

    with pytest.raises(Stop):
        office.runner.run(pid, stop_after_first_part)
    assert [f["part"] for f in office.status(pid)["files"]] == [1]
    office.runner.part_size = None  # resumed in-process: the round's parts stay as cut

    assert office.runner.run(pid)["instructions"] == 4

    written = office.status(pid)["files"]
    assert [(f["part"], f["count"]) for f in written] == [(1, 2), (2, 2)]
    assert office.others.submitted == [f"{pid}-r001-{PAYER_BANK}-01", f"{pid}-r001-{PAYER_BANK}-02"]
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]


class Recorded(InProcess):
    """The parts run in this process, as the embedded default does; the eligibility ones
    are noted, and the run stops after ``stop_after`` of them (None: it does not stop)."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.ranges: list[tuple[str, int]] = []
        self.stop_after = stop_after

    def run_parts(self, runner: PaymentRun, parts: list[Part], done: Any) -> None:
        for n, part in enumerate(parts, start=1):
            runner.run_part(part)
            if part.phase == "eligibility":
                self.ranges.append((part.after, part.number))
                if self.stop_after is not None and len(self.ranges) >= self.stop_after:
                    raise Unavailable("the coordinator was killed")
            done(n)


def test_on_an_engine_a_municipality_is_read_in_ranges_that_a_resumed_run_keeps(office):
    office.runner.part_size = 2  # on an engine: Chiyoda's four adults in ranges of two
    office.runner.partitions = Recorded(stop_after=1)
    pid = office.programme()

    with pytest.raises(Unavailable):
        office.runner.run(pid)
    assert office.status(pid)["eligible"] == 2  # the first range, read and paid for
    # resumed in-process: the ranges cut before are read, and only the ones not read yet
    office.runner.part_size = None
    office.runner.partitions = resumed = Recorded()

    assert office.runner.run(pid)["instructions"] == 4

    # the towns side by side: each town's first range, then its second …
    assert resumed.ranges == [(SHINJUKU, 0), (CHIYODA, 1), (CHIYODA, 2)]
    assert office.status(pid)["eligible"] == 5
    assert sorted(office.others.enrolled) == sorted(set(office.others.enrolled))
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]


def test_a_page_read_by_two_runs_at_once_is_written_once(office, monkeypatch):
    """A part run twice at once (a redelivered task beside the first, after a coordinator
    was killed): whichever moves the page's cursor first writes the page; the other writes
    nothing of it."""
    pid = office.programme()
    fetch = office.others.eligible
    raced: list[str] = []

    def eligible(municipality: str, who: Eligibility, **query: Any) -> EligiblePage:
        page = fetch(municipality, who, **query)
        if not raced:  # the first page: the same part runs to its end meanwhile
            raced.append(municipality)
            office.runner.run_part(Part("eligibility", pid, 1, municipality, None, 0))
        return page

    monkeypatch.setattr(office.others, "eligible", eligible)

    assert office.runner.run(pid)["instructions"] == 4

    assert raced == [CHIYODA]
    status = office.status(pid)
    assert status["eligible"] == 5
    assert sum(s["count"] for s in status["payees"].values()) == 5
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]


class Redelivered(InProcess):
    """Every part done twice, as a broker redelivers a part whose worker died just before
    acknowledging it; the phases of the parts are noted."""

    def __init__(self) -> None:
        self.phases: list[str] = []

    def run_parts(self, runner: PaymentRun, parts: list[Part], done: Any) -> None:
        for n, part in enumerate(parts, start=1):
            runner.run_part(part)
            runner.run_part(part)
            self.phases.append(part.phase)
            done(n)


@pytest.mark.parametrize("per", ["person", "household"])
def test_every_part_done_twice_pays_each_account_once(office, per):
    office.runner.max_records = 2  # the file in parts, each transferred as a part
    office.runner.partitions = twice = Redelivered()
    pid = office.programme(per=per)

    assert office.runner.run(pid)["instructions"] == 4

    assert twice.phases.count("transfers") == 2 == len(office.status(pid)["files"])
    assert {"eligibility", "files", "transfers"} <= set(twice.phases)
    # a household programme's payees: a part per town (here each adult heads a household)
    assert twice.phases.count("payees") == (len(SERVED) if per == "household" else 0)
    assert sum(s["count"] for s in office.status(pid)["payees"].values()) == 5


def test_on_an_engine_notices_are_sent_in_parts_each_once_however_often_a_part_runs(office):
    office.runner.part_size = 2  # on an engine: five notices in parts of two
    office.runner.partitions = twice = Redelivered()
    pid = office.programme()

    assert office.runner.run(pid) == {"round": 1, "instructions": 4, "notices": 5}

    assert twice.phases.count("notices") == 3
    assert kinds_told(office) == {  # each payee told once, though every part ran twice
        "100000000001": ["credited"],
        "100000000002": ["credited"],
        "100000000003": ["no_account"],
        "100000000004": ["failed"],
        "100000000006": ["credited"],
    }
    assert office.status(pid)["notices"] == {"delivered": 3, "paper": 2}
    # the second time, each file was found settled: nothing was sent again
    assert sorted(set(office.others.submitted)) == sorted(office.others.submitted)
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]
    assert office.status(pid)["instructions"]["credited"]["count"] == 3


def test_an_unapproved_programme_does_not_run_and_asks_nobody_anything(office):
    pid = office.programme(approved=False)

    with pytest.raises(NotApproved):
        office.runner.run(pid)

    assert office.status(pid)["rounds"] == []
    assert office.others.asked == [] and office.others.notices == []


@pytest.mark.parametrize(
    ("per", "phase"),
    [
        # a per-person programme asks for accounts with each eligibility page (after the
        # first town's pages, the registry goes down)
        ("person", "eligibility"),
        # a household programme's payees are made after eligibility, then asked about
        # batch by batch (after the first batch, the registry goes down)
        ("household", "accounts"),
    ],
)
def test_a_run_broken_off_between_batches_resumes_without_redoing_committed_ones(
    office, per, phase
):
    pid = office.programme(per=per)
    asked_before_break: list[list[str]] = []

    def break_after_first_batch(at: str, done: int, total: int | None) -> None:
        if at == phase and office.others.asked and not asked_before_break:
            asked_before_break.extend(office.others.asked)
            office.others.fail_before["accounts"] = 1  # the registry goes down

    with pytest.raises(Unavailable):
        office.runner.run(pid, break_after_first_batch)

    assert office.status(pid)["phase"] == phase
    # the first batch's instructions were committed before the registry went down
    instructed = {x.code for x in office.instructions(pid)}
    first = {code for codes in asked_before_break for code in codes}
    assert instructed and instructed <= first
    assert len(first) < 5  # not everybody was asked before the break
    resumed = office.runner.run(pid)

    assert resumed["round"] == 1 and resumed["instructions"] == 4
    asked_again = [c for codes in office.others.asked[len(asked_before_break) :] for c in codes]
    assert not first & set(asked_again)  # a payee asked about is not asked again
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]
    assert [x.round for x in office.instructions(pid)] == [1, 1, 1, 1]


def test_a_file_credited_at_the_bank_but_not_settled_here_is_resent_and_credited_once(office):
    pid = office.programme()
    office.others.fail_after["transfer"] = 1  # the bank credits, its answer is lost

    with pytest.raises(Unavailable):
        office.runner.run(pid)
    assert office.status(pid)["phase"] == "transfers"
    assert len(office.others.credited) == 3

    office.runner.run(pid)

    key = f"{pid}-r001-{PAYER_BANK}-01"
    assert office.others.submitted == [key, key]  # the same Idempotency-Key twice
    assert accounts_credited(office) == ["0001-1000001", "0001-1000006", "0005-2000002"]
    assert office.status(pid)["payees"]["credited"]["count"] == 3


def test_notices_whose_delivery_was_not_confirmed_are_sent_again_under_the_same_refs(office):
    pid = office.programme()
    office.others.fail_after["notify"] = 1  # the hub delivered, its answer is lost

    with pytest.raises(Unavailable):
        office.runner.run(pid)
    assert office.status(pid)["phase"] == "notices"
    office.runner.run(pid)

    refs = [m["ref"] for _, m in office.others.notices]
    assert len(refs) == 10 and len(set(refs)) == 5  # each twice: the portal keeps it once
    assert all(ref.startswith(f"{pid}:1:") for ref in refs)
    assert office.status(pid)["notices"] == {"delivered": 3, "paper": 2}
    assert len(office.others.credited) == 3  # nothing paid again


def test_a_second_run_while_one_holds_the_round_is_refused(office):
    pid = office.programme()
    refused: list[errors.Conflict] = []

    def start_another(phase: str, done: int, total: int | None) -> None:
        if phase == "payees" and not refused:
            with pytest.raises(errors.Conflict) as conflict:
                office.runner.run(pid)
            refused.append(conflict.value)

    office.runner.run(pid, start_another)

    assert refused[0].code == "running"
    assert office.status(pid)["phase"] == "done"


def test_a_later_round_pays_those_who_applied_with_an_account_and_nobody_else(office):
    pid = office.programme()
    office.runner.run(pid)
    codes = office.others.codes
    applications = BenefitApplications()
    account = {"bank_code": MUFG, "branch_code": "001", "deposit_type": "1"}

    accepted = applications.receive(
        office.uow(),
        "delivery-1",
        [
            codes["100000000003"],
            codes["100000000004"],
            codes["100000000005"],
            codes["100000000001"],
        ],
        [
            {"programme": pid, "choice": "account", "account": account | {"account_number": "3"}},
            {"programme": pid, "choice": "account", "account": account | {"account_number": "4"}},
            # the child is no payee; an account outside the Zengin list is no account
            {"programme": pid, "choice": "account", "account": account | {"account_number": "5"}},
            {"programme": pid, "choice": "account", "account": account | {"branch_code": "999"}},
        ],
    )
    assert accepted == [True, True, False, False]
    second = office.runner.run(pid)

    assert second == {"round": 2, "instructions": 2, "notices": 2}
    paid_in_round_2 = [(x.code, x.status) for x in office.instructions(pid) if x.round == 2]
    assert sorted(paid_in_round_2) == sorted(
        [(codes["100000000003"], "credited"), (codes["100000000004"], "credited")]
    )
    assert accounts_credited(office) == [
        "0001-1000001",
        "0001-1000006",
        "0005-0000003",
        "0005-0000004",
        "0005-2000002",
    ]
    assert office.status(pid)["payees"]["credited"] == {"count": 5, "yen": 5 * AMOUNT}
    # everyone is paid or told: a third round finds nothing and leaves no trace
    assert office.runner.run(pid) == {"round": None, "instructions": 0, "notices": 0}
    assert [r["number"] for r in office.status(pid)["rounds"]] == [1, 2]


def test_an_eligibility_page_that_is_not_one_is_refused():
    good = {"my_number": ["1"], "household": ["h"], "head": [True], "kana": ["ｱ"], "age": [30]}
    page = EligiblePage.of({"people": good, "next": None})
    assert (page.my_number, page.age, page.next) == (["1"], [30], None)
    for broken in (
        {"people": good | {"age": [30, 31]}},  # columns of unequal length
        {"people": {k: v for k, v in good.items() if k != "kana"}},  # a column missing
        {"people": good | {"age": ["thirty"]}},
        {"people": [good]},  # rows, not columns
        {"next": None},
    ):
        with pytest.raises(errors.Unavailable):
            EligiblePage.of(broken)
