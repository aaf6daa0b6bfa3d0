"""J-LIS's calls to other organisations: the linkage hub, asked for agency codes."""

from __future__ import annotations

from mynumber.platform.http import ServiceClient


class HubCodesClient(ServiceClient):
    """The hub, signed as J-LIS."""

    def codes(self, agency: str, acquisition: list[str]) -> list[str]:
        """``POST /codes``: the agency's codes for 取得番号, in their order."""
        body = {"agency": agency, "acquisition": acquisition}
        return list(self.request("POST", "/codes", body)["codes"])
