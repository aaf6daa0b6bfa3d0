"""The resident registry's JSON API under ``/api``: search, register, read, move, re-issue
a number, record a death, households, and the move-in from another municipality."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from mynumber import errors
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
from mynumber.orgs.municipality.web.deps import (
    MAX_OFFSET,
    DeathRecorder,
    Mover,
    Purpose,
    Reader,
    Registrar,
    ReissueApprover,
    ReissueRequester,
    why,
)
from mynumber.platform.staff.services import Staff
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(registry: ResidentRegistry, staff: Staff) -> APIRouter:
    """The registry's JSON API (mounted under ``/api``)."""
    router = APIRouter(tags=["residents"])
    peer_municipality = signed_by(
        lambda org: org.startswith("municipality-") and org != registry.municipality.org,
        who="another municipality",
    )

    @router.get("/residents", response_model=ResidentList)
    def list_residents(
        acting: Reader,
        uow: Work,
        q: Annotated[str, Query(max_length=100)] = "",
        status: str | None = Query("active", pattern="^(active|moving|moved_out|deceased)?$"),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> ResidentList:
        """Search by name, kana or address (never by My Number: that goes in a POST body)."""
        total, found = registry.search(
            uow, query=q, status=status or None, limit=limit, offset=offset
        )
        staff.log(
            acting,
            action="residents.search",
            purpose="search",
            detail={"q": q, "status": status, "shown": len(found)},
        )
        return ResidentList(total=total, residents=found)

    @router.post("/residents", response_model=ResidentOut, status_code=201)
    def register(body: RegisterIn, acting: Registrar, uow: Work) -> ResidentOut:
        """出生届 / registration: assigns a resident code and designates a My Number."""
        address = body.address
        if body.household_id:
            address = registry.household(uow, body.household_id).address
        if not address:
            raise errors.InvalidInput("give an address or a household", field="address")
        resident = registry.register(
            uow,
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
    def find(body: SearchIn, acting: Reader, uow: Work, purpose: Purpose = None) -> ResidentOut:
        """The active resident with this My Number or resident code."""
        found = registry.find(uow, my_number=body.my_number, resident_code=body.resident_code)
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
    def show(resident_id: str, acting: Reader, uow: Work, purpose: Purpose = None) -> ResidentOut:
        """One record; ``purpose`` says why it is opened (recorded, shown to the person)."""
        found = registry.get(uow, resident_id)
        staff.log(acting, action="residents.read", purpose=why(acting, purpose), person=resident_id)
        return found

    @router.get("/residents/{resident_id}/history")
    def history(
        resident_id: str, acting: Reader, uow: Work, purpose: Purpose = None
    ) -> list[dict[str, object]]:
        """異動履歴: every change to this record, oldest first."""
        found = registry.history(uow, resident_id)
        staff.log(
            acting, action="residents.history", purpose=why(acting, purpose), person=resident_id
        )
        return found

    @router.post("/residents/{resident_id}/move", response_model=TransferResult)
    def move(resident_id: str, body: MoveIn, acting: Mover, uow: Work) -> TransferResult:
        """転出: move the resident (or the whole household) to another municipality."""
        moved = registry.move_out(
            uow,
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
        resident_id: str, body: ReissueIn, acting: ReissueRequester, uow: Work
    ) -> ReissueRequestOut:
        """個人番号の変更, first step: a supervisor asks; a second supervisor approves
        (``POST /reissue-requests/{id}/approve``) before J-LIS issues the new number."""
        request = registry.request_reissue(uow, resident_id, reason=body.reason, by=acting.staff_id)
        staff.log(
            acting,
            action="numbers.reissue_requested",
            purpose="correction",
            person=resident_id,
            detail={"reason": body.reason, "request": request["id"]},
        )
        return ReissueRequestOut.model_validate(request)

    @router.post("/reissue-requests/{request_id}/approve", response_model=ResidentOut)
    def approve_reissue(request_id: str, acting: ReissueApprover, uow: Work) -> ResidentOut:
        """個人番号の変更, second step: another supervisor approves; the old number is retired
        and never issued again."""
        resident = registry.approve_reissue(uow, request_id, by=acting.staff_id)
        staff.log(
            acting,
            action="numbers.reissued",
            purpose="correction",
            person=resident.id,
            detail={"request": request_id},
        )
        return resident

    @router.post("/residents/{resident_id}/death", response_model=ResidentOut)
    def death(resident_id: str, body: DeathIn, acting: DeathRecorder, uow: Work) -> ResidentOut:
        """死亡届: the record is closed and J-LIS revokes the person's certificates."""
        resident = registry.record_death(uow, resident_id, died_on=body.died_on)
        staff.log(acting, action="residents.death", purpose="counter", person=resident_id)
        return resident

    @router.get("/households/{household_id}", response_model=HouseholdOut)
    def household(
        household_id: str, acting: Reader, uow: Work, purpose: Purpose = None
    ) -> HouseholdOut:
        found = registry.household(uow, household_id)
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
        body: Transfer, sender: Annotated[str, Depends(peer_municipality)], uow: Work
    ) -> TransferResult:
        """転入, called by the municipality people move from (signed by it)."""
        if sender != f"municipality-{body.moved_from}":
            raise errors.Forbidden("the sender is not the municipality moved from")
        return TransferResult(residents=registry.receive_move_in(uow, body))

    return router
