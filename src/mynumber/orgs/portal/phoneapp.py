"""What the Mynaportal app does with the card (domain-reference §4.5, MPA mode ``01``):
verify the auth PIN, sign the server's challenge with the user-authentication key, and
return the signature with the auth certificate. Shared by ``mynumber phone login``, the
``mynumber reader serve`` helper and the simulated phone page."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from mynumber.reader import JPKIClient, KeyKind


@dataclass(frozen=True, slots=True)
class CardAnswer:
    signature: bytes
    certificate: bytes

    def to_json(self, *, via: str) -> dict[str, str]:
        return {
            "signature": base64.b64encode(self.signature).decode(),
            "certificate": base64.b64encode(self.certificate).decode(),
            "via": via,
        }


def sign_challenge(client: JPKIClient, challenge: bytes, *, pin: str) -> CardAnswer:
    """Raises :class:`mynumber.reader.PinIncorrect` (``tries_left``) or ``PinBlocked``."""
    signature = client.sign(KeyKind.AUTH, challenge, pin=pin)
    return CardAnswer(signature, client.read_certificate(KeyKind.AUTH))
