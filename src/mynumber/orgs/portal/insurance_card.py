"""健康保険証利用登録 (マイナ保険証) and the record of who viewed the person's drug data.

``GET /insurance-card`` shows whether the card is registered as insurance card and every
view of the person's 薬剤情報 by a clinic or pharmacy; ``POST /insurance-card`` registers it.
The portal sends the オンライン資格確認等システム only the serial of the person's newest login
certificate (the card they log in with); the system links it through J-LIS — neither the
portal nor the system handles a My Number. Only the person themself may register (not a
proxy: this project's choice, as for 公金受取口座).
"""

# no `from __future__ import annotations`: FastAPI resolves the route's annotations
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, select

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.orgs.portal.deps import RESIDENT
from mynumber.orgs.portal.linkage import logged_in
from mynumber.orgs.portal.web import Pages
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient

OQS = "oqs"
KIND_LABEL = {"drugs": "薬剤情報 / Drug data"}


class InsuranceCard:
    """The portal's side of マイナ保険証: the person's login serial, sent to the system."""

    def __init__(self, ctx: OrgContext, *, engine: Engine) -> None:
        self.engine = engine
        self.oqs = ServiceClient(ctx.directory, OQS, ctx.identity)

    def serial_of(self, portal_code: str) -> str:
        """The serial of the newest login certificate the person used."""
        t = store.login_certificates.c
        with self.engine.connect() as conn:
            serial = conn.scalar(
                select(t.serial)
                .where(t.portal_code == portal_code)
                .order_by(t.learned_at.desc())
                .limit(1)
            )
        if serial is None:
            raise errors.NotFound("log in with the card first", code="no_login_certificate")
        return str(serial)

    def register(self, portal_code: str) -> dict[str, Any]:
        return dict(
            self.oqs.request("POST", "/api/registrations", {"serial": self.serial_of(portal_code)})
        )

    def status(self, portal_code: str) -> dict[str, Any]:
        serial = self.serial_of(portal_code)
        registered = self.oqs.request("POST", "/api/registrations/check", {"serial": serial})
        views: list[dict[str, Any]] = []
        if registered["registered"]:
            views = list(self.oqs.request("POST", "/api/views", {"serial": serial})["views"])
        return {"registered": bool(registered["registered"]), "views": views}


def page_router(pages: Pages, card: InsuranceCard) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(request: Request, session: Any, **extra: Any) -> HTMLResponse:
        try:
            status = card.status(session.portal_code)
        except errors.Error as exc:
            status = {"registered": False, "views": [], "error": exc.message}
        return pages.render(
            request,
            "insurance_card.html",
            session=session,
            kinds=KIND_LABEL,
            **status,
            **extra,
        )

    @web.get("/insurance-card", response_class=HTMLResponse)
    def show(request: Request, portal_session: Annotated[str | None, Cookie()] = None) -> Response:
        """マイナ保険証: registration and who viewed my drug data."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        refused = pages.only_oneself(request, session)
        if refused is not None:
            return refused
        return page(request, session)

    @web.post("/insurance-card", response_class=HTMLResponse)
    def register(
        request: Request,
        csrf: Annotated[str | None, Form(max_length=200)] = None,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """健康保険証利用登録 of the card the person logs in with."""
        session = pages.portal.session(portal_session)
        pages.check_csrf(session, csrf)
        refused = pages.only_oneself(request, session)
        if refused is not None:
            return refused
        result = card.register(session.portal_code)
        return page(request, session, done=True, has_records=result.get("has_records"))

    return web
