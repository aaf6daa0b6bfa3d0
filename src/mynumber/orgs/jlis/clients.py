"""J-LIS's calls to other organisations: the linkage hub, asked for agency codes."""

from __future__ import annotations

from typing import Any

from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.signing import Identity


class HubCodesClient(ServiceClient):
    """The hub, signed as J-LIS."""

    def codes(self, agency: str, acquisition: list[str]) -> list[str]:
        """``POST /codes``: the agency's codes for 取得番号, in their order."""
        body = {"agency": agency, "acquisition": acquisition}
        return list(self.request("POST", "/codes", body)["codes"])


class KioskRelayClient(ServiceClient):
    """A municipality's コンビニ交付 system, as J-LIS's 証明書交付センター relays to it."""

    def issue(self, request: dict[str, object]) -> dict[str, Any]:
        """``POST /api/kiosk/issue``: the certificate (PDF, base64) and its fee, or an error."""
        return dict(self.request("POST", "/api/kiosk/issue", request))


class MunicipalityClients:
    """The municipalities, signed as J-LIS: the current four items of a card's holder
    (:mod:`mynumber.orgs.municipality.holder_items`)."""

    def __init__(self, directory: Directory, identity: Identity) -> None:
        self.directory = directory
        self.identity = identity

    def holder_items(self, municipality: str, manufacture_number: str) -> dict[str, Any]:
        client = ServiceClient(self.directory, f"municipality-{municipality}", self.identity)
        body = {"manufacture_number": manufacture_number}
        return dict(client.request("POST", "/api/jlis/holder-items", body))
