"""介護保険's plain rules at the municipality: the insured categories by age and the
認定有効期間 of a decision."""

from __future__ import annotations

import datetime as dt

import pytest

from mynumber.errors import InvalidInput
from mynumber.orgs.municipality.model import care_category, care_level, care_notice, care_period

D = dt.date.fromisoformat


def test_categories_by_age() -> None:
    born = D("1961-04-02")
    assert care_category(born, D("2026-04-01")) == "2"  # 64
    assert care_category(born, D("2026-04-02")) == "1"  # 65
    assert care_category(D("1986-04-02"), D("2026-04-02")) == "2"  # 40
    with pytest.raises(InvalidInput):
        care_category(D("1986-04-02"), D("2026-04-01"))  # 39


@pytest.mark.parametrize(
    ("request_kind", "applied", "months", "ends"),
    [
        ("new", "2026-12-04", None, "2027-06-30"),
        ("change", "2026-01-31", None, "2026-07-31"),
        ("renewal", "2026-12-04", None, "2027-12-31"),
        ("new", "2026-12-04", 3, "2027-03-31"),
        ("new", "2026-12-04", 12, "2027-12-31"),
        ("renewal", "2026-12-04", 48, "2030-12-31"),
        ("new", "2026-08-15", 4, "2026-12-31"),
    ],
)
def test_the_period_runs_to_the_end_of_the_month(request_kind, applied, months, ends) -> None:
    assert care_period(request_kind, D(applied), months) == (D(applied), D(ends))


def test_out_of_bounds_periods_levels_and_requests_are_refused() -> None:
    for kind, months in (("new", 2), ("new", 13), ("change", 13), ("renewal", 49)):
        with pytest.raises(InvalidInput):
            care_period(kind, D("2026-12-04"), months)
    with pytest.raises(InvalidInput):
        care_period("other", D("2026-12-04"))
    with pytest.raises(InvalidInput):
        care_level("care6")
    assert "要支援1" in care_notice("support1", (D("2026-12-04"), D("2027-06-30")))
    assert "非該当" in care_notice("none", (D("2026-12-04"), D("2027-06-30")))
