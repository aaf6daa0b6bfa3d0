"""The municipality's linkage routes: enrolment, resident taxes, income through the hub,
exchange records, and the intermediate server's ``POST /intermediate/provide`` (see
:mod:`mynumber.orgs.municipality.services.linkage`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases

from collections.abc import Callable

from fastapi import APIRouter

from mynumber.orgs.municipality.schemas import EnrolIn, EnrolOut, IncomeOut, ResidentTaxesIn
from mynumber.orgs.municipality.services.linkage import Linkage
from mynumber.orgs.municipality.web.deps import (
    Enroller,
    IncomeReader,
    LinkageReader,
    Purpose,
    TaxClerk,
    why,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.intermediate import provide_router
from mynumber.platform.web.uow import Work
from mynumber.platform.wire import ExchangeRecord


def router(
    ctx: OrgContext, *, linkage: Linkage, staff: Staff, unit: Callable[[], UnitOfWork]
) -> APIRouter:
    """The linkage routes of staff, and the intermediate server's answer to the hub (in a
    unit of work ``unit`` makes)."""
    api = APIRouter(tags=["linkage"])

    @api.post("/api/linkage/enrol", response_model=EnrolOut)
    def enrol(body: EnrolIn, acting: Enroller, uow: Work) -> EnrolOut:
        """機関別符号の取得 for residents (all active ones not yet enrolled by default)."""
        enrolled = linkage.enrol(uow, body.resident_ids)
        staff.log(
            acting, action="linkage.enrol", purpose="correction", detail={"enrolled": enrolled}
        )
        return EnrolOut(enrolled=enrolled)

    @api.post("/api/linkage/resident-taxes")
    def set_resident_taxes(body: ResidentTaxesIn, acting: TaxClerk, uow: Work) -> dict[str, int]:
        """住民税 assessments (the municipality's own data the intermediate server answers)."""
        recorded = linkage.set_resident_taxes(uow, body.records)
        staff.log(
            acting, action="taxes.record", purpose="correction", detail={"recorded": recorded}
        )
        return {"recorded": recorded}

    @api.post("/api/residents/{resident_id}/linkage/income", response_model=IncomeOut)
    def income(
        resident_id: str, acting: IncomeReader, uow: Work, purpose: Purpose = None
    ) -> IncomeOut:
        """児童手当 認定請求: ask the tax office for the resident's income, through the hub."""
        answer = linkage.income_for_child_allowance(uow, resident_id)
        staff.log(acting, action="linkage.income", purpose=why(acting, purpose), person=resident_id)
        return answer

    @api.get("/api/residents/{resident_id}/linkage/records", response_model=list[ExchangeRecord])
    def records(
        resident_id: str, acting: LinkageReader, uow: Work, purpose: Purpose = None
    ) -> list[ExchangeRecord]:
        """Every exchange about the resident, as the hub recorded it."""
        found = linkage.records(uow, resident_id)
        staff.log(
            acting, action="linkage.records", purpose=why(acting, purpose), person=resident_id
        )
        return found

    api.include_router(provide_router(ctx, lambda request: linkage.provide(unit(), request)))

    return api
