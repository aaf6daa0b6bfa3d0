"""公金受取口座 on Mynaportal (``/account``): see, register, change, delete.

The portal asks the hub, under its own code for the person and the row
``public_fund_account_self_service``, for the registered account and a registration handle
the registry seals to it; it then calls the registry's portal routes with a fresh handle
(``POST /accounts/api/portal/{register,change,delete}``). Neither the portal nor the hub
learns the registry's code; the registry's refusals (a family member's name, a closed
account, an unknown bank) are shown on the page.
"""

from __future__ import annotations

from typing import Any

from mynumber import errors
from mynumber.orgs.portal.clients.offices import AccountRegistryClient
from mynumber.orgs.portal.services.self_information import HubLink
from mynumber.platform.uow import UnitOfWork

PROCEDURE = "public_fund_account_self_service"
ITEMS = ["public_fund_account", "registration_handle"]
ACTIONS = ("register", "change", "delete")


class PublicFundAccounts:
    """The person's 公金受取口座, through the hub and the registry's portal routes."""

    def __init__(self, *, link: HubLink, registry: AccountRegistryClient) -> None:
        self.link = link
        self.registry = registry

    def _self_service(self, uow: UnitOfWork, portal_code: str) -> dict[str, Any]:
        return dict(
            self.link.ask(uow, portal_code, procedure=PROCEDURE, provider="accounts", items=ITEMS)
        )

    def show(self, uow: UnitOfWork, portal_code: str) -> dict[str, Any] | None:
        """The registered account (None: none registered)."""
        account = self._self_service(uow, portal_code)["public_fund_account"]
        return None if account is None else dict(account)

    def act(
        self, uow: UnitOfWork, portal_code: str, action: str, account: dict[str, str] | None = None
    ) -> None:
        """Register, change or delete, with a handle fresh from the hub."""
        if action not in ACTIONS:
            raise errors.NotFound("no such action")
        handle = self._self_service(uow, portal_code)["registration_handle"]
        self.registry.act(
            action, handle=handle, account=None if action == "delete" else (account or {})
        )
