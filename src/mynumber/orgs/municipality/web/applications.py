"""Staff pages of the e-applications under ``/applications/``: list, review, income,
decide (see :mod:`mynumber.orgs.municipality.services.applications`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynumber import errors
from mynumber.orgs.municipality.model import CARE_LEVELS, KINDS, STATUS, Municipality
from mynumber.orgs.municipality.services.applications import MunicipalityApplications
from mynumber.orgs.municipality.web.deps import (
    TEMPLATES,
    ApplicationDecider,
    ApplicationReader,
    IncomeReader,
)
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import status_of, templates_for
from mynumber.platform.web.uow import Work


def page_router(
    service: MunicipalityApplications, municipality: Municipality, staff: Staff
) -> APIRouter:
    """Staff pages under ``/applications/`` (reviewers; CSRF with the staff session)."""
    web = APIRouter(include_in_schema=False)
    templates = templates_for(TEMPLATES)

    def page(
        request: Request, name: str, acting: Acting, status: int = 200, **values: Any
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            name,
            {
                "m": municipality,
                "csrf": acting.session.csrf,
                "staff": acting.session,
                "kinds": KINDS,
                "statuses": STATUS,
                "care_levels": CARE_LEVELS,
                **values,
            },
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )

    @web.get("/applications/", response_class=HTMLResponse)
    def index(
        request: Request,
        acting: ApplicationReader,
        uow: Work,
        status: Annotated[str, Query(max_length=20)] = "",
        kind: Annotated[str, Query(max_length=40)] = "",
    ) -> HTMLResponse:
        """電子申請の一覧: filter by status and procedure."""
        found = service.search(uow, status=status or None, kind=kind or None)
        return page(
            request,
            "applications.html",
            acting,
            applications=found,
            counts=service.counts(uow),
            status_filter=status,
            kind_filter=kind,
        )

    def detail(
        uow: UnitOfWork,
        request: Request,
        own_id: str,
        acting: Acting,
        error: errors.Error | None = None,
    ) -> HTMLResponse:
        application = service.get(uow, own_id)
        staff.log(
            acting,
            action="applications.read",
            purpose=f"application:{own_id}",
            person=application["resident_id"],
        )
        checks = service.child_checks(uow, application)
        log_household_read(acting, own_id, application, [c.resident_id for c in checks])
        return page(
            request,
            "application.html",
            acting,
            status=status_of(error) if error else 200,
            a=application,
            child_checks=checks,
            error=error.message if error else None,
        )

    def log_household_read(
        acting: Acting, own_id: str, application: dict[str, Any], read: list[str | None]
    ) -> None:
        """The claimed children looked up on the registry: a staff read of each person
        found, for the application (shown to them on Mynaportal)."""
        for person in dict.fromkeys(p for p in read if p):
            staff.log(
                acting,
                action="households.read",
                purpose=f"application:{own_id}",
                person=person,
                detail={"household": application["resident"].household_id},
            )

    @web.get("/applications/{own_id}", response_class=HTMLResponse)
    def show(request: Request, own_id: str, acting: ApplicationReader, uow: Work) -> HTMLResponse:
        """One application: the form, the signature's verdict, income, the decision."""
        return detail(uow, request, own_id, acting)

    @web.post("/applications/{own_id}/income", response_model=None)
    def income(request: Request, own_id: str, acting: IncomeReader, uow: Work) -> Response:
        """所得を照会: the claimant's income from the tax office, through the hub."""
        try:
            application = service.fetch_income(uow, own_id)
        except errors.NotFound as exc:
            if exc.code == "application_not_found":
                raise
            return detail(uow, request, own_id, acting, exc)
        except errors.Error as exc:
            return detail(uow, request, own_id, acting, exc)
        staff.log(
            acting,
            action="linkage.income",
            purpose=f"application:{own_id}",
            person=application["resident_id"],
        )
        return RedirectResponse(f"../{own_id}", status_code=303)

    @web.post("/applications/{own_id}/decide", response_model=None)
    def decide(
        request: Request,
        own_id: str,
        acting: ApplicationDecider,
        decision: Annotated[str, Form(max_length=20)],
        uow: Work,
        reason: Annotated[str, Form(max_length=2000)] = "",
        override: Annotated[str, Form(max_length=2000)] = "",
        care_level: Annotated[str, Form(max_length=10)] = "",
        months: Annotated[str, Form(max_length=3, pattern="^[0-9]*$")] = "",
    ) -> Response:
        """決定: approve, reject or return; the decision is delivered to the portal. An
        approval with a child check failing needs ``override``, the reason (recorded); an
        approval of a 要介護・要支援認定 needs ``care_level`` (and ``months`` of validity if
        not the usual): the 認定 is written on the insured person and the notice says it."""
        try:
            application = service.decide(
                uow,
                own_id,
                decision,
                reason,
                override=override,
                care_level=care_level,
                months=int(months) if months else None,
            )
        except errors.NotFound:
            raise
        except errors.Error as exc:
            return detail(uow, request, own_id, acting, exc)
        staff.log(
            acting,
            action="applications.decide",
            purpose=f"application:{own_id}",
            person=application["resident_id"],
            detail={"decision": decision, "override": bool(application["override_reason"])},
        )
        log_household_read(acting, own_id, application, application["read"])
        return RedirectResponse(f"../{own_id}", status_code=303)

    return web
