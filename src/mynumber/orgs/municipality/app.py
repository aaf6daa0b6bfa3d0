"""A municipality's web layer: the registry's JSON API under ``/api`` and staff pages."""

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from mynumber import errors
from mynumber.orgs.municipality import (
    applications,
    card_counter,
    cards,
    disclosure,
    eligibility,
    export,
    holder_items,
    intermediate,
    kiosk_web,
    notices,
    store,
)
from mynumber.orgs.municipality.clients import (
    JlisIssuanceClient,
    LgpkiClient,
    PeerMunicipalityClient,
)
from mynumber.orgs.municipality.deps import (
    DeathRecorder,
    Mover,
    Purpose,
    Reader,
    Registrar,
    ReissueApprover,
    ReissueRequester,
    why,
)
from mynumber.orgs.municipality.kiosk import KioskIssuing
from mynumber.orgs.municipality.mayor import MayorKeys
from mynumber.orgs.municipality.model import (
    MUNICIPALITIES,
    PURPOSE_PATTERN,
    PURPOSES,
    RELATIONSHIPS,
    ROLES,
    Municipality,
    Sex,
)
from mynumber.orgs.municipality.schemas import (
    DeathIn,
    HouseholdOut,
    MoveIn,
    RegisterIn,
    ReissueIn,
    ReissueRequestOut,
    ResidentList,
    ResidentOut,
    SearchIn,
    Transfer,
    TransferResult,
)
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Receivers, receiver_router
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, signed_by, status_of, templates_for

MIGRATIONS = "mynumber.orgs.municipality.migrations"

#: The largest list offset a caller may ask for: this project's bound, above the residents
#: of any municipality (Yokohama has under 4 million), so a huge one is a 422, not a 500.
MAX_OFFSET = 10_000_000
PAGE_SIZE = 50  # residents on one staff list page


def build_registry(ctx: OrgContext, municipality: Municipality) -> ResidentRegistry:
    """The registry service with its database migrated and its clients wired."""
    engine = create_org_engine(ctx.settings, municipality.org)
    migrate(engine, MIGRATIONS)
    identity = ctx.identity
    return ResidentRegistry(
        engine=engine,
        municipality=municipality,
        jlis=JlisIssuanceClient(ctx.directory, identity),
        peer=lambda code: PeerMunicipalityClient(ctx.directory, identity, code),
    )


def create_app(ctx: OrgContext, municipality: Municipality) -> FastAPI:
    registry = build_registry(ctx, municipality)
    app = new_app(
        title=f"{municipality.full_name} ({municipality.name_en})",
        description="住民基本台帳 — the resident registry of one municipality.",
    )
    app.state.registry = registry
    staff = install_staff(app, ctx, engine=registry.engine, roles=ROLES, title=app.title)
    app.include_router(_api(ctx, registry, staff), prefix="/api")
    app.include_router(cards.router(registry, staff), prefix="/api")
    app.include_router(card_counter.router(ctx, registry, staff), prefix="/api")
    app.include_router(export.router(engine=registry.engine, staff=staff), prefix="/api")
    app.include_router(eligibility.router(ctx, engine=registry.engine), prefix="/api")
    app.include_router(holder_items.router(ctx, engine=registry.engine, code=municipality.code))
    linkage = intermediate.build_linkage(ctx, engine=registry.engine, municipality=municipality)
    registry.enrol = linkage.enrol_registered  # 符号取得 at registration and move-in
    app.state.linkage = linkage
    app.include_router(intermediate.router(ctx, linkage=linkage, staff=staff))
    # 本人確認情報の提供状況の開示: staff reads and changes go to the person's Mynaportal
    disclosure.install(app, engine=registry.engine, staff=staff, linkage=linkage)
    app.include_router(notices.router(ctx, engine=registry.engine, municipality=municipality))
    # e-applications from Mynaportal, delivered through the hub; staff review pages
    e_applications = applications.MunicipalityApplications(
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
    app.include_router(applications.page_router(e_applications, municipality, staff))
    app.state.applications = e_applications
    # コンビニ交付: certificates for J-LIS's relay, signed by the mayor under LGPKI
    kiosk = KioskIssuing(
        engine=registry.engine,
        municipality=municipality,
        mayor=MayorKeys(
            ctx.settings.data_dir / municipality.org,
            municipality,
            LgpkiClient(ctx.directory, ctx.identity),
        ),
        verify_url=f"{ctx.settings.base_url}/municipality/{municipality.code}/verify",
    )
    app.state.kiosk = kiosk
    app.include_router(kiosk_web.router(kiosk, staff))
    app.include_router(_pages(registry, staff))

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
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


def _api(ctx: OrgContext, registry: ResidentRegistry, staff: Staff) -> APIRouter:
    router = APIRouter(tags=["residents"])
    peer_municipality = signed_by(
        lambda org: org.startswith("municipality-") and org != registry.municipality.org,
        who="another municipality",
    )

    @router.get("/residents", response_model=ResidentList)
    def list_residents(
        acting: Reader,
        q: Annotated[str, Query(max_length=100)] = "",
        status: str | None = Query("active", pattern="^(active|moving|moved_out|deceased)?$"),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> ResidentList:
        """Search by name, kana or address (never by My Number: that goes in a POST body)."""
        total, found = registry.search(query=q, status=status or None, limit=limit, offset=offset)
        staff.log(
            acting,
            action="residents.search",
            purpose="search",
            detail={"q": q, "status": status, "shown": len(found)},
        )
        return ResidentList(total=total, residents=found)

    @router.post("/residents", response_model=ResidentOut, status_code=201)
    def register(body: RegisterIn, acting: Registrar) -> ResidentOut:
        """出生届 / registration: assigns a resident code and designates a My Number."""
        address = body.address
        if body.household_id:
            address = registry.household(body.household_id).address
        if not address:
            raise errors.InvalidInput("give an address or a household", field="address")
        resident = registry.register(
            items=body.items(address),
            household_id=body.household_id,
            relationship=body.relationship,
            reason=body.reason,
            registered_on=body.registered_on,
            idempotency_key=body.idempotency_key,
        )
        staff.log(acting, action="residents.register", purpose="counter", person=resident.id)
        return resident

    @router.post("/residents/search", response_model=ResidentOut)
    def find(body: SearchIn, acting: Reader, purpose: Purpose = None) -> ResidentOut:
        """The active resident with this My Number or resident code."""
        found = registry.find(my_number=body.my_number, resident_code=body.resident_code)
        by = "my_number" if body.my_number else "resident_code"
        staff.log(
            acting,
            action="residents.lookup",
            purpose=why(acting, purpose),
            person=found.id,
            detail={"by": by},
        )
        return found

    @router.get("/residents/{resident_id}", response_model=ResidentOut)
    def show(resident_id: str, acting: Reader, purpose: Purpose = None) -> ResidentOut:
        """One record; ``purpose`` says why it is opened (recorded, shown to the person)."""
        found = registry.get(resident_id)
        staff.log(acting, action="residents.read", purpose=why(acting, purpose), person=resident_id)
        return found

    @router.get("/residents/{resident_id}/history")
    def history(
        resident_id: str, acting: Reader, purpose: Purpose = None
    ) -> list[dict[str, object]]:
        """異動履歴: every change to this record, oldest first."""
        found = registry.history(resident_id)
        staff.log(
            acting, action="residents.history", purpose=why(acting, purpose), person=resident_id
        )
        return found

    @router.post("/residents/{resident_id}/move", response_model=TransferResult)
    def move(resident_id: str, body: MoveIn, acting: Mover) -> TransferResult:
        """転出: move the resident (or the whole household) to another municipality."""
        moved = registry.move_out(
            resident_id,
            to=body.to,
            address=body.address,
            moved_on=body.moved_on,
            whole_household=body.whole_household,
        )
        for person in moved:
            staff.log(
                acting,
                action="residents.move_out",
                purpose="counter",
                person=person.id,
                detail={"to": body.to},
            )
        return TransferResult(residents=moved)

    @router.post(
        "/residents/{resident_id}/reissue-number", response_model=ReissueRequestOut, status_code=202
    )
    def reissue_number(
        resident_id: str, body: ReissueIn, acting: ReissueRequester
    ) -> ReissueRequestOut:
        """個人番号の変更, first step: a supervisor asks; a second supervisor approves
        (``POST /reissue-requests/{id}/approve``) before J-LIS issues the new number."""
        request = registry.request_reissue(resident_id, reason=body.reason, by=acting.staff_id)
        staff.log(
            acting,
            action="numbers.reissue_requested",
            purpose="correction",
            person=resident_id,
            detail={"reason": body.reason, "request": request["id"]},
        )
        return ReissueRequestOut.model_validate(request)

    @router.post("/reissue-requests/{request_id}/approve", response_model=ResidentOut)
    def approve_reissue(request_id: str, acting: ReissueApprover) -> ResidentOut:
        """個人番号の変更, second step: another supervisor approves; the old number is retired
        and never issued again."""
        resident = registry.approve_reissue(request_id, by=acting.staff_id)
        staff.log(
            acting,
            action="numbers.reissued",
            purpose="correction",
            person=resident.id,
            detail={"request": request_id},
        )
        return resident

    @router.post("/residents/{resident_id}/death", response_model=ResidentOut)
    def death(resident_id: str, body: DeathIn, acting: DeathRecorder) -> ResidentOut:
        """死亡届: the record is closed and J-LIS revokes the person's certificates."""
        resident = registry.record_death(resident_id, died_on=body.died_on)
        staff.log(acting, action="residents.death", purpose="counter", person=resident_id)
        return resident

    @router.get("/households/{household_id}", response_model=HouseholdOut)
    def household(household_id: str, acting: Reader, purpose: Purpose = None) -> HouseholdOut:
        found = registry.household(household_id)
        for member in found.members:
            staff.log(
                acting,
                action="households.read",
                purpose=why(acting, purpose),
                person=member.id,
                detail={"household": household_id},
            )
        return found

    @router.post("/move-in", response_model=TransferResult, include_in_schema=True)
    def move_in(
        body: Transfer, sender: Annotated[str, Depends(peer_municipality)]
    ) -> TransferResult:
        """転入, called by the municipality people move from (signed by it)."""
        if sender != f"municipality-{body.moved_from}":
            raise errors.Forbidden("the sender is not the municipality moved from")
        return TransferResult(residents=registry.receive_move_in(body))

    return router


def _pages(registry: ResidentRegistry, staff: Staff) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = templates_for(Path(__file__).with_name("templates"))
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
        q: Annotated[str, Query(max_length=100)] = "",
        status: Annotated[str, Query(pattern="^(active|moving|moved_out|deceased)?$")] = "active",
        page_no: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
    ) -> HTMLResponse:
        total, found = registry.search(
            query=q, status=status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
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
                address = registry.household(body.household_id).address
            resident = registry.register(
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
        purpose: Annotated[str | None, Query(pattern=PURPOSE_PATTERN, max_length=60)] = None,
    ) -> HTMLResponse:
        """One record, once the purpose is given (asked first, recorded, shown to the person)."""
        if purpose is None:
            registry.get(resident_id)  # 404 before asking why
            return page(request, "purpose.html", acting, resident_id=resident_id, purposes=PURPOSES)
        return resident(request, resident_id, acting, purpose)

    def resident(
        request: Request,
        resident_id: str,
        acting: Acting,
        purpose: str,
        error: errors.Error | None = None,
    ) -> HTMLResponse:
        person = registry.get(resident_id)
        staff.log(acting, action="residents.read", purpose=why(acting, purpose), person=resident_id)
        return page(
            request,
            "resident.html",
            acting,
            status_of(error) if error else 200,
            r=person,
            household=registry.household(person.household_id),
            history=registry.history(resident_id),
            error=error.message if error else None,
            registered=request.query_params.get("registered"),
            purpose=why(acting, purpose),
            today=date.today(),
        )

    @router.post("/residents/{resident_id}/move", response_model=None)
    def move(
        request: Request,
        resident_id: str,
        acting: Mover,
        to: Annotated[str, Form()],
        address: Annotated[str, Form()],
        whole_household: Annotated[bool, Form()] = False,
    ) -> Response:
        try:
            moved = registry.move_out(
                resident_id, to=to, address=address, whole_household=whole_household
            )
        except errors.Error as exc:
            return resident(request, resident_id, acting, "counter", error=exc)
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
        request: Request, resident_id: str, acting: DeathRecorder, died_on: Annotated[date, Form()]
    ) -> Response:
        try:
            registry.record_death(resident_id, died_on=died_on)
        except errors.Error as exc:
            return resident(request, resident_id, acting, "counter", error=exc)
        staff.log(acting, action="residents.death", purpose="counter", person=resident_id)
        return RedirectResponse(f"../{resident_id}?purpose=counter", status_code=303)

    return router


def _first_error(exc: ValueError) -> str:
    errors_of = getattr(exc, "errors", None)
    if callable(errors_of):
        first = errors_of()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)
