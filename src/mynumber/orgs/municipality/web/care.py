"""介護保険 被保険者 at the counter: the municipality registers an insured person (資格取得)
with their 10-digit 被保険者番号; the 認定 comes from the review of the e-application."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from mynumber.orgs.municipality.schemas import CareInsuredIn, CareInsuredOut
from mynumber.orgs.municipality.services import care
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web.uow import Work

CareClerk = Annotated[Acting, Depends(staff_permission("care.record"))]


def router(staff: Staff) -> APIRouter:
    api = APIRouter(tags=["care insurance"])

    @api.post("/api/care-insured", response_model=CareInsuredOut, status_code=201)
    def register(body: CareInsuredIn, acting: CareClerk, uow: Work) -> Any:
        """介護保険 資格取得: the resident is insured here under the number (第1号 or 第2号 by
        their age on ``qualified_on``; under 40 is refused, a number of another resident
        too)."""
        done = care.register_insured(
            uow,
            body.resident_id,
            body.insured_number,
            body.qualified_on,
            now=dt.datetime.now(dt.UTC),
        )
        staff.log(acting, action="care.register", purpose="counter", person=body.resident_id)
        return done

    return api
