"""What the Mynaportal app does with the card (domain-reference §4.5): sign a login
challenge with the user-authentication key after the auth PIN (MPA mode ``01``), and sign
a detached CMS over exact bytes with the signing key after the signing password. The phone's
own credential (スマホ用電子証明書) does both as the card does (services-reference §3: the
phone is usable where the card is)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

from mynumber.reader import KeyKind
from mynumber.reader.cms import SigningToken, sign_detached


class JPKIToken(Protocol):
    """What signs a login: the card (:class:`mynumber.reader.JPKIClient`) or the phone's own
    credential (:class:`mynumber.devices.phone.credential.PhoneCredential`)."""

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes: ...

    def read_certificate(self, kind: KeyKind) -> bytes: ...


@dataclass(frozen=True, slots=True)
class CardAnswer:
    """The card's answer to a login challenge: the signature and the auth certificate."""

    signature: bytes
    certificate: bytes

    def to_json(self, *, via: str) -> dict[str, str]:
        return {
            "signature": base64.b64encode(self.signature).decode(),
            "certificate": base64.b64encode(self.certificate).decode(),
            "via": via,
        }


def sign_challenge(client: JPKIToken, challenge: bytes, *, pin: str) -> CardAnswer:
    """Raises :class:`mynumber.reader.PinIncorrect` (``tries_left``) or ``PinBlocked``."""
    signature = client.sign(KeyKind.AUTH, challenge, pin=pin)
    return CardAnswer(signature, client.read_certificate(KeyKind.AUTH))


def sign_document(client: SigningToken, data: bytes, *, password: str) -> bytes:
    """DER detached CMS SignedData over ``data`` with the signing key of the card (either
    generation) or of the phone's own credential; raises
    ``PinIncorrect``, ``PinBlocked`` or ``InvalidPin`` before anything is signed."""
    return sign_detached(client, data, password=password)
