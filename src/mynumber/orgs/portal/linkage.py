"""Mynaportal on the linkage hub: わたしの情報 (自己情報) and やりとり履歴.

The portal never holds a My Number. For the hub it needs its own code for the person
(開示システム用符号), which J-LIS derives from the login certificate's serial
(``POST /jlis/portal/codes``); the portal asks once per account, on first need, with the
serial of the person's latest successful login, and keeps the code on the account. Then it
asks each holding agency through the hub under the permitted rows (``self_information``),
opens the sealed answers with its own key, and shows the hub's records of every exchange.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, select, update

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.orgs.portal.clients import JlisPortalClient
from mynumber.orgs.portal.deps import RESIDENT
from mynumber.orgs.portal.display import Label
from mynumber.orgs.portal.model import Session, SessionRequired
from mynumber.orgs.portal.web import Pages
from mynumber.platform.encryption import EncryptionKeys, open_answer
from mynumber.platform.http import EXCHANGE_DEADLINE, ServiceClient

ORG = "portal"
SELF_INFORMATION = "self_information"

#: 自己情報 the portal shows: (provider, items, heading) per permitted row of the hub's table.
SOURCES: tuple[tuple[str, tuple[str, ...], Label], ...] = (
    ("tax", ("income",), Label("所得（国税庁）", "Income (National Tax Agency)")),
    ("pension", ("pension",), Label("年金（日本年金機構）", "Pension (Japan Pension Service)")),
    ("insurer", ("eligibility",), Label("医療保険の資格", "Health-insurance eligibility")),
    (
        "municipality",
        ("basic_items", "resident_tax", "household"),
        Label(
            "基本4情報・住民税・世帯（お住まいの市区町村）",
            "Basic items, resident tax, household (your municipality)",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Section:
    """One agency's answer on わたしの情報: the data, or why there is none."""

    provider: str
    heading: Label
    data: dict[str, Any] | None
    problem: str | None = None


class HubLink:
    """The portal's requests through the hub on behalf of the person logged in."""

    def __init__(
        self, *, engine: Engine, jlis: JlisPortalClient, hub: ServiceClient, keys: EncryptionKeys
    ) -> None:
        self.engine = engine
        self.jlis = jlis
        self.hub = hub
        self.keys = keys
        keys.ensure(ORG)

    def hub_code(self, portal_code: str) -> str:
        """The portal's hub code for the person: kept on the account, else asked of J-LIS
        with the serial of the person's latest successful login (once per account)."""
        a, g = store.accounts.c, store.logins.c
        with self.engine.connect() as conn:
            kept = conn.scalar(select(a.hub_code).where(a.portal_code == portal_code))
            serial = conn.scalar(
                select(g.serial)
                .where(g.portal_code == portal_code, g.result == "success", g.serial.is_not(None))
                .order_by(g.at.desc(), g.id.desc())
                .limit(1)
            )
        if kept:
            return str(kept)
        if serial is None:
            raise errors.NotFound("no login certificate known for this account", code="no_login")
        code = self.jlis.hub_code(serial)
        with self.engine.begin() as conn:
            conn.execute(
                update(store.accounts)
                .where(a.portal_code == portal_code, a.hub_code.is_(None))
                .values(hub_code=code)
            )
        return code

    def ask(self, portal_code: str, *, procedure: str, provider: str, items: list[str]) -> Any:
        """情報照会 through the hub; the provider's answer, opened with the portal's key and
        checked: signed by the provider, for this exchange and procedure."""
        body = {
            "code": self.hub_code(portal_code),
            "procedure": procedure,
            "provider": provider,
            "items": items,
        }
        answer = self.hub.request("POST", "/exchanges", body, timeout=EXCHANGE_DEADLINE)
        return open_answer(self.keys, answer, requester=ORG, provider=provider, procedure=procedure)

    def self_information(self, portal_code: str) -> list[Section]:
        """自己情報: each holding agency's data about the person, or why it is missing."""
        sections = []
        for provider, items, heading in SOURCES:
            try:
                data = self.ask(
                    portal_code, procedure=SELF_INFORMATION, provider=provider, items=list(items)
                )
                sections.append(Section(provider, heading, dict(data)))
            except errors.NotFound:
                sections.append(
                    Section(provider, heading, None, "記録はありません / No record held")
                )
            except errors.Error as exc:
                sections.append(
                    Section(
                        provider,
                        heading,
                        None,
                        f"現在表示できません / Not available now ({exc.code})",
                    )
                )
        return sections

    def records(self, portal_code: str) -> list[dict[str, Any]]:
        """やりとり履歴: every exchange about the person, newest first."""
        rows = self.hub.request("POST", "/records", {"code": self.hub_code(portal_code)})
        return list(reversed(rows))

    def export(self, portal_code: str) -> dict[str, Any]:
        """The hub's JSON export of the records, with the chain head to check them against."""
        return dict(
            self.hub.request("POST", "/records/export", {"code": self.hub_code(portal_code)})
        )


def logged_in(pages: Pages, request: Request, token: str | None) -> Session | RedirectResponse:
    """The session, or the redirect to the login page a page answers with."""
    try:
        return pages.portal.session(token)
    except SessionRequired:
        prefix = request.scope.get("root_path", "")
        why = "expired" if token else ""
        return RedirectResponse(f"{prefix}/login?why={why}", status_code=303)


def page_router(pages: Pages, link: HubLink) -> APIRouter:
    """わたしの情報 (``/information``) and やりとり履歴 (``/records``, ``/records/export``)."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    @web.get("/information", response_class=HTMLResponse)
    def information(
        request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """わたしの情報: each agency's data about the person, through the hub."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        return pages.render(
            request,
            "information.html",
            session=session,
            sections=link.self_information(pages.subject(session, "information")),
        )

    @web.get("/records", response_class=HTMLResponse)
    def records(
        request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """やりとり履歴: who asked whom for which of the person's data, when and why."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        records = link.records(pages.subject(session, "records"))
        return pages.render(request, "records.html", session=session, records=records)

    @web.get("/records/export")
    def export(
        request: Request, portal_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        """The records as the hub's JSON document, to keep or to check against the chain."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        document = link.export(pages.subject(session, "records_export"))
        return Response(
            json.dumps(document, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="exchange-records.json"'},
        )

    return web
