"""電子申請 pages: fill a form, sign it with the card on the phone, send it through the hub,
and follow it to the municipality's decision."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mynumber import errors
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.model.care_forms import FORMS
from mynumber.orgs.portal.model.forms import Form
from mynumber.orgs.portal.services.applications import ElectronicApplications, FormInvalid
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import status_of
from mynumber.platform.web.uow import Work

P = ParamSpec("P")
T = TypeVar("T")


def _form_values(raw: Any) -> dict[str, str]:
    return {k: v for k, v in raw.items() if isinstance(v, str) and k not in ("csrf", "key")}


def page_router(pages: Pages, apps: ElectronicApplications) -> APIRouter:
    """申請状況 (``/applications``), the four forms, an application's page, submit."""
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def prefill(uow: UnitOfWork, portal_code: str) -> dict[str, str]:
        """わたしの情報's basic items, as the municipality records them, for the form."""
        try:
            data = apps.link.ask(
                uow,
                portal_code,
                procedure="self_information",
                provider="municipality",
                items=["basic_items"],
            )
        except errors.Error:
            return {}
        items = data.get("basic_items") if isinstance(data, dict) else None
        return {k: str(v) for k, v in (items or {}).items()}

    def subject_of(uow: UnitOfWork, session: Any) -> str:
        """Whose form it is: the person's, or (acting as a proxy) the principal's — the
        view right checked and the view recorded for them."""
        if session.acting_for and apps.proxies is not None:
            return apps.proxies.subject(uow, session, "information")
        return str(session.portal_code)

    def form_page(
        request: Request,
        session: Any,
        form: Form,
        *,
        values: dict[str, str],
        problems: dict[str, str] | None = None,
        key: str | None = None,
        application_id: str | None = None,
        status: int = 200,
        error: str | None = None,
    ) -> HTMLResponse:
        return pages.render(
            request,
            "application_form.html",
            status=status,
            session=session,
            form=form,
            values=values,
            problems=problems or {},
            key=key or secrets.token_urlsafe(24),
            application_id=application_id,
            error=error,
        )

    @web.get("/applications", response_class=HTMLResponse)
    def index(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """申請状況: the person's applications and their status, and the forms."""
        return pages.render(
            request,
            "applications.html",
            session=session,
            applications=apps.list(uow, session.portal_code),
            forms=FORMS,
        )

    def fresh_form(
        uow: UnitOfWork,
        request: Request,
        session: Session,
        kind: str,
        application_id: str | None = None,
    ) -> Response:
        form = FORMS.get(kind)
        if form is None:
            raise errors.NotFound("no such application form", code="form_not_found")
        known = prefill(uow, subject_of(uow, session))
        values = {f.name: known[f.prefill] for f in form.fields if f.prefill in known}
        if "birth_date" in values:
            values["birth_date"] = values["birth_date"][:10]
        return form_page(request, session, form, values=values, application_id=application_id)

    async def post_form(
        uow: UnitOfWork,
        request: Request,
        session: Session,
        kind: str,
        application_id: str | None = None,
    ) -> Response:
        raw = await request.form()  # the form's own fields, whatever the form is
        form = FORMS.get(kind)
        if form is None:
            raise errors.NotFound("no such application form", code="form_not_found")
        key = raw.get("key")
        values = _form_values(raw)
        try:
            started = await _in_thread(
                apps.start,
                uow,
                kind,
                actor=session.portal_code,
                applicant=session.acting_for or session.portal_code,  # 代理: the principal
                submitted=values,
                key=key if isinstance(key, str) else "",
                application_id=application_id,
            )
        except FormInvalid as invalid:
            return form_page(
                request,
                session,
                form,
                values=values,
                problems=invalid.by_field,
                key=key if isinstance(key, str) else None,
                application_id=application_id,
                status=422,
                error=invalid.message,
            )
        prefix = request.scope.get("root_path", "")
        application = started.application
        if application["status"] == "signing" and application["sign_request_id"]:
            return RedirectResponse(
                f"{prefix}/sign/{application['sign_request_id']}", status_code=303
            )
        return RedirectResponse(f"{prefix}/applications/{application['id']}", status_code=303)

    @web.get("/applications/new/{kind}", response_class=HTMLResponse)
    def new(
        uow: Work,
        request: Request,
        kind: str,
        session: Annotated[Session, Depends(pages.page_session)],
    ) -> Response:
        """An application form, prefilled from わたしの情報, with a fresh submission key."""
        return fresh_form(uow, request, session, kind)

    @web.post("/applications/new/{kind}", response_class=HTMLResponse)
    async def create(
        uow: Work,
        request: Request,
        kind: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        """Post a form: errors next to the fields (422), or the application (once per key)
        and on to its sign request, or straight to the application when unsigned."""
        return await post_form(uow, request, session, kind)

    @web.get("/applications/{application_id}", response_class=HTMLResponse)
    def show(
        uow: Work,
        request: Request,
        application_id: str,
        session: Annotated[Session, Depends(pages.page_session)],
    ) -> Response:
        """One application: status, signature, submit, the municipality's decision."""
        application = apps.get(uow, application_id, session.portal_code)
        signed = False
        if application["status"] == "signing" and application["sign_request_id"]:
            signed = (
                apps.signing.result(uow, application["sign_request_id"], application["actor_code"])
                is not None
            )
        return pages.render(
            request, "application.html", session=session, application=application, signed=signed
        )

    @web.post("/applications/{application_id}/submit")
    async def submit(
        uow: Work,
        request: Request,
        application_id: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        """申請を送信: deliver the signed application to the municipality."""
        try:
            await _in_thread(apps.submit, uow, application_id, session.portal_code)
        except errors.Error as failure:
            application = await _in_thread(apps.get, uow, application_id, session.portal_code)
            return pages.render(
                request,
                "application.html",
                status=status_of(failure),
                session=session,
                application=application,
                signed=False,
                error=failure.message,
            )
        prefix = request.scope.get("root_path", "")
        return RedirectResponse(f"{prefix}/applications/{application_id}", status_code=303)

    @web.post("/applications/{application_id}/sign-again")
    async def sign_again(
        uow: Work,
        request: Request,
        application_id: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        """署名をやり直す: a new sign request when the first expired or was refused."""
        application = await _in_thread(apps.sign_again, uow, application_id, session.portal_code)
        prefix = request.scope.get("root_path", "")
        return RedirectResponse(f"{prefix}/sign/{application['sign_request_id']}", status_code=303)

    @web.get("/applications/{application_id}/resubmit", response_class=HTMLResponse)
    def resubmit_form(
        uow: Work,
        request: Request,
        application_id: str,
        session: Annotated[Session, Depends(pages.page_session)],
    ) -> Response:
        """A returned application (差戻し): the form again, for the same application."""
        application = apps.get(uow, application_id, session.portal_code)
        return fresh_form(uow, request, session, application["kind"], application_id)

    @web.post("/applications/{application_id}/resubmit", response_class=HTMLResponse)
    async def resubmit(
        uow: Work,
        request: Request,
        application_id: str,
        session: Annotated[Session, Depends(pages.form_session)],
    ) -> Response:
        """再申請: the corrected form, as a new revision of the same application."""
        application = await _in_thread(apps.get, uow, application_id, session.portal_code)
        return await post_form(uow, request, session, application["kind"], application_id)

    return web


async def _in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Blocking service calls (database, hub) off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)
