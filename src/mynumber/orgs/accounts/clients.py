"""The registry's calls to other organisations: a bank, asked whether an account exists,
is open and is held in the registrant's own name."""

from __future__ import annotations

from typing import Any

from mynumber import errors
from mynumber.orgs.accounts.model import bank_org
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient


class Banks:
    """The banks connected to the registry (those in the directory)."""

    def __init__(self, ctx: OrgContext) -> None:
        self._ctx = ctx

    def ask(self, code: str, body: dict[str, str]) -> dict[str, Any]:
        """``POST /api/accounts/verify`` at bank ``code``: ``{"ok": …, "reason": …}``."""
        org = bank_org(code)
        if org not in self._ctx.directory.urls:
            raise errors.InvalidInput(
                f"bank {code} is not connected to the registry",
                field="bank_code",
                code="bank_not_connected",
            )
        return dict(
            ServiceClient(self._ctx.directory, org, self._ctx.identity).request(
                "POST", "/api/accounts/verify", body
            )
        )
