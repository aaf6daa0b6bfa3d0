"""給付金の申請 pages: the one-click benefit claim with the registered public-fund account
or another one (a proxy is refused)."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from mynumber import errors
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.benefit_claims import BenefitClaims
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.orgs.portal.web.public_fund import DEPOSIT_TYPES, account_form
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work


def page_router(pages: Pages, benefits: BenefitClaims) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(
        uow: UnitOfWork,
        request: Request,
        session: Any,
        programme_id: str,
        *,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        programme = benefits.programme(programme_id)
        try:
            account, problem = benefits.accounts.show(uow, session.portal_code), None
        except errors.Error as exc:
            account, problem = None, f"現在表示できません / Not available now ({exc.code})"
        return pages.render(
            request,
            "benefit.html",
            status=status,
            session=session,
            programme=programme,
            account=account,
            problem=problem,
            error=error,
            done=done,
            form=form or {},
            deposit_types=DEPOSIT_TYPES,
        )

    @web.get("/benefits/{programme_id}", response_class=HTMLResponse)
    def show(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.page_session)],
        programme_id: str,
    ) -> Response:
        """給付金の受取口座: apply with one click, with the registered account or another."""
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        return page(uow, request, session, programme_id)

    @web.post("/benefits/{programme_id}", response_class=HTMLResponse)
    def apply(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        programme_id: str,
        form: Annotated[dict[str, str], Depends(account_form)],
        choice: Annotated[str, Form(max_length=16)] = "",
    ) -> Response:
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        benefits.programme(programme_id)  # an unknown programme is a 404, not a delivery
        try:
            accepted = benefits.apply(uow, session.portal_code, programme_id, choice, form)
        except errors.InvalidInput as exc:
            return page(
                uow, request, session, programme_id, status=422, error=_explain(exc), form=form
            )
        except errors.Error as exc:
            return page(
                uow, request, session, programme_id, status=503, error=_explain(exc), form=form
            )
        if not accepted:
            return page(
                uow,
                request,
                session,
                programme_id,
                status=409,
                error="この給付金の対象者として確認できませんでした / "
                "The office did not find you among this benefit's recipients.",
                form=form,
            )
        return page(
            uow,
            request,
            session,
            programme_id,
            done="申請を受け付けました。次回の振込でお支払いします / "
            "Applied: you will be paid in the next payment round.",
        )

    return web


def _explain(exc: errors.Error) -> str:
    field = getattr(exc, "field", None)
    where = f" [{field}]" if field else ""
    return f"{exc.message}{where} ({exc.code})"
