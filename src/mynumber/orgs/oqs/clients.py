"""The eligibility system's calls out: J-LIS (the code behind a registered card, a card's
status, the auth root) — signed by us."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from mynumber.platform.context import OrgContext
from mynumber.platform.jlis_verifier import JlisVerifierClient


class Jlis(JlisVerifierClient):
    """J-LIS as the system sees it: ``/oqs/link``, ``/oqs/status`` and the JPKI roots."""

    def __init__(self, ctx: OrgContext, credential_path: Path) -> None:
        super().__init__(
            ctx.directory, ctx.identity, credential_path, register_path="/verifiers/staff"
        )

    def link(self, serial: str) -> str:
        """Our hub code for the holder of the auth certificate ``serial``."""
        return str(self.request("POST", "/oqs/link", {"serial": serial})["code"])

    def status(self, serial: str) -> tuple[str, str, str | None]:
        """(card status, certificate status, for a phone's certificate the card's auth
        serial it follows)."""
        answer = self.request("POST", "/oqs/status", {"serial": serial})
        followed = answer.get("card_serial")
        return (
            str(answer["card_status"]),
            str(answer["certificate_status"]),
            None if followed is None else str(followed),
        )

    def holder_matches(self, serial: str, *, name: str, sex: str, birth_date: str) -> bool:
        """本人確認判定: whether a copy's name, sex and birth date are the card holder's."""
        body = {"serial": serial, "name": name, "sex": sex, "birth_date": birth_date}
        return bool(self.request("POST", "/oqs/holder-check", body)["matches"])

    def root(self) -> x509.Certificate:
        return self.auth_ca()
