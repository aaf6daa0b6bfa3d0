"""``/insurance-card``: マイナ保険証 registration and the views of the person's drug data
(:mod:`mynumber.orgs.portal.services.insurance_card`)."""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from mynumber import errors
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.insurance_card import KIND_LABEL, InsuranceCard
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work


def page_router(pages: Pages, card: InsuranceCard) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(uow: UnitOfWork, request: Request, session: Session, **extra: Any) -> HTMLResponse:
        try:
            status = card.status(uow, session.portal_code)
        except errors.Error as exc:
            status = {"registered": False, "views": [], "error": exc.message}
        return pages.render(
            request, "insurance_card.html", session=session, kinds=KIND_LABEL, **status, **extra
        )

    @web.get("/insurance-card", response_class=HTMLResponse)
    def show(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """マイナ保険証: registration and who viewed my drug data."""
        refused = pages.only_oneself(request, session)
        if refused is not None:
            return refused
        return page(uow, request, session)

    @web.post("/insurance-card", response_class=HTMLResponse)
    def register(
        uow: Work,
        request: Request,
        csrf: Annotated[str | None, Form(max_length=200)] = None,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """健康保険証利用登録 of the card the person logs in with."""
        session = pages.portal.session(uow, portal_session)
        pages.check_csrf(session, csrf)
        refused = pages.only_oneself(request, session)
        if refused is not None:
            return refused
        result = card.register(uow, session.portal_code)
        return page(uow, request, session, done=True, has_records=result.get("has_records"))

    return web
