"""The benefit office's web app (``/benefits``): thin — parse, one call, schema.

- staff (signed in, by role): ``POST /api/programmes`` (planner), ``POST
  /api/programmes/{id}/approve`` (approver, not the maker), ``POST
  /api/programmes/{id}/run`` (planner; a round in the background, approved programmes only),
  ``GET /api/programmes`` and ``GET /api/programmes/{id}/status`` (either role);
- ``GET /api/programmes/{id}`` (Mynaportal, signed): what the portal shows a resident;
- ``POST /api/deliveries`` (the hub only): one-click applications from Mynaportal;
- staff pages ``/`` and ``/programmes/{id}`` (either role): programmes, and a run as it
  goes (phase, counts, files, results; the page refreshes itself), with an approve button;
- ``/healthz`` (public).

What staff make, approve and run is recorded in the office's access log.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from mynumber import errors
from mynumber.orgs.benefits import store
from mynumber.orgs.benefits.clients import APPLICATION_PROCEDURE, ORG, Clients
from mynumber.orgs.benefits.deps import PURPOSE, Approver, FromPortal, Planner, Reader, Runner
from mynumber.orgs.benefits.model import ROLES
from mynumber.orgs.benefits.run import PaymentRun
from mynumber.orgs.benefits.services import BenefitApplications, Programmes
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Answer, Receivers, receiver_router
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, templates_for

log = logging.getLogger("mynumber.benefits")
TITLE = "給付金事務局 (Benefit Office, demo)"


class ProgrammeIn(BaseModel):
    name: str = Field(max_length=100)
    amount: int = Field(description="yen per person, or per household member")
    per: Literal["person", "household"] = "person"
    municipalities: list[str] = Field(min_length=1, max_length=50)
    as_of: date | None = Field(default=None, description="基準日 (default today)")
    min_age: int | None = None
    max_age: int | None = None


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.benefits.migrations")
    clients = Clients(ctx)
    programmes = Programmes(engine=engine, served=ctx.settings.municipalities)
    applications = BenefitApplications(engine=engine)
    runner = PaymentRun(
        engine=engine, clients=clients, folder=ctx.settings.data_dir / ORG / "files"
    )
    running: dict[str, threading.Thread] = {}
    templates = templates_for(Path(__file__).with_name("templates"))

    receivers = Receivers(org=ORG, keys=clients.keys)
    receivers[APPLICATION_PROCEDURE] = lambda d: Answer(
        accepted=applications.receive(d.delivery_id, d.codes, d.messages)
    )

    app = new_app(
        title=TITLE,
        description="A designated public benefit (特定公的給付) paid push-type: eligibility "
        "from the municipalities, accounts through the linkage hub, Zengin 総合振込 files "
        "to each bank, notices through Mynaportal.",
    )

    def audit(acting: Acting, action: str, programme: dict[str, Any]) -> None:
        """One access-log entry for a staff act on a programme (no person: a programme
        is about everyone it pays, and the run's own records say who)."""
        app.state.staff.log(
            acting,
            action=action,
            purpose=PURPOSE,
            detail={"programme": programme["id"], "name": programme["name"]},
        )

    @app.post("/api/programmes", status_code=201)
    def create(body: ProgrammeIn, acting: Planner) -> dict[str, Any]:
        """A new programme: amount per person or per household (paid to the 世帯主),
        residents of the municipalities on ``as_of``, optional age bounds. It waits for
        another staff member's approval before it can run."""
        made = programmes.create(**body.model_dump(), by=acting.staff_id)
        audit(acting, "programme.create", made)
        return made

    @app.get("/api/programmes")
    def list_programmes(_: Reader) -> list[dict[str, Any]]:
        """Every programme, newest first."""
        return programmes.all()

    @app.get("/api/programmes/{programme_id}")
    def show(programme_id: str, _: FromPortal) -> dict[str, Any]:
        """What a programme is (its name, amount, dates): what Mynaportal shows a resident."""
        return programmes.get(programme_id)

    @app.get("/api/programmes/{programme_id}/status")
    def status(programme_id: str, _: Reader) -> dict[str, Any]:
        """Counts and yen per status, rounds, files with their trailer totals."""
        return programmes.status(programme_id) | {"running": programme_id in running}

    @app.post("/api/programmes/{programme_id}/approve")
    def approve(programme_id: str, acting: Approver) -> dict[str, Any]:
        """Approve a programme (承認): another staff member than the one who made it."""
        approved = programmes.approve(programme_id, by=acting.staff_id)
        audit(acting, "programme.approve", approved)
        return approved

    @app.post("/api/programmes/{programme_id}/run", status_code=202)
    def run(programme_id: str, acting: Runner) -> dict[str, Any]:
        """Start (or resume) a round of an approved programme in the background (409
        ``programme_not_approved`` otherwise); watch it with ``/status``."""
        programme = programmes.require_approved(programme_id)
        if programme_id in running and running[programme_id].is_alive():
            raise errors.Conflict("a run of this programme is going on", code="running")
        audit(acting, "programme.run", programme)

        def work() -> None:
            try:
                runner.run(programme_id)
            except Exception:
                log.exception("benefit run failed (it resumes when started again)")
            finally:
                running.pop(programme_id, None)

        thread = threading.Thread(target=work, name=f"benefit-run-{programme_id}", daemon=True)
        running[programme_id] = thread
        thread.start()
        return {"started": True}

    app.include_router(receiver_router(ctx, receivers))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, acting: Reader) -> HTMLResponse:
        listed = [p | {"status": programmes.status(p["id"])} for p in programmes.all()]
        return templates.TemplateResponse(
            request,
            "programmes.html",
            {"programmes": listed, "prefix": _prefix(request), "acting": acting},
        )

    @app.get("/programmes/{programme_id}", response_class=HTMLResponse, include_in_schema=False)
    def watch(request: Request, programme_id: str, acting: Reader) -> HTMLResponse:
        report = programmes.status(programme_id)
        return templates.TemplateResponse(
            request,
            "programme.html",
            {
                "s": report,
                "running": programme_id in running,
                "prefix": _prefix(request),
                "acting": acting,
                "may_approve": not report["programme"]["approved"]
                and report["programme"]["created_by"] != acting.staff_id
                and app.state.staff.roles.granting(acting.session.roles, "programmes.approve")
                is not None,
            },
        )

    @app.post("/programmes/{programme_id}/approve", include_in_schema=False)
    def approve_page(request: Request, programme_id: str, acting: Approver) -> RedirectResponse:
        """The approve button of the staff page (its form carries the CSRF token)."""
        approve(programme_id, acting)
        return RedirectResponse(f"{_prefix(request)}/programmes/{programme_id}", status_code=303)

    @app.get("/healthz", dependencies=[public("liveness probe: counts only, no personal data")])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.programmes))
        return {"org": ORG, "ok": True, "programmes": count}

    app.state.engine = engine
    app.state.programmes = programmes
    app.state.runner = runner
    app.state.clients = clients
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app


def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path", ""))
