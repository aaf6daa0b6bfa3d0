"""わたしの情報 (``/information``) and やりとり履歴 (``/records``, ``/records/export``)."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.self_information import HubLink
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages


def page_router(pages: Pages, link: HubLink) -> APIRouter:
    """わたしの情報 (``/information``) and やりとり履歴 (``/records``, ``/records/export``)."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    @web.get("/information", response_class=HTMLResponse)
    def information(
        request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """わたしの情報: each agency's data about the person, through the hub."""
        return pages.render(
            request,
            "information.html",
            session=session,
            sections=link.self_information(pages.subject(session, "information")),
        )

    @web.get("/licence", response_class=HTMLResponse)
    def licence(
        request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """運転免許情報: the licence the police keep, once linked (through the hub)."""
        return pages.render(
            request,
            "information.html",
            session=session,
            sections=[link.licence(pages.subject(session, "licence"))],
        )

    @web.get("/records", response_class=HTMLResponse)
    def records(
        request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """やりとり履歴: who asked whom for which of the person's data, when and why."""
        records = link.records(pages.subject(session, "records"))
        return pages.render(request, "records.html", session=session, records=records)

    @web.get("/records/export")
    def export(
        request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """The records as the hub's JSON document, to keep or to check against the chain."""
        document = link.export(pages.subject(session, "records_export"))
        return Response(
            json.dumps(document, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="exchange-records.json"'},
        )

    return web
