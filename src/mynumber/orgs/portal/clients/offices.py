"""The portal's clients of the public-fund account registry (公金受取口座登録システム) and
the benefits office, each signed with the portal's identity."""

from __future__ import annotations

from typing import Any

from mynumber.platform.http import ServiceClient


class AccountRegistryClient:
    """The registry's portal routes: register, change or delete a person's account with a
    registration handle the hub gave the portal (the registry's code stays unknown)."""

    def __init__(self, registry: ServiceClient) -> None:
        self.registry = registry

    def act(self, action: str, *, handle: Any, account: dict[str, str] | None = None) -> None:
        body: dict[str, Any] = {"handle": handle}
        if account is not None:
            body["account"] = account
        self.registry.request("POST", f"/api/portal/{action}", body)


class BenefitOfficeClient:
    """The benefits office's public description of a programme."""

    def __init__(self, office: ServiceClient) -> None:
        self.office = office

    def programme(self, programme_id: str) -> dict[str, Any]:
        return dict(self.office.request("GET", f"/api/programmes/{programme_id}"))
