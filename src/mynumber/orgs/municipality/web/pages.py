"""The registry's staff pages: the list, the registration form, one record (once the
purpose is given), move out and death."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynumber import errors, jst
from mynumber.orgs.municipality.model import (
    MUNICIPALITIES,
    PURPOSE_PATTERN,
    PURPOSES,
    RELATIONSHIPS,
    Sex,
)
from mynumber.orgs.municipality.schemas import RegisterIn
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.municipality.web.deps import (
    MAX_OFFSET,
    PAGE_SIZE,
    TEMPLATES,
    DeathRecorder,
    Mover,
    Reader,
    Registrar,
    why,
)
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import status_of, templates_for
from mynumber.platform.web.uow import Work


def router(registry: ResidentRegistry, staff: Staff) -> APIRouter:
    """The staff pages of the registry: list, register, one record, move, death."""
    router = APIRouter(include_in_schema=False)
    templates = templates_for(TEMPLATES)
    m = registry.municipality
    others = [  # the municipalities this deployment serves: where a move can go
        x for x in MUNICIPALITIES.values() if x.code != m.code and registry.peer(x.code).reachable()
    ]
    common = {"m": m, "sexes": list(Sex), "relationships": RELATIONSHIPS, "others": others}

    def page(
        request: Request,
        name: str,
        acting: Acting,
        http_status: int = 200,
        **values: object,
    ) -> HTMLResponse:
        context = {**common, "csrf": acting.session.csrf, "staff": acting.session, **values}
        return templates.TemplateResponse(
            request,
            name,
            context,
            status_code=http_status,
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        acting: Reader,
        uow: Work,
        q: Annotated[str, Query(max_length=100)] = "",
        status: Annotated[str, Query(pattern="^(active|moving|moved_out|deceased)?$")] = "active",
        page_no: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
    ) -> HTMLResponse:
        total, found = registry.search(
            uow, query=q, status=status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        staff.log(
            acting,
            action="residents.search",
            purpose="search",
            detail={"q": q, "status": status, "shown": len(found)},
        )
        return page(
            request,
            "list.html",
            acting,
            residents=found,
            total=total,
            q=q,
            status=status,
            page_no=page_no,
        )

    @router.get("/register", response_class=HTMLResponse)
    def register_form(
        request: Request, acting: Registrar, household_id: Annotated[str, Query(max_length=16)] = ""
    ) -> HTMLResponse:
        return page(
            request, "register.html", acting, form={"household_id": household_id}, error=None
        )

    @router.post("/register", response_model=None)
    def register(
        request: Request,
        acting: Registrar,
        family_name: Annotated[str, Form()],
        given_name: Annotated[str, Form()],
        family_name_kana: Annotated[str, Form()],
        given_name_kana: Annotated[str, Form()],
        birth_date: Annotated[str, Form()],
        sex: Annotated[str, Form()],
        uow: Work,
        address: Annotated[str, Form()] = "",
        household_id: Annotated[str, Form()] = "",
        relationship: Annotated[str, Form()] = "世帯主",
        reason: Annotated[str, Form()] = "birth",
    ) -> Response:
        form = {
            "family_name": family_name,
            "given_name": given_name,
            "family_name_kana": family_name_kana,
            "given_name_kana": given_name_kana,
            "birth_date": birth_date,
            "sex": sex,
            "address": address,
            "household_id": household_id,
            "relationship": relationship,
            "reason": reason,
        }
        try:
            body = RegisterIn.model_validate(
                {**form, "household_id": household_id or None, "address": address or None}
            )
            if body.household_id:
                address = registry.household(uow, body.household_id).address
            resident = registry.register(
                uow,
                items=body.items(address),
                household_id=body.household_id,
                relationship=body.relationship,
                reason=body.reason,
            )
        except errors.Error as exc:
            return page(
                request, "register.html", acting, status_of(exc), form=form, error=exc.message
            )
        except ValueError as exc:
            return page(request, "register.html", acting, 422, form=form, error=_first_error(exc))
        staff.log(acting, action="residents.register", purpose="counter", person=resident.id)
        return RedirectResponse(
            f"residents/{resident.id}?registered=1&purpose=counter", status_code=303
        )

    @router.get("/residents/{resident_id}", response_class=HTMLResponse)
    def resident_page(
        request: Request,
        resident_id: str,
        acting: Reader,
        uow: Work,
        purpose: Annotated[str | None, Query(pattern=PURPOSE_PATTERN, max_length=60)] = None,
    ) -> HTMLResponse:
        """One record, once the purpose is given (asked first, recorded, shown to the person)."""
        if purpose is None:
            registry.get(uow, resident_id)  # 404 before asking why
            return page(request, "purpose.html", acting, resident_id=resident_id, purposes=PURPOSES)
        return resident(uow, request, resident_id, acting, purpose)

    def resident(
        uow: UnitOfWork,
        request: Request,
        resident_id: str,
        acting: Acting,
        purpose: str,
        error: errors.Error | None = None,
    ) -> HTMLResponse:
        person = registry.get(uow, resident_id)
        staff.log(acting, action="residents.read", purpose=why(acting, purpose), person=resident_id)
        return page(
            request,
            "resident.html",
            acting,
            status_of(error) if error else 200,
            r=person,
            household=registry.household(uow, person.household_id),
            history=registry.history(uow, resident_id),
            error=error.message if error else None,
            registered=request.query_params.get("registered"),
            purpose=why(acting, purpose),
            today=jst.today(),
        )

    @router.post("/residents/{resident_id}/move", response_model=None)
    def move(
        request: Request,
        resident_id: str,
        acting: Mover,
        to: Annotated[str, Form()],
        address: Annotated[str, Form()],
        uow: Work,
        whole_household: Annotated[bool, Form()] = False,
    ) -> Response:
        try:
            moved = registry.move_out(
                uow, resident_id, to=to, address=address, whole_household=whole_household
            )
        except errors.Error as exc:
            return resident(uow, request, resident_id, acting, "counter", error=exc)
        for person in moved:
            staff.log(
                acting,
                action="residents.move_out",
                purpose="counter",
                person=person.id,
                detail={"to": to},
            )
        return RedirectResponse(f"../{resident_id}?purpose=counter", status_code=303)

    @router.post("/residents/{resident_id}/death", response_model=None)
    def death(
        request: Request,
        resident_id: str,
        acting: DeathRecorder,
        died_on: Annotated[date, Form()],
        uow: Work,
    ) -> Response:
        try:
            registry.record_death(uow, resident_id, died_on=died_on)
        except errors.Error as exc:
            return resident(uow, request, resident_id, acting, "counter", error=exc)
        staff.log(acting, action="residents.death", purpose="counter", person=resident_id)
        return RedirectResponse(f"../{resident_id}?purpose=counter", status_code=303)

    return router


def _first_error(exc: ValueError) -> str:
    errors_of = getattr(exc, "errors", None)
    if callable(errors_of):
        first = errors_of()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)
