"""The police's calls out: J-LIS (the signing CA, OCSP as a 署名検証者, and the police's own
code at the hub for the holder of a signing certificate) and notices to Mynaportal
through the hub, each person named by the police's own code."""

from __future__ import annotations

from typing import Any

from cryptography import x509

from mynumber.platform.context import OrgContext
from mynumber.platform.deliveries import send
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient
from mynumber.platform.jlis_verifier import JlisVerifierClient

NOTICE = "police_notice"


class Jlis:
    """J-LIS as the police see it: a registered 署名検証者, and the licence link."""

    def __init__(self, ctx: OrgContext) -> None:
        self.verifier = JlisVerifierClient(
            ctx.directory,
            ctx.identity,
            ctx.settings.data_dir / "police" / "jlis-verifier.credential",
            register_path="/verifiers/police",  # 署名検証者
        )
        self.service = ServiceClient(ctx.directory, "jlis", ctx.identity)

    def sign_ca(self) -> x509.Certificate:
        return self.verifier.sign_ca()

    def ocsp(self, request_der: bytes) -> bytes:
        return self.verifier.ocsp(request_der, "sign")

    def hub_code(self, serial: str) -> str:
        """``POST /jlis/linkage/licence``: the police's code at the hub for the holder of
        the signing certificate ``serial``."""
        return str(self.service.request("POST", "/linkage/licence", {"serial": serial})["hub_code"])


class Portal:
    """Notices to the holder's Mynaportal inbox, through the hub."""

    def __init__(self, ctx: OrgContext, keys: EncryptionKeys) -> None:
        self.hub = ServiceClient(ctx.directory, "hub", ctx.identity)
        self.keys = keys

    def notify(self, codes: list[str], messages: list[dict[str, Any]]) -> list[bool]:
        result = send(
            self.hub,
            self.keys,
            procedure=NOTICE,
            recipient="portal",
            items=["notice"],
            codes=codes,
            messages=messages,
        )
        return result.accepted
