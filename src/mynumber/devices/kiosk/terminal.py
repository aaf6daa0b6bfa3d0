"""The kiosk's logic: open a session at J-LIS's 証明書交付センター, let the card sign the
challenge after the PIN (a wrong PIN counts down on the card; nothing is sent), send the
signature, the auth certificate and the person's choice, and get the signed PDF back.

Requests to J-LIS are signed with the store chain's key (``DATA/keys/kiosk-<chain>.pem``,
a demo value); the stores and chains are this project's fictional ones."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx

from mynumber.devices.phone.card import JPKIToken, sign_challenge
from mynumber.errors import InvalidInput
from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.signing import Identity


@dataclass(frozen=True, slots=True)
class Store:
    id: str
    chain: str  # the signing identity, kiosk-<chain>
    name: str


STORES = {
    s.id: s
    for s in (
        Store("sunrise-0001", "kiosk-sunrise", "サンライズマート 丸の内店"),
        Store("sunrise-0002", "kiosk-sunrise", "サンライズマート 西新宿店"),
        Store("moon-0001", "kiosk-moon", "ムーンシティ 大手町店"),
    )
}

CERTIFICATES = {
    "juminhyo": "住民票の写し",
    "juminhyo-kisai": "住民票記載事項証明書",
    "inkan": "印鑑登録証明書",
    "shotoku": "所得・課税証明書",
    "koseki": "戸籍全部事項証明書",
    "koseki-fuhyo": "戸籍の附票の写し",
}


@dataclass(frozen=True, slots=True)
class Issued:
    pdf: bytes
    fee_yen: int
    verification_code: str
    municipality: str
    certificate: str


@dataclass
class Choice:
    """What the person chose on the screen."""

    certificate: str
    members: str = "self"
    member_names: list[str] = field(default_factory=list)
    honseki: str | None = None
    options: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.certificate not in CERTIFICATES:
            raise InvalidInput("unknown certificate", field="certificate")
        if self.members not in ("self", "all"):
            raise InvalidInput("members is self or all", field="members")


class Kiosk:
    """One store's machine, talking to J-LIS at ``jlis_url`` with ``http``."""

    def __init__(self, store: Store, *, jlis_url: str, http: httpx.Client, identity: Identity):
        self.store = store
        self.center = ServiceClient(Directory({"jlis": jlis_url}, http), "jlis", identity)

    def issue(self, card: JPKIToken, *, pin: str, choice: Choice) -> Issued:
        """The certificate, or raises: ``PinIncorrect``/``PinBlocked``/``InvalidPin`` from the
        card or the phone's own credential (before anything is sent), or the refusal J-LIS
        or the municipality gave."""
        session = self.center.request("POST", "/kiosk/sessions")
        answer = sign_challenge(card, base64.b64decode(session["challenge"]), pin=pin)
        body = {
            "session": session["session"],
            "store": self.store.id,
            "signature": base64.b64encode(answer.signature).decode(),
            "certificate_der": base64.b64encode(answer.certificate).decode(),
            "certificate": choice.certificate,
            "members": choice.members,
            "member_names": choice.member_names,
            "honseki": choice.honseki,
            "options": choice.options,
        }
        done = self.center.request("POST", "/kiosk/requests", body)
        return Issued(
            pdf=base64.b64decode(done["pdf"]),
            fee_yen=int(done["fee_yen"]),
            verification_code=str(done["verification_code"]),
            municipality=str(done["municipality"]),
            certificate=str(done["certificate"]),
        )
