"""The benefit office's routes: the staff's programme API and pages, Mynaportal's view of a
programme, the hub's deliveries of applications, and a health report. Each route parses,
is authorised (:mod:`.deps`), and calls a service in the request's unit of work
(``uow: Work``)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from mynumber.orgs.benefits.deps import PURPOSE, Approver, FromPortal, Planner, Reader, Runner
from mynumber.orgs.benefits.model import ORG
from mynumber.orgs.benefits.run import Rounds
from mynumber.orgs.benefits.schemas import ProgrammeIn
from mynumber.orgs.benefits.services import Programmes
from mynumber.platform.context import OrgContext
from mynumber.platform.deliveries import Receivers
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import templates_for
from mynumber.platform.web.deliveries import receiver_router
from mynumber.platform.web.uow import Work


def router(
    ctx: OrgContext,
    *,
    programmes: Programmes,
    rounds: Rounds,
    receivers: Receivers,
    staff: Staff,
) -> APIRouter:
    """Every route of the office, over its services."""
    templates = templates_for(Path(__file__).with_name("templates"))
    api = APIRouter()

    def audit(acting: Acting, action: str, programme: dict[str, Any]) -> None:
        """One access-log entry for a staff act on a programme (no person: a programme
        is about everyone it pays, and the run's own records say who)."""
        staff.log(
            acting,
            action=action,
            purpose=PURPOSE,
            detail={"programme": programme["id"], "name": programme["name"]},
        )

    @api.post("/api/programmes", status_code=201)
    def create(body: ProgrammeIn, acting: Planner, uow: Work) -> dict[str, Any]:
        """A new programme: amount per person or per household (paid to the 世帯主),
        residents of the municipalities on ``as_of``, optional age bounds. It waits for
        another staff member's approval before it can run."""
        made = programmes.create(uow, **body.model_dump(), by=acting.staff_id)
        audit(acting, "programme.create", made)
        return made

    @api.get("/api/programmes")
    def list_programmes(_: Reader, uow: Work) -> list[dict[str, Any]]:
        """Every programme, newest first."""
        return programmes.all(uow)

    @api.get("/api/programmes/{programme_id}")
    def show(programme_id: str, _: FromPortal, uow: Work) -> dict[str, Any]:
        """What a programme is (its name, amount, dates): what Mynaportal shows a resident."""
        return programmes.get(uow, programme_id)

    @api.get("/api/programmes/{programme_id}/status")
    def status(programme_id: str, _: Reader, uow: Work) -> dict[str, Any]:
        """Counts and yen per status, rounds, files with their trailer totals."""
        return programmes.status(uow, programme_id) | {"running": rounds.is_running(programme_id)}

    @api.post("/api/programmes/{programme_id}/approve")
    def approve(programme_id: str, acting: Approver, uow: Work) -> dict[str, Any]:
        """Approve a programme (承認): another staff member than the one who made it."""
        approved = programmes.approve(uow, programme_id, by=acting.staff_id)
        audit(acting, "programme.approve", approved)
        return approved

    @api.post("/api/programmes/{programme_id}/run", status_code=202)
    def run(programme_id: str, acting: Runner, uow: Work) -> dict[str, Any]:
        """Start (or resume) a round of an approved programme in the background (409
        ``programme_not_approved`` otherwise); watch it with ``/status``."""
        programme = programmes.require_approved(uow, programme_id)
        rounds.ensure_idle(programme_id)
        audit(acting, "programme.run", programme)
        rounds.start(programme_id)
        return {"started": True}

    api.include_router(receiver_router(ctx, receivers))

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, acting: Reader, uow: Work) -> HTMLResponse:
        listed = [p | {"status": programmes.status(uow, p["id"])} for p in programmes.all(uow)]
        return templates.TemplateResponse(
            request,
            "programmes.html",
            {"programmes": listed, "prefix": _prefix(request), "acting": acting},
        )

    @api.get("/programmes/{programme_id}", response_class=HTMLResponse, include_in_schema=False)
    def watch(request: Request, programme_id: str, acting: Reader, uow: Work) -> HTMLResponse:
        report = programmes.status(uow, programme_id)
        return templates.TemplateResponse(
            request,
            "programme.html",
            {
                "s": report,
                "running": rounds.is_running(programme_id),
                "prefix": _prefix(request),
                "acting": acting,
                "may_approve": not report["programme"]["approved"]
                and report["programme"]["created_by"] != acting.staff_id
                and staff.roles.granting(acting.session.roles, "programmes.approve") is not None,
            },
        )

    @api.post("/programmes/{programme_id}/approve", include_in_schema=False)
    def approve_page(
        request: Request, programme_id: str, acting: Approver, uow: Work
    ) -> RedirectResponse:
        """The approve button of the staff page (its form carries the CSRF token)."""
        approve(programme_id, acting, uow)
        return RedirectResponse(f"{_prefix(request)}/programmes/{programme_id}", status_code=303)

    @api.get("/healthz", dependencies=[public("liveness probe: counts only, no personal data")])
    def healthz(uow: Work) -> dict[str, object]:
        return health(programmes, uow)

    return api


def health(programmes: Programmes, uow: UnitOfWork) -> dict[str, Any]:
    """The office's health report: it answers, and how many programmes it has."""
    return {"org": ORG, "ok": True, "programmes": programmes.count(uow)}


def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path", ""))
