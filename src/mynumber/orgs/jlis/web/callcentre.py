"""The 24/7 call centre's routes: an API the command line uses
(``POST /callcentre/suspensions``) and the operator's console (``/callcentre/``), both for
staff with ``callcentre.suspend`` (role ``callcentre_operator``), signed in as everywhere.

Every call is recorded in J-LIS's access log under the card's manufacture number — a
refused identification too, so a run of guesses at one card shows."""

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from mynumber import errors
from mynumber.orgs.jlis.callcentre import CallCentre, Suspension
from mynumber.orgs.jlis.deps import CallCentreOperator
from mynumber.orgs.jlis.schemas import (
    CARD_NUMBER,
    CallCentreSuspendIn,
    CallCentreSuspendOut,
    RevokedOut,
)
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import status_of, templates_for
from mynumber.platform.web.uow import Work

PURPOSE = "24/7 call centre"


def _out(done: Suspension) -> CallCentreSuspendOut:
    return CallCentreSuspendOut(
        manufacture_number=done.manufacture_number,
        status=done.status,
        revoked=[
            RevokedOut(
                hierarchy=r.hierarchy.value,
                serial=f"{r.serial:x}",
                revoked_at=r.revoked_at,
                reason=r.reason,
            )
            for r in done.revoked
        ],
        police_receipt_recorded=done.police_receipt_recorded,
    )


def router(centre: CallCentre, *, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["call centre"])
    pages = APIRouter(include_in_schema=False)
    templates = templates_for(Path(__file__).parent.parent / "templates")

    def suspend(uow: UnitOfWork, acting: Acting, body: CallCentreSuspendIn) -> Suspension:
        try:
            done = centre.suspend(
                uow,
                body.card_number,
                name=body.name,
                birth_date=body.birth_date,
                lost_outside=body.lost_outside,
                police_receipt=body.police_receipt,
            )
        except errors.Error as exc:
            staff.log(
                acting,
                action="callcentre.refused",
                purpose=PURPOSE,
                person=body.card_number,
                detail={"code": exc.code},
            )
            raise
        staff.log(
            acting,
            action="callcentre.suspend",
            purpose=PURPOSE,
            person=body.card_number,
            detail={
                "lost_outside": body.lost_outside,
                "police_receipt": done.police_receipt_recorded,
            },
        )
        return done

    @api.post("/callcentre/suspensions", response_model=CallCentreSuspendOut)
    def suspend_by_call(
        body: CallCentreSuspendIn, acting: CallCentreOperator, uow: Work
    ) -> CallCentreSuspendOut:
        """一時利用停止 by telephone: the caller is identified by the card number and the name
        (and date of birth, if given); both certificates are held at once (OCSP: revoked,
        ``certificateHold``). Lifting it is only at the municipality's counter."""
        return _out(suspend(uow, acting, body))

    def page(request: Request, acting: Acting, status: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "callcentre.html",
            {
                "csrf": acting.session.csrf,
                "staff": acting.session,
                "pattern": CARD_NUMBER[1:-1],
                **values,
            },
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )

    @pages.get("/callcentre/", response_class=HTMLResponse)
    def console(request: Request, acting: CallCentreOperator) -> HTMLResponse:
        """The operator's console: the caller's card and items, then suspend."""
        return page(request, acting)

    @pages.post("/callcentre/", response_class=HTMLResponse)
    def console_suspend(
        request: Request,
        acting: CallCentreOperator,
        card_number: Annotated[str, Form(max_length=13)],
        name: Annotated[str, Form(max_length=100)],
        uow: Work,
        birth_date: Annotated[str, Form(max_length=10)] = "",
        lost_outside: Annotated[str, Form(max_length=5)] = "",
        police_receipt: Annotated[str, Form(max_length=40)] = "",
    ) -> HTMLResponse:
        try:
            body = CallCentreSuspendIn(
                card_number=card_number.strip().upper(),
                name=name,
                birth_date=dt.date.fromisoformat(birth_date) if birth_date else None,
                lost_outside=bool(lost_outside),
                police_receipt=police_receipt.strip() or None,
            )
        except ValueError:
            return page(
                request,
                acting,
                status=422,
                error="カード製造番号（英数字13桁）・生年月日・受理番号の形式を確認してください / "
                "check the card number (13 of A-Z 0-9), the date of birth and the receipt number",
            )
        try:
            done = suspend(uow, acting, body)
        except errors.Error as exc:
            return page(request, acting, status=status_of(exc), error=exc.message)
        return page(request, acting, done=_out(done))

    api.include_router(pages)
    return api
