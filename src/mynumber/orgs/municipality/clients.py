"""The municipality's typed clients of other organisations, and the ports the registry uses
(:class:`JlisIssuer`, :class:`PeerMunicipality`), so a service test can hand it fakes."""

from __future__ import annotations

from typing import Any, Protocol

from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.signing import Identity


class JlisIssuer(Protocol):
    """What the resident registry asks of J-LIS."""

    def reserve_and_number(self, codes: list[str]) -> dict[str, str]: ...

    def reissue_number(self, code: str, old_number: str, reason: str) -> str: ...

    def issue_card(self, application: dict[str, Any]) -> dict[str, Any]: ...

    def revoke_signing(self, manufacture_number: str, reason: str) -> None: ...

    def suspend_card(self, manufacture_number: str, reason: str) -> None: ...


class PeerMunicipality(Protocol):
    """What the resident registry asks of the municipality a resident moves to."""

    def reachable(self) -> bool: ...

    def move_in(self, transfer: dict[str, Any]) -> list[dict[str, Any]]: ...


class JlisIssuanceClient(ServiceClient):
    """J-LIS as the issuer the municipality calls: resident codes reserved nationwide, My
    Numbers generated from them, cards made, their certificates revoked or suspended."""

    def __init__(self, directory: Directory, identity: Identity) -> None:
        super().__init__(directory, "jlis", identity)

    def reserve_and_number(self, codes: list[str]) -> dict[str, str]:
        """Reserve fresh codes and get their numbers in one call; taken codes are left out."""
        answer = self.request("POST", "/numbers", {"resident_codes": codes, "reserve": True})
        return {c: n for c, n in zip(codes, answer["numbers"], strict=True) if n is not None}

    def reissue_number(self, code: str, old_number: str, reason: str) -> str:
        body = {"resident_code": code, "old_number": old_number, "reason": reason}
        return str(self.request("POST", "/numbers/reissue", body)["number"])

    def issue_card(self, application: dict[str, Any]) -> dict[str, Any]:
        """交付: J-LIS makes the card (items, My Number, PINs in; card image and summary out)."""
        return dict(self.request("POST", "/cards", application))

    def revoke_signing(self, manufacture_number: str, reason: str) -> None:
        """A basic item changed: J-LIS revokes the card's signing certificate."""
        self.request("POST", f"/cards/{manufacture_number}/revoke-signing", {"reason": reason})

    def suspend_card(self, manufacture_number: str, reason: str) -> None:
        """The card is no longer valid (e.g. its holder died): all its certificates go."""
        self.request("POST", f"/cards/{manufacture_number}/suspend", {"reason": reason})


class PeerMunicipalityClient(ServiceClient):
    """Another municipality, to which a resident moves (転出 → 転入)."""

    def __init__(self, directory: Directory, identity: Identity, code: str) -> None:
        super().__init__(directory, f"municipality-{code}", identity)

    def reachable(self) -> bool:
        """Whether this deployment serves that municipality at all."""
        return self.org in self.directory.urls

    def move_in(self, transfer: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.request("POST", "/api/move-in", transfer)["residents"])


class LgpkiClient(ServiceClient):
    """J-LIS as the LGPKI operator: the mayor's 職責証明書 (the key stays here)."""

    def __init__(self, directory: Directory, identity: Identity) -> None:
        super().__init__(directory, "jlis", identity)

    def official(self, body: dict[str, str]) -> dict[str, str]:
        """``POST /lgpki/officials``: {certificate_pem, ca_pem}."""
        return dict(self.request("POST", "/lgpki/officials", body))
