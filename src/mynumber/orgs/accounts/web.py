"""The registry's routes: a bank's counter and Mynaportal register, change and delete an
account; the hub asks for one (or many) on a paying agency's behalf; a health report.
Each route parses, is authorised by its signer, and makes one service call in the
request's unit of work."""

# no `from __future__ import annotations`: FastAPI resolves the route annotations
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from mynumber.orgs.accounts import handles, services
from mynumber.orgs.accounts.model import at_bank
from mynumber.orgs.accounts.schemas import (
    BulkIn,
    BulkOut,
    CounterDeleteIn,
    CounterIn,
    PortalDeleteIn,
    PortalIn,
    RegistrationOut,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.intermediate import IntermediateServer, ProvideBulkIn, ProvideIn
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import signed_by
from mynumber.platform.web.intermediate import provide_bulk_router, provide_router
from mynumber.platform.web.uow import Work

#: 運用担当: the registry's operator registers accounts in bulk.
Operator = Annotated[Acting, Depends(staff_permission("accounts.register"))]
#: The bank that signed the request.
FromBank = Annotated[str, Depends(signed_by(lambda org: org.startswith("bank-"), who="a bank"))]
#: Mynaportal, having signed the request.
FromPortal = Annotated[str, Depends(signed_by(lambda org: org == "portal", who="Mynaportal"))]


def router(
    ctx: OrgContext,
    *,
    registry: services.AccountRegistry,
    handle: handles.Handles,
    server: IntermediateServer,
    staff: Staff,
    unit: Callable[[], UnitOfWork],
) -> APIRouter:
    """Every route of the registry, over its services (the hub's calls, which come through
    the platform's intermediate-server routes, in a unit of work ``unit`` makes)."""
    api = APIRouter()

    @api.post("/api/registrations/bulk", response_model=BulkOut, tags=["operator"])
    def register_bulk(body: BulkIn, acting: Operator, uow: Work) -> BulkOut:
        """Register accounts just opened in each holder's own name, in bulk (the demo
        seeding; this project's choice, akin to registration through an administrative body)."""
        entries = [(e.my_number, e.account.checked()) for e in body.registrations]
        registered = registry.register_demo(uow, entries)
        staff.log(
            acting,
            action="accounts.register_bulk",
            purpose="administration",
            detail={"given": len(entries), "registered": registered},
        )
        return BulkOut(registered=registered)

    @api.post("/api/portal/register", response_model=RegistrationOut, status_code=201)
    def portal_register(body: PortalIn, _: FromPortal, uow: Work) -> RegistrationOut:
        """マイナポータルからの登録, for the person behind the handle."""
        account = body.account.checked()
        code = handle.code_of(body.handle)
        return RegistrationOut(**registry.register(uow, code, account, channel="portal"))

    @api.post("/api/portal/change", response_model=RegistrationOut)
    def portal_change(body: PortalIn, _: FromPortal, uow: Work) -> RegistrationOut:
        """マイナポータルからの変更."""
        account = body.account.checked()
        code = handle.code_of(body.handle)
        return RegistrationOut(**registry.change(uow, code, account, channel="portal"))

    @api.post("/api/portal/delete", status_code=204)
    def portal_delete(body: PortalDeleteIn, _: FromPortal, uow: Work) -> None:
        """マイナポータルからの抹消."""
        registry.delete(uow, handle.code_of(body.handle))

    @api.post("/api/bank-counter/register", response_model=RegistrationOut, status_code=201)
    def counter_register(body: CounterIn, caller: FromBank, uow: Work) -> RegistrationOut:
        """金融機関窓口での登録: the person's own account at this bank."""
        account = at_bank(caller, body.account.checked())
        code = registry.code_for(body.my_number)
        return RegistrationOut(**registry.register(uow, code, account, channel="bank_counter"))

    @api.post("/api/bank-counter/change", response_model=RegistrationOut)
    def counter_change(body: CounterIn, caller: FromBank, uow: Work) -> RegistrationOut:
        """金融機関窓口での変更: replace the registered account with one at this bank."""
        account = at_bank(caller, body.account.checked())
        code = registry.code_for(body.my_number)
        return RegistrationOut(**registry.change(uow, code, account, channel="bank_counter"))

    @api.post("/api/bank-counter/delete", status_code=204)
    def counter_delete(body: CounterDeleteIn, caller: FromBank, uow: Work) -> None:
        """金融機関窓口での抹消: only an account held at this bank."""
        registry.delete(uow, registry.code_for(body.my_number), at_bank=caller)

    def provide(request: ProvideIn) -> str:
        return server.answer(
            request,
            lambda code, items: services.account_of(
                unit(), registry=registry, handle=handle, code=code, items=items
            ),
        )

    def provide_bulk(request: ProvideBulkIn) -> str:
        return server.answer_bulk(
            request,
            lambda codes, items: services.accounts_of(
                unit(), registry=registry, codes=codes, items=items
            ),
            services.BULK_FIELDS,
        )

    api.include_router(provide_router(ctx, provide))
    api.include_router(provide_bulk_router(ctx, provide_bulk))

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz(uow: Work) -> dict[str, object]:
        return health(uow, registry)

    return api


def health(uow: UnitOfWork, registry: services.AccountRegistry) -> dict[str, Any]:
    """The registry's health report: it answers, and how many accounts it holds."""
    return {"org": "accounts", "ok": True, "registered": registry.count(uow)}
