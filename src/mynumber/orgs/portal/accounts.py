"""公金受取口座 on Mynaportal (``/account``): see, register, change, delete.

The portal asks the hub, under its own code for the person and the row
``public_fund_account_self_service``, for the registered account and a registration handle
the registry seals to it; it then calls the registry's portal routes with a fresh handle
(``POST /accounts/api/portal/{register,change,delete}``). Neither the portal nor the hub
learns the registry's code; the registry's refusals (a family member's name, a closed
account, an unknown bank) are shown on the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynumber import errors
from mynumber.orgs.portal.deps import RESIDENT
from mynumber.orgs.portal.linkage import HubLink, logged_in
from mynumber.orgs.portal.web import Pages
from mynumber.platform.http import ServiceClient

PROCEDURE = "public_fund_account_self_service"
ITEMS = ["public_fund_account", "registration_handle"]
ACTIONS = ("register", "change", "delete")
#: Deleting the account is the one step here that stops payments: the form must say so twice.
CONFIRM_DELETE = (
    "抹消するには、確認のチェックを入れてください / "
    "Tick the confirmation box to delete the registration."
)
DEPOSIT_TYPES = {"1": "普通 Ordinary", "2": "当座 Current", "4": "貯蓄 Savings"}


def account_form(
    bank_code: Annotated[str, Form(max_length=16)] = "",
    branch_code: Annotated[str, Form(max_length=16)] = "",
    deposit_type: Annotated[str, Form(max_length=16)] = "1",
    account_number: Annotated[str, Form(max_length=16)] = "",
    holder_kana: Annotated[str, Form(max_length=60)] = "",
) -> dict[str, str]:
    """An account's fields as a form posts them, trimmed (this page and the one-click
    benefit application)."""
    return {
        "bank_code": bank_code.strip(),
        "branch_code": branch_code.strip(),
        "deposit_type": deposit_type.strip(),
        "account_number": account_number.strip(),
        "holder_kana": holder_kana.strip(),
    }


class PublicFundAccounts:
    """The person's 公金受取口座, through the hub and the registry's portal routes."""

    def __init__(self, *, link: HubLink, registry: ServiceClient) -> None:
        self.link = link
        self.registry = registry

    def _self_service(self, portal_code: str) -> dict[str, Any]:
        return dict(
            self.link.ask(portal_code, procedure=PROCEDURE, provider="accounts", items=ITEMS)
        )

    def show(self, portal_code: str) -> dict[str, Any] | None:
        """The registered account (None: none registered)."""
        account = self._self_service(portal_code)["public_fund_account"]
        return None if account is None else dict(account)

    def act(self, portal_code: str, action: str, account: dict[str, str] | None = None) -> None:
        """Register, change or delete, with a handle fresh from the hub."""
        if action not in ACTIONS:
            raise errors.NotFound("no such action")
        handle = self._self_service(portal_code)["registration_handle"]
        body: dict[str, Any] = {"handle": handle}
        if action != "delete":
            body["account"] = account
        self.registry.request("POST", f"/api/portal/{action}", body)


def page_router(pages: Pages, accounts: PublicFundAccounts) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(
        request: Request,
        session: Any,
        *,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
        form: dict[str, str] | None = None,
        confirm_delete: bool = False,
    ) -> HTMLResponse:
        problem = None
        try:
            account = accounts.show(session.portal_code)
        except errors.Error as exc:
            account, problem = None, f"現在表示できません / Not available now ({exc.code})"
        return pages.render(
            request,
            "account.html",
            status=status,
            session=session,
            account=account,
            problem=problem,
            error=error,
            done=done,
            form=form or {},
            deposit_types=DEPOSIT_TYPES,
            confirm_delete=confirm_delete,
        )

    @web.get("/account", response_class=HTMLResponse)
    def show(request: Request, portal_session: Annotated[str | None, Cookie()] = None) -> Response:
        """公金受取口座: the registered account and the forms to change it."""
        session = logged_in(pages, request, portal_session)
        if isinstance(session, RedirectResponse):
            return session
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        return page(request, session)

    @web.post("/account/{action}", response_class=HTMLResponse)
    def act(
        request: Request,
        action: str,
        form: Annotated[dict[str, str], Depends(account_form)],
        csrf: Annotated[str | None, Form()] = None,
        confirm: Annotated[str | None, Form(max_length=8)] = None,
        portal_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        session = pages.portal.session(portal_session)
        pages.check_csrf(session, csrf)
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        if action == "delete" and confirm != "yes":
            return page(request, session, status=422, error=CONFIRM_DELETE, confirm_delete=True)
        try:
            accounts.act(session.portal_code, action, None if action == "delete" else form)
        except errors.NotFound as exc:
            if exc.message == "no such action":
                raise
            return page(request, session, status=404, error=_explain(exc), form=form)
        except errors.Error as exc:
            return page(request, session, status=422, error=_explain(exc), form=form)
        done = {
            "register": "登録しました / Registered.",
            "change": "変更しました / Changed.",
            "delete": "登録を抹消しました / Deleted.",
        }[action]
        return page(request, session, done=done)

    return web


#: The registry's refusals as the person reads them.
REASONS = {
    "holder_name_mismatch": "口座名義がご本人と一致しません。"
    "ご本人名義の口座のみ登録できます（ご家族の口座は登録できません） / "
    "The account is not in your own name: only your own account can be registered, "
    "not a family member's.",
    "account_closed": "この口座は解約されています / The account is closed.",
    "no_such_account": "この口座は見つかりません / The bank has no such account.",
    "unknown_bank": "金融機関コードが見つかりません / Unknown bank code.",
    "unknown_branch": "支店コードが見つかりません / Unknown branch code.",
    "bank_not_connected": "この金融機関とは接続されていません / This bank is not connected.",
    "not_registered": "登録されている口座はありません / No account is registered.",
    "already_registered": "既に登録されています。変更してください / An account is already "
    "registered: change it instead.",
}


def _explain(exc: errors.Error) -> str:
    reason = REASONS.get(exc.code)
    return f"{reason} ({exc.code})" if reason else f"{exc.message} ({exc.code})"
