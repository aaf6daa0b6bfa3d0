"""One-click benefit applications on Mynaportal (``/benefits/<programme>``).

A benefit office's notice links here when it found no registered public-fund account (or
could not pay into it). The page shows the programme (from the office's public API) and
lets the person, with one click, either use their registered 公金受取口座 — linking to the
registration page if there is none — or name an account for this payment only, checked as
the registry checks accounts (bank and branch in the Zengin list, 普通/当座/貯蓄, up to 7
digits, the holder's name in kana). The application goes to the office as a hub delivery
(procedure ``benefit_application``, item ``application``) under the portal's own hub code
for the person, sealed to the office: neither the hub nor anyone on the way reads it, and
no My Number is involved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynumber import errors
from mynumber.orgs.portal.accounts import DEPOSIT_TYPES, PublicFundAccounts, account_form
from mynumber.orgs.portal.deps import RESIDENT
from mynumber.orgs.portal.linkage import HubLink, logged_in
from mynumber.orgs.portal.web import Pages
from mynumber.payments import DepositType, account_number, branch, to_zengin_kana
from mynumber.platform.deliveries import send
from mynumber.platform.http import ServiceClient

PROCEDURE = "benefit_application"
OFFICE = "benefits"
CHOICES = ("registered", "account")


def checked_account(form: dict[str, str]) -> dict[str, str]:
    """An account for this payment only, checked as the registry checks registrations;
    :class:`errors.InvalidInput` naming the field at fault."""
    branch(form["bank_code"], form["branch_code"])
    if form["deposit_type"] not in (
        DepositType.ORDINARY.value,
        DepositType.CURRENT.value,
        DepositType.SAVINGS.value,
    ):
        raise errors.InvalidInput(
            "deposit_type must be 1 (普通), 2 (当座) or 4 (貯蓄)", field="deposit_type"
        )
    name = to_zengin_kana(form["holder_kana"], field="holder_kana").strip()
    if not name or len(name) > 30:
        raise errors.InvalidInput("holder_kana must be 1 to 30 kana", field="holder_kana")
    return {
        "bank_code": form["bank_code"],
        "branch_code": form["branch_code"],
        "deposit_type": form["deposit_type"],
        "account_number": account_number(form["account_number"]),
        "holder_kana": name,
    }


class PortalBenefitApplications:
    """Programmes as the office shows them, and applications sent to it through the hub."""

    def __init__(
        self, *, link: HubLink, office: ServiceClient, accounts: PublicFundAccounts
    ) -> None:
        self.link = link
        self.office = office
        self.accounts = accounts

    def programme(self, programme_id: str) -> dict[str, Any]:
        if not programme_id.isalnum() or len(programme_id) > 32:
            raise errors.NotFound("no such programme", code="no_programme")
        return dict(self.office.request("GET", f"/api/programmes/{programme_id}"))

    def apply(
        self, portal_code: str, programme_id: str, choice: str, account: dict[str, str] | None
    ) -> bool:
        """Send the application; whether the office accepted it (it keeps applications of
        the people it found eligible)."""
        if choice not in CHOICES:
            raise errors.InvalidInput("choose registered or account", field="choice")
        message = {
            "programme": programme_id,
            "choice": choice,
            "account": checked_account(account or {}) if choice == "account" else None,
        }
        result = send(
            self.link.hub,
            self.link.keys,
            procedure=PROCEDURE,
            recipient=OFFICE,
            items=["application"],
            codes=[self.link.hub_code(portal_code)],
            messages=[message],
        )
        return result.accepted[0]


def page_router(pages: Pages, benefits: PortalBenefitApplications) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(
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
            account, problem = benefits.accounts.show(session.portal_code), None
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
        request: Request,
        programme_id: str,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """給付金の受取口座: apply with one click, with the registered account or another."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        return page(request, session, programme_id)

    @web.post("/benefits/{programme_id}", response_class=HTMLResponse)
    def apply(
        request: Request,
        programme_id: str,
        form: Annotated[dict[str, str], Depends(account_form)],
        csrf: Annotated[str | None, Form()] = None,
        choice: Annotated[str, Form(max_length=16)] = "",
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        session = pages.portal.session(portal_session)
        pages.check_csrf(session, csrf)
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        benefits.programme(programme_id)  # an unknown programme is a 404, not a delivery
        try:
            accepted = benefits.apply(session.portal_code, programme_id, choice, form)
        except errors.InvalidInput as exc:
            return page(request, session, programme_id, status=422, error=_explain(exc), form=form)
        except errors.Error as exc:
            return page(request, session, programme_id, status=503, error=_explain(exc), form=form)
        if not accepted:
            return page(
                request,
                session,
                programme_id,
                status=409,
                error="この給付金の対象者として確認できませんでした / "
                "The office did not find you among this benefit's recipients.",
                form=form,
            )
        return page(
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
