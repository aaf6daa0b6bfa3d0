"""公金受取口座 pages: register, change or delete the person's own public-fund account
through the registry (a proxy is refused)."""

# no `from __future__ import annotations`: FastAPI resolves the routes' session
# dependencies, made from ``pages`` inside the router factory, from the real annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from mynumber import errors
from mynumber.orgs.portal.model import Session
from mynumber.orgs.portal.services.public_fund import PublicFundAccounts
from mynumber.orgs.portal.web.deps import RESIDENT
from mynumber.orgs.portal.web.pages import Pages
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work

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


def page_router(pages: Pages, accounts: PublicFundAccounts) -> APIRouter:
    web = APIRouter(include_in_schema=False, dependencies=[RESIDENT])

    def page(
        uow: UnitOfWork,
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
            account = accounts.show(uow, session.portal_code)
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
    def show(
        uow: Work, request: Request, session: Annotated[Session, Depends(pages.page_session)]
    ) -> Response:
        """公金受取口座: the registered account and the forms to change it."""
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        return page(uow, request, session)

    @web.post("/account/{action}", response_class=HTMLResponse)
    def act(
        uow: Work,
        request: Request,
        session: Annotated[Session, Depends(pages.form_session)],
        action: str,
        form: Annotated[dict[str, str], Depends(account_form)],
        confirm: Annotated[str | None, Form(max_length=8)] = None,
    ) -> Response:
        if (refused := pages.only_oneself(request, session)) is not None:
            return refused
        if action == "delete" and confirm != "yes":
            return page(
                uow, request, session, status=422, error=CONFIRM_DELETE, confirm_delete=True
            )
        try:
            accounts.act(uow, session.portal_code, action, None if action == "delete" else form)
        except errors.NotFound as exc:
            if exc.message == "no such action":
                raise
            return page(uow, request, session, status=404, error=_explain(exc), form=form)
        except errors.Error as exc:
            return page(uow, request, session, status=422, error=_explain(exc), form=form)
        done = {
            "register": "登録しました / Registered.",
            "change": "変更しました / Changed.",
            "delete": "登録を抹消しました / Deleted.",
        }[action]
        return page(uow, request, session, done=done)

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
