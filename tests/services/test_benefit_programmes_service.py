"""The benefit office's programmes on its own database: a programme runs only once another
staff member than its maker approved it (four eyes), and its terms are checked when made."""

from __future__ import annotations

from datetime import date

import pytest

from mynumber import errors
from mynumber.orgs.benefits.model import NotApproved, OwnProgramme
from mynumber.orgs.benefits.services import Programmes
from mynumber.platform.uow import UnitOfWork

SERVED = ("131016", "131041")


@pytest.fixture
def uow(database) -> UnitOfWork:
    return UnitOfWork(database("benefits", "mynumber.orgs.benefits.migrations"))


@pytest.fixture
def programmes() -> Programmes:
    return Programmes(served=SERVED)


def make(
    programmes: Programmes,
    uow: UnitOfWork,
    *,
    by: str = "staff-maker",
    name: str = "子育て応援給付金",
) -> str:
    made = programmes.create(
        uow,
        name=name,
        amount=50_000,
        per="person",
        municipalities=["131016"],
        as_of=date(2026, 1, 1),
        max_age=17,
        by=by,
    )
    return str(made["id"])


def test_a_new_programme_may_not_run_until_approved(programmes, uow):
    pid = make(programmes, uow)

    assert programmes.get(uow, pid)["approved"] is False
    with pytest.raises(NotApproved):
        programmes.require_approved(uow, pid)


def test_its_maker_may_not_approve_a_programme_but_another_staff_member_may(programmes, uow):
    pid = make(programmes, uow)

    with pytest.raises(OwnProgramme):
        programmes.approve(uow, pid, by="staff-maker")
    assert programmes.get(uow, pid)["approved"] is False

    approved = programmes.approve(uow, pid, by="staff-approver")
    assert (approved["approved"], approved["approved_by"]) == (True, "staff-approver")
    assert programmes.require_approved(uow, pid)["id"] == pid


def test_approving_an_approved_programme_changes_nothing(programmes, uow):
    pid = make(programmes, uow)
    first = programmes.approve(uow, pid, by="staff-approver")

    again = programmes.approve(uow, pid, by="staff-other")

    assert again == first


def test_a_programme_name_is_taken_once_and_unknown_programmes_are_not_found(programmes, uow):
    make(programmes, uow)
    with pytest.raises(errors.Conflict):
        make(programmes, uow, by="staff-other")
    with pytest.raises(errors.NotFound):
        programmes.approve(uow, "nosuchprogramme", by="staff-approver")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"municipalities": ["271004"]}, "municipality"),  # not served by this deployment
        ({"amount": 0}, "amount"),
        ({"per": "family"}, "per"),
        ({"as_of": date(2999, 1, 1)}, "as_of"),
    ],
)
def test_a_programme_with_bad_terms_is_refused_and_nothing_is_kept(programmes, uow, change, field):
    terms = {
        "name": "臨時給付金",
        "amount": 100_000,
        "per": "household",
        "municipalities": ["131016"],
        "as_of": date(2026, 1, 1),
        "by": "staff-maker",
    }
    with pytest.raises(errors.InvalidInput) as refused:
        programmes.create(uow, **(terms | change))

    assert refused.value.field == field
    assert programmes.all(uow) == []
