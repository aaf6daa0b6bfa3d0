"""The 公金受取口座 registry (``/accounts``, Digital Agency).

- ``POST /api/bank-counter/{register,change,delete}`` (a bank, signed): at the counter, with
  the My Number in the body as the real counter route does; the account registered, changed
  to or deleted must be at that bank;
- ``POST /api/portal/{register,change,delete}`` (Mynaportal, signed): for the person logged
  in, identified by a registration handle the portal got through the hub
  (:mod:`mynumber.orgs.accounts.handles`), never by a code of the portal's or a My Number;
- ``POST /intermediate/provide`` (the hub only): a paying agency's request for the person's
  ``public_fund_account``, sealed to it — agencies never ask by My Number;
- ``POST /intermediate/provide-bulk`` (the hub only): the same for up to 10^5 people at once
  (a benefit run), ``{"results": [{"bank_code", "branch_code", "deposit_type", "number",
  "holder_kana"} | null, …]}`` in the order of the codes, sealed to the paying agency.

Every route is signed by the organisation it serves, except ``GET /healthz`` (public); the
registry has no staff route (its operator role is kept for corrections to come).

The registry keeps its own agency code for each person (enrolled through J-LIS and the hub),
never a My Number. Nothing here, or at any bank, offers a balance or a transaction.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from mynumber import errors
from mynumber.orgs.accounts import handles, store
from mynumber.orgs.accounts.model import ROLES
from mynumber.orgs.accounts.services import ITEM, Account, AccountRegistry, bank_org
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.http import ServiceClient
from mynumber.platform.intermediate import (
    IntermediateServer,
    ProvideBulkIn,
    ProvideIn,
    provide_bulk_router,
    provide_router,
)
from mynumber.platform.policy import public
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, signed_by

ORG = "accounts"


class AccountIn(BaseModel):
    # lengths are loose here so that the domain checks say exactly what is wrong
    bank_code: str = Field(max_length=16)
    branch_code: str = Field(max_length=16)
    deposit_type: str = Field(default="1", max_length=16, description="1 普通, 2 当座, 4 貯蓄")
    account_number: str = Field(max_length=16)
    holder_kana: str = Field(
        max_length=60, repr=False, description="口座名義: the registrant's own name in kana"
    )

    def checked(self) -> Account:
        return Account.checked(
            bank_code=self.bank_code,
            branch_code=self.branch_code,
            deposit_type=self.deposit_type,
            number=self.account_number,
            holder_kana=self.holder_kana,
        )


class CounterIn(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    account: AccountIn


class CounterDeleteIn(BaseModel):
    my_number: str = Field(repr=False, max_length=14)


class PortalIn(BaseModel):
    handle: str = Field(max_length=200, description="from the hub: registration_handle")
    account: AccountIn


class PortalDeleteIn(BaseModel):
    handle: str = Field(max_length=200)


class RegistrationOut(BaseModel):
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    deposit_type: str
    account_number: str
    holder_kana: str
    channel: str
    registered_at: datetime
    updated_at: datetime


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.accounts.migrations")
    server = IntermediateServer.of(ctx, frozenset({ITEM, handles.ITEM}))

    def enrol(numbers: list[str]) -> list[str | None]:
        codes = server.codes(numbers)
        return [codes[n] for n in numbers]

    def ask_bank(code: str, body: dict[str, str]) -> dict[str, Any]:
        org = bank_org(code)
        if org not in ctx.directory.urls:
            raise errors.InvalidInput(
                f"bank {code} is not connected to the registry",
                field="bank_code",
                code="bank_not_connected",
            )
        return dict(
            ServiceClient(ctx.directory, org, ctx.identity).request(
                "POST", "/api/accounts/verify", body
            )
        )

    registry = AccountRegistry(engine=engine, enrol=enrol, ask_bank=ask_bank)
    handle = handles.Handles(secret_bytes(ctx.settings.data_dir / ORG / "handle.key"))
    from_bank = Depends(signed_by(lambda org: org.startswith("bank-"), who="a bank"))
    from_portal = Depends(signed_by(lambda org: org == "portal", who="Mynaportal"))

    app = new_app(
        title="公金受取口座登録システム (public-fund account registry)",
        description="デジタル庁: one account per person, in the person's own name, checked "
        "with the bank; paying agencies get it through the linkage hub, never by My Number.",
    )

    def at_this_bank(caller: str, account: Account) -> Account:
        if bank_org(account.bank_code) != caller:
            raise errors.Forbidden(
                "a bank registers accounts held at itself only", code="not_this_bank"
            )
        return account

    @app.post("/api/portal/register", response_model=RegistrationOut, status_code=201)
    def portal_register(body: PortalIn, _: Annotated[str, from_portal]) -> RegistrationOut:
        """マイナポータルからの登録, for the person behind the handle."""
        account = body.account.checked()
        code = handle.code_of(body.handle)
        return RegistrationOut(**registry.register(code, account, channel="portal"))

    @app.post("/api/portal/change", response_model=RegistrationOut)
    def portal_change(body: PortalIn, _: Annotated[str, from_portal]) -> RegistrationOut:
        """マイナポータルからの変更."""
        account = body.account.checked()
        code = handle.code_of(body.handle)
        return RegistrationOut(**registry.change(code, account, channel="portal"))

    @app.post("/api/portal/delete", status_code=204)
    def portal_delete(body: PortalDeleteIn, _: Annotated[str, from_portal]) -> None:
        """マイナポータルからの抹消."""
        registry.delete(handle.code_of(body.handle))

    @app.post("/api/bank-counter/register", response_model=RegistrationOut, status_code=201)
    def counter_register(body: CounterIn, caller: Annotated[str, from_bank]) -> RegistrationOut:
        """金融機関窓口での登録: the person's own account at this bank."""
        account = at_this_bank(caller, body.account.checked())
        code = registry.code_for(body.my_number)
        return RegistrationOut(**registry.register(code, account, channel="bank_counter"))

    @app.post("/api/bank-counter/change", response_model=RegistrationOut)
    def counter_change(body: CounterIn, caller: Annotated[str, from_bank]) -> RegistrationOut:
        """金融機関窓口での変更: replace the registered account with one at this bank."""
        account = at_this_bank(caller, body.account.checked())
        code = registry.code_for(body.my_number)
        return RegistrationOut(**registry.change(code, account, channel="bank_counter"))

    @app.post("/api/bank-counter/delete", status_code=204)
    def counter_delete(body: CounterDeleteIn, caller: Annotated[str, from_bank]) -> None:
        """金融機関窓口での抹消: only an account held at this bank."""
        registry.delete(registry.code_for(body.my_number), at_bank=caller)

    def account_of(code: str, items: frozenset[str]) -> dict[str, Any] | None:
        """情報提供: the registered account (None: not registered) and, for the portal's
        row only (the hub's table decides), a registration handle for the person."""
        try:
            shown = registry.show(code)
        except errors.NotFound:
            if handles.ITEM not in items:
                return None
            shown = None
        data: dict[str, Any] = {}
        if ITEM in items:
            data[ITEM] = None
            if shown is not None:
                account = {k: v for k, v in shown.items() if k not in ("registered_at", "channel")}
                data[ITEM] = account | {"updated_at": shown["updated_at"].isoformat()}
        if handles.ITEM in items:
            data[handles.ITEM] = handle.issue(code)
        return data

    def provide(request: ProvideIn) -> str:
        return server.answer(request, account_of)

    app.include_router(provide_router(ctx, provide))

    def accounts_of(codes: list[str], items: frozenset[str]) -> dict[str, Any]:
        """一括情報提供 for a national payment: the account alone (no handle in bulk)."""
        if items != {ITEM}:
            raise errors.InvalidInput(f"a bulk request may ask for {ITEM} only", field="items")
        return registry.accounts_of(codes)

    def provide_bulk(request: ProvideBulkIn) -> str:
        return server.answer_bulk(request, accounts_of)

    app.include_router(provide_bulk_router(ctx, provide_bulk))

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.registrations))
        return {"org": ORG, "ok": True, "registered": count}

    app.state.engine = engine
    app.state.registry = registry
    app.state.health = healthz
    install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    return app
