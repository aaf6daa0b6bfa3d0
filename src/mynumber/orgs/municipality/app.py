"""A municipality's web layer: the registry's JSON API under ``/api`` and staff pages."""

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from mynumber import errors
from mynumber.orgs.municipality import applications, benefits, cards, intermediate, notices, store
from mynumber.orgs.municipality.clients import JlisClient, PeerMunicipalityClient
from mynumber.orgs.municipality.model import MUNICIPALITIES, RELATIONSHIPS, Municipality, Sex
from mynumber.orgs.municipality.schemas import (
    DeathIn,
    HouseholdOut,
    MoveIn,
    RegisterIn,
    ReissueIn,
    ResidentList,
    ResidentOut,
    SearchIn,
    Transfer,
    TransferResult,
)
from mynumber.orgs.municipality.services import Registry
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Receivers, receiver_router
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.web import new_app, signed_by, status_of, templates_for

MIGRATIONS = "mynumber.orgs.municipality.migrations"

#: The largest list offset a caller may ask for: this project's bound, above the residents
#: of any municipality (Yokohama has under 4 million), so a huge one is a 422, not a 500.
MAX_OFFSET = 10_000_000
PAGE_SIZE = 50  # residents on one staff list page


def build_registry(ctx: OrgContext, municipality: Municipality) -> Registry:
    """The registry service with its database migrated and its clients wired."""
    engine = create_org_engine(ctx.settings, municipality.org)
    migrate(engine, MIGRATIONS)
    identity = ctx.identity
    return Registry(
        engine=engine,
        municipality=municipality,
        jlis=JlisClient(ctx.directory, identity),
        peer=lambda code: PeerMunicipalityClient(ctx.directory, identity, code),
    )


def create_app(ctx: OrgContext, municipality: Municipality) -> FastAPI:
    registry = build_registry(ctx, municipality)
    app = new_app(
        title=f"{municipality.full_name} ({municipality.name_en})",
        description="住民基本台帳 — the resident registry of one municipality.",
    )
    app.state.registry = registry
    app.include_router(_api(ctx, registry), prefix="/api")
    app.include_router(cards.router(registry), prefix="/api")
    app.include_router(benefits.router(ctx, engine=registry.engine), prefix="/api")
    linkage = intermediate.build_linkage(ctx, engine=registry.engine, municipality=municipality)
    app.include_router(intermediate.router(ctx, linkage=linkage))
    app.include_router(notices.router(ctx, engine=registry.engine, municipality=municipality))
    # e-applications from Mynaportal, delivered through the hub; staff review pages
    e_applications = applications.Applications(
        engine=registry.engine,
        municipality=municipality,
        linkage=linkage,
        jlis=JlisVerifierClient(
            ctx.directory,
            ctx.identity,
            ctx.settings.data_dir / municipality.org / "jlis-verifier.credential",
            register_path="/verifiers/municipality",  # 署名検証者
        ),
    )
    receivers = Receivers(org=municipality.org, keys=linkage.keys)
    applications.register(receivers, e_applications)
    app.include_router(receiver_router(ctx, receivers))
    app.include_router(applications.page_router(e_applications, municipality))
    app.state.applications = e_applications
    app.include_router(_pages(registry))

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with registry.engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(store.residents)
                .where(store.residents.c.status == "active")
            )
        return {"org": municipality.org, "ok": True, "residents": count}

    app.state.health = healthz
    return app


def _api(ctx: OrgContext, registry: Registry) -> APIRouter:
    router = APIRouter(tags=["residents"])
    peer_municipality = signed_by(
        ctx.verifier(),
        lambda org: org.startswith("municipality-") and org != registry.municipality.org,
    )

    @router.get("/residents", response_model=ResidentList)
    def list_residents(
        q: str = "",
        status: str | None = Query("active", pattern="^(active|moving|moved_out|deceased)?$"),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> ResidentList:
        """Search by name, kana or address (never by My Number: that goes in a POST body)."""
        total, found = registry.search(query=q, status=status or None, limit=limit, offset=offset)
        return ResidentList(total=total, residents=found)

    @router.post("/residents", response_model=ResidentOut, status_code=201)
    def register(body: RegisterIn) -> ResidentOut:
        """出生届 / registration: assigns a resident code and designates a My Number."""
        address = body.address
        if body.household_id:
            address = registry.household(body.household_id).address
        if not address:
            raise errors.InvalidInput("give an address or a household", field="address")
        return registry.register(
            items=body.items(address),
            household_id=body.household_id,
            relationship=body.relationship,
            reason=body.reason,
            registered_on=body.registered_on,
            idempotency_key=body.idempotency_key,
        )

    @router.post("/residents/search", response_model=ResidentOut)
    def find(body: SearchIn) -> ResidentOut:
        """The active resident with this My Number or resident code."""
        return registry.find(my_number=body.my_number, resident_code=body.resident_code)

    @router.get("/residents/{resident_id}", response_model=ResidentOut)
    def show(resident_id: str) -> ResidentOut:
        return registry.get(resident_id)

    @router.get("/residents/{resident_id}/history")
    def history(resident_id: str) -> list[dict[str, object]]:
        """異動履歴: every change to this record, oldest first."""
        return registry.history(resident_id)

    @router.post("/residents/{resident_id}/move", response_model=TransferResult)
    def move(resident_id: str, body: MoveIn) -> TransferResult:
        """転出: move the resident (or the whole household) to another municipality."""
        moved = registry.move_out(
            resident_id,
            to=body.to,
            address=body.address,
            moved_on=body.moved_on,
            whole_household=body.whole_household,
        )
        return TransferResult(residents=moved)

    @router.post("/residents/{resident_id}/reissue-number", response_model=ResidentOut)
    def reissue_number(resident_id: str, body: ReissueIn) -> ResidentOut:
        """個人番号の変更: a new My Number after a leak; the old one is never issued again."""
        return registry.reissue_number(resident_id, reason=body.reason)

    @router.post("/residents/{resident_id}/death", response_model=ResidentOut)
    def death(resident_id: str, body: DeathIn) -> ResidentOut:
        return registry.record_death(resident_id, died_on=body.died_on)

    @router.get("/households/{household_id}", response_model=HouseholdOut)
    def household(household_id: str) -> HouseholdOut:
        return registry.household(household_id)

    @router.post("/move-in", response_model=TransferResult, include_in_schema=True)
    def move_in(
        body: Transfer, sender: Annotated[str, Depends(peer_municipality)]
    ) -> TransferResult:
        """転入, called by the municipality people move from (signed by it)."""
        if sender != f"municipality-{body.moved_from}":
            raise errors.Forbidden("the sender is not the municipality moved from")
        return TransferResult(residents=registry.receive_move_in(body))

    return router


def _pages(registry: Registry) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = templates_for(Path(__file__).with_name("templates"))
    m = registry.municipality
    others = [  # the municipalities this deployment serves: where a move can go
        x for x in MUNICIPALITIES.values() if x.code != m.code and registry.peer(x.code).reachable()
    ]
    common = {"m": m, "sexes": list(Sex), "relationships": RELATIONSHIPS, "others": others}

    def page(request: Request, name: str, http_status: int = 200, **values: object) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {**common, **values}, status_code=http_status
        )

    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        q: str = "",
        status: str = Query("active", pattern="^(active|moving|moved_out|deceased)?$"),
        page_no: int = Query(1, ge=1, le=MAX_OFFSET // PAGE_SIZE),
    ) -> HTMLResponse:
        total, found = registry.search(
            query=q, status=status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return page(
            request, "list.html", residents=found, total=total, q=q, status=status, page_no=page_no
        )

    @router.get("/register", response_class=HTMLResponse)
    def register_form(request: Request, household_id: str = "") -> HTMLResponse:
        return page(request, "register.html", form={"household_id": household_id}, error=None)

    @router.post("/register", response_model=None)
    def register(
        request: Request,
        family_name: Annotated[str, Form()],
        given_name: Annotated[str, Form()],
        family_name_kana: Annotated[str, Form()],
        given_name_kana: Annotated[str, Form()],
        birth_date: Annotated[str, Form()],
        sex: Annotated[str, Form()],
        address: Annotated[str, Form()] = "",
        household_id: Annotated[str, Form()] = "",
        relationship: Annotated[str, Form()] = "世帯主",
        reason: Annotated[str, Form()] = "birth",
    ) -> Response:
        form = dict(request.query_params) | {
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
                address = registry.household(body.household_id).address
            resident = registry.register(
                items=body.items(address),
                household_id=body.household_id,
                relationship=body.relationship,
                reason=body.reason,
            )
        except errors.Error as exc:
            return page(request, "register.html", status_of(exc), form=form, error=exc.message)
        except ValueError as exc:
            return page(request, "register.html", 422, form=form, error=_first_error(exc))
        return RedirectResponse(f"residents/{resident.id}?registered=1", status_code=303)

    @router.get("/residents/{resident_id}", response_class=HTMLResponse)
    def resident_page(request: Request, resident_id: str) -> HTMLResponse:
        return resident(request, resident_id)

    def resident(
        request: Request, resident_id: str, error: errors.Error | None = None
    ) -> HTMLResponse:
        person = registry.get(resident_id)
        return page(
            request,
            "resident.html",
            status_of(error) if error else 200,
            r=person,
            household=registry.household(person.household_id),
            history=registry.history(resident_id),
            error=error.message if error else None,
            registered=request.query_params.get("registered"),
            today=date.today(),
        )

    @router.post("/residents/{resident_id}/move", response_model=None)
    def move(
        request: Request,
        resident_id: str,
        to: Annotated[str, Form()],
        address: Annotated[str, Form()],
        whole_household: Annotated[bool, Form()] = False,
    ) -> Response:
        try:
            registry.move_out(resident_id, to=to, address=address, whole_household=whole_household)
        except errors.Error as exc:
            return resident(request, resident_id, error=exc)
        return RedirectResponse(f"../{resident_id}", status_code=303)

    @router.post("/residents/{resident_id}/death", response_model=None)
    def death(request: Request, resident_id: str, died_on: Annotated[date, Form()]) -> Response:
        try:
            registry.record_death(resident_id, died_on=died_on)
        except errors.Error as exc:
            return resident(request, resident_id, error=exc)
        return RedirectResponse(f"../{resident_id}", status_code=303)

    return router


def _first_error(exc: ValueError) -> str:
    errors_of = getattr(exc, "errors", None)
    if callable(errors_of):
        first = errors_of()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)
