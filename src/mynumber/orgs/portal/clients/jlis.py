"""The portal's client of J-LIS: a registered verifier (利用者証明検証者: CA certificates,
OCSP) that also asks for the serial → portal-code link."""

from __future__ import annotations

from pathlib import Path

from mynumber.platform.http import Directory
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.signing import Identity


class JlisPortalClient(JlisVerifierClient):
    """J-LIS as the portal calls it: a registered verifier, and J-LIS's ``/portal`` link."""

    def __init__(self, directory: Directory, identity: Identity, credential_path: Path) -> None:
        super().__init__(directory, identity, credential_path, register_path="/portal/verifier")

    def resolve(self, serial: str) -> dict[str, str]:
        """開示システム用符号 of the holder of an auth certificate serial."""
        return dict(self.request("POST", "/portal/resolve", {"serial": serial}))

    def hub_code(self, serial: str) -> str:
        """The portal's code at the linkage hub for the holder of an auth serial."""
        return str(self.request("POST", "/portal/codes", {"serial": serial})["hub_code"])
