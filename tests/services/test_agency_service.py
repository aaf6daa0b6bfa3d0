"""A provider agency's use cases on its own database, in a unit of work the test makes: intake
with the My Numbers people gave (enrolled once for the agency's codes, then dropped), what
its intermediate server answers for a code, signed and sealed to the requester. J-LIS is a
function handing out codes; the keys are real; no federation is built."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from mynumber import errors
from mynumber.orgs.pension.app import AGENCY as PENSION
from mynumber.orgs.pension.app import Member
from mynumber.orgs.tax import store as tax_store
from mynumber.orgs.tax.app import AGENCY as TAX
from mynumber.orgs.tax.app import Filing
from mynumber.platform.agency import ProviderAgency
from mynumber.platform.encryption import EncryptionKeys, open_signed
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.wire import ProvideIn

REQUESTER = "municipality-131016"
RETIRED = "000000000000"  # a number J-LIS does not know as a current My Number


class Jlis:
    """J-LIS's enrolment as an agency calls it: the agency's code per current My Number."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.asked: list[list[str]] = []

    def request(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        assert (method, path) == ("POST", "/linkage/enrol")
        self.asked.append(list(body["numbers"]))
        return {
            "codes": [
                None if n == RETIRED else self.codes.setdefault(n, secrets.token_hex(13))
                for n in body["numbers"]
            ]
        }


@pytest.fixture
def keys(tmp_path) -> EncryptionKeys:
    keys = EncryptionKeys(tmp_path / "keys")
    keys.ensure(REQUESTER)
    return keys


@pytest.fixture
def jlis() -> Jlis:
    return Jlis()


def agency_of(spec, jlis: Jlis, keys: EncryptionKeys) -> ProviderAgency:
    server = IntermediateServer(
        org=spec.org, items=frozenset(spec.projections), jlis=jlis, keys=keys
    )
    return ProviderAgency(spec, server=server)


@pytest.fixture
def tax(jlis, keys) -> ProviderAgency:
    return agency_of(TAX, jlis, keys)


@pytest.fixture
def tax_uow(database) -> UnitOfWork:
    return UnitOfWork(database("tax", TAX.migrations))


def number() -> str:
    return str(secrets.randbelow(10**12)).zfill(12)


def test_filings_taken_are_answered_by_the_agencys_code(tax, tax_uow, jlis):
    first, second = number(), number()
    filings = [
        Filing(my_number=first, year=2023, income_yen=3_000_000),
        Filing(my_number=first, year=2024, income_yen=3_500_000),
        Filing(my_number=second, year=2024, income_yen=5_000_000),
        Filing(my_number=RETIRED, year=2024, income_yen=1),
    ]

    assert tax.take(tax_uow, filings) == (3, 1)  # each filing counts; the retired one nowhere

    code = jlis.codes[first]
    assert tax.data_for(tax_uow, code, frozenset({"income"})) == {
        "income": [
            {"year": 2024, "income_yen": 3_500_000},
            {"year": 2023, "income_yen": 3_000_000},
        ]
    }
    assert tax.data_for(tax_uow, "nobody-has-this-code", frozenset({"income"})) is None
    assert tax.health(tax_uow) == {"org": "tax", "ok": True, "taxpayers": 2}


def test_a_later_filing_for_the_same_year_replaces_the_earlier(tax, tax_uow, jlis):
    mine = number()
    tax.take(tax_uow, [Filing(my_number=mine, year=2024, income_yen=1_000_000)])
    tax.take(tax_uow, [Filing(my_number=mine, year=2024, income_yen=1_200_000)])

    got = tax.data_for(tax_uow, jlis.codes[mine], frozenset({"income"}))

    assert got == {"income": [{"year": 2024, "income_yen": 1_200_000}]}
    with tax_uow as conn:
        assert conn.scalar(select(func.count()).select_from(tax_store.incomes)) == 1


def test_the_answer_is_signed_by_the_agency_and_sealed_to_the_requester(tax, tax_uow, jlis, keys):
    mine = number()
    tax.take(tax_uow, [Filing(my_number=mine, year=2024, income_yen=4_200_000)])
    request = ProvideIn(
        exchange_id="ex-1",
        code=jlis.codes[mine],
        requester=REQUESTER,
        procedure="child_allowance_claim",
        items=["income"],
    )

    sealed = tax.provide(tax_uow, request)

    opened = open_signed(
        keys,
        sealed,
        recipient=REQUESTER,
        signer="tax",
        exchange_id="ex-1",
        procedure="child_allowance_claim",
    )
    assert opened == {"income": [{"year": 2024, "income_yen": 4_200_000}]}
    with pytest.raises(errors.NotFound):
        tax.provide(tax_uow, request.model_copy(update={"code": "x" * 26}))


def test_the_newest_record_per_person_wins_and_the_callback_reads_in_the_same_database(
    database, jlis, keys
):
    seen: list[tuple[int, int]] = []

    def after(uow: UnitOfWork, known: list[tuple[str, Any]]) -> None:
        with uow as conn:  # written and committed before the callback runs
            count = conn.scalar(select(func.count()).select_from(PENSION.members))
        seen.append((len(known), int(count or 0)))

    spec = replace(PENSION, intake=replace(PENSION.intake, after=after))
    pension = agency_of(spec, jlis, keys)
    uow = UnitOfWork(database("pension", PENSION.migrations))
    mine = number()

    taken = pension.take(
        uow,
        [
            Member(my_number=mine, category="1", contribution_months=100),
            Member(my_number=mine, category="1", contribution_months=120),
        ],
    )

    assert taken == (1, 0)
    assert seen == [(2, 1)]
    got = pension.data_for(uow, jlis.codes[mine], frozenset({"pension"}))
    assert got == {
        "pension": {"category": "1", "contribution_months": 120, "annual_benefit_yen": None}
    }
