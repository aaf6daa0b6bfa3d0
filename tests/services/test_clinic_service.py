"""A clinic's reception use cases on its own database: a confirmation's 照会番号 is kept with
how the person was identified (never the answer or the patient), nothing is kept when the
system names none or refuses, and only a pharmacy submits dispensing claims. The
eligibility system is a recording fake answering as its routes do. No federation is built."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from servicekit import Clock
from sqlalchemy import select

from mynumber import errors
from mynumber.orgs.clinic import store
from mynumber.orgs.clinic.model import institution
from mynumber.orgs.clinic.schemas import ReaderResultIn
from mynumber.orgs.clinic.services import Reception
from mynumber.platform.eligibility_wire import BatchIn, ClaimIn, ReferenceIn
from mynumber.platform.uow import UnitOfWork

CLINIC, PHARMACY = "1311234567", "1341234568"
ANSWER = b"<?xml version='1.0'?><XmlMsg><MessageBody>ok</MessageBody></XmlMsg>"


class Oqs:
    """The eligibility system: the next reference number it gives, what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []
        self.references = iter(["R0000000000001", "R0000000000002"])
        self.refuse: errors.Error | None = None

    def request(self, method: str, path: str, payload: Any = None) -> Any:
        self.asked.append((path, payload))
        if self.refuse is not None:
            raise self.refuse
        return {
            "/api/challenges": {"challenge_id": "c1", "nonce": "bm9uY2U="},
            "/api/registrations/reader": {"registered": True, "has_records": False},
            "/api/confirmations/batch": {
                "answers": ["<a/>"] * len((payload or {}).get("requests", []))
            },
            "/api/drugs": {"drugs": []},
            "/api/claims": {"taken": len((payload or {}).get("drugs", []))},
        }[path]

    def xml(self, path: str, *, json: Any = None, content: bytes | None = None) -> httpx.Response:
        self.asked.append((path, json if json is not None else content))
        if self.refuse is not None:
            raise self.refuse
        headers = {}
        if path == "/api/confirmations":
            reference = next(self.references, "")
            if reference:
                headers["X-Reference-Number"] = reference
        return httpx.Response(200, content=ANSWER, headers=headers)


@pytest.fixture
def oqs() -> Oqs:
    return Oqs()


@pytest.fixture
def work(database) -> UnitOfWork:
    return UnitOfWork(database(f"clinic-{CLINIC}", "mynumber.orgs.clinic.migrations"))


@pytest.fixture
def reception(oqs, clock) -> Reception:
    return Reception(institution=institution(CLINIC), oqs=oqs, clock=clock)


def reader(mode: str = "face") -> ReaderResultIn:
    return ReaderResultIn(mode=mode, certificate="MIIB", face_score=0.93)  # type: ignore[arg-type]


def kept(work: UnitOfWork) -> list[tuple[str, str, dt.datetime]]:
    c = store.confirmations.c
    with work as conn:
        return [tuple(r) for r in conn.execute(select(c.reference, c.mode, c.at).order_by(c.at))]  # type: ignore[misc]


def test_a_confirmation_keeps_its_reference_number_and_mode_and_returns_the_answer(
    reception, oqs, work, clock: Clock
) -> None:
    first = reception.confirm(work, reader("face"))
    clock.advance(dt.timedelta(minutes=3))
    second = reception.confirm(work, reader("visual"))

    assert (first.xml, first.reference) == (ANSWER, "R0000000000001")
    assert second.reference == "R0000000000002"
    start = clock() - dt.timedelta(minutes=3)
    assert kept(work) == [
        ("R0000000000001", "face", start),
        ("R0000000000002", "visual", clock()),
    ]
    path, sent = oqs.asked[0]
    assert path == "/api/confirmations" and sent["mode"] == "face" and sent["face_score"] == 0.93


def test_nothing_is_kept_without_a_reference_or_when_the_system_refuses(
    reception, oqs, work
) -> None:
    oqs.references = iter([])
    answered = reception.confirm(work, reader("pin"))
    assert (answered.xml, answered.reference) == (ANSWER, "")

    oqs.refuse = errors.Forbidden("the card is suspended", code="card_suspended")
    with pytest.raises(errors.Forbidden):
        reception.confirm(work, reader("pin"))
    assert kept(work) == []


def test_only_a_pharmacy_submits_dispensing_claims(oqs, work, clock) -> None:
    claim = ClaimIn.model_validate(
        {
            "reference_number": "R0000000000001",
            "drugs": [
                {
                    "dispensed_on": "2025-04-01",
                    "drug": "ロキソプロフェン",
                    "quantity": "3錠",
                    "days": 5,
                }
            ],
        }
    )
    clinic = Reception(institution=institution(CLINIC), oqs=oqs, clock=clock)
    with pytest.raises(errors.Forbidden) as refused:
        clinic.claim(claim)
    assert refused.value.code == "not_pharmacy" and oqs.asked == []

    pharmacy = Reception(institution=institution(PHARMACY), oqs=oqs, clock=clock)
    assert pharmacy.claim(claim).taken == 1
    assert [path for path, _ in oqs.asked] == ["/api/claims"]


def test_the_other_questions_pass_to_the_system_and_keep_nothing(reception, oqs, work) -> None:
    assert reception.challenge().challenge_id == "c1"
    assert reception.register(reader("pin")).registered
    assert reception.by_insurance(b"<q/>") == ANSWER
    assert reception.reference(b"<r/>") == ANSWER
    assert reception.batch(BatchIn(requests=["<q/>", "<q/>"])).answers == ["<a/>", "<a/>"]
    assert reception.drugs(ReferenceIn(reference_number="R0000000000001")).drugs == []
    assert [path for path, _ in oqs.asked] == [
        "/api/challenges",
        "/api/registrations/reader",
        "/api/confirmations/insurance",
        "/api/reference-numbers",
        "/api/confirmations/batch",
        "/api/drugs",
    ]
    assert kept(work) == []
