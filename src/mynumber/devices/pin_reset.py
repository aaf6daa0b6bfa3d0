"""The device side of a PIN reset: the counter's reader, the phone's 「JPKI暗証番号リセット」
app and the convenience-store kiosk. The new PIN goes only to the card.

- :func:`prove`: the card signs J-LIS's challenge with the *other* JPKI key after its PIN.
- :func:`read_photo` and :func:`face_score`: the phone reads the chip's photo (券面AP,
  opened with PIN B — photographing the card gives the app its digits) and matches a live
  picture against it. The matcher here is a stand-in (this project's simulation): the
  share of equal bytes, 1.0 for the same image.
- :func:`set_pin`: J-LIS answers the chip's challenge (:meth:`IssuerSession.open_authorised`)
  and the device sets the new PIN on the chip (RESET RETRY COUNTER, tries refilled).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from mynumber.reader import IssuerSession, JPKIClient, KeyKind, PinRef, Transport, cardfiles, codes

#: Which PIN each name means, and the other key whose PIN proves the holder at a kiosk.
PINS = {
    "auth": PinRef.JPKI_AUTH,
    "sign": PinRef.JPKI_SIGN,
    "text": PinRef.TEXT,
    "juki": PinRef.JUKI,
}
OTHER_KEY = {"auth": KeyKind.SIGN, "sign": KeyKind.AUTH}


def prove(client: JPKIClient, challenge: bytes, *, key: KeyKind, pin: str) -> dict[str, str]:
    """The card's proof for J-LIS: ``key``'s certificate and signature over ``challenge``."""
    signature = client.sign(key, challenge, pin=pin)
    certificate = client.read_certificate(key)
    return {
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(signature).decode(),
        "certificate": base64.b64encode(certificate).decode(),
    }


def read_photo(client: JPKIClient, pin_b: str) -> bytes:
    """The chip photo from the 券面AP, opened with PIN B (birth date, expiry year, code)."""
    client.verify_pin(PinRef.VISUAL_B, pin_b)
    client.select_ef(codes.EF_VISUAL_FACE)
    return cardfiles.decode_card_face(client.read_tlv_file()).photo


def face_score(live: bytes, photo: bytes) -> float:
    """A stand-in face matcher: the share of equal bytes of the two images (1.0: the same)."""
    if not live or not photo:
        return 0.0
    same = sum(a == b for a, b in zip(live, photo, strict=False))
    return same / max(len(live), len(photo))


def set_pin(
    transport: Transport, pin: str, new: str, *, authorise: Callable[[bytes], bytes]
) -> None:
    """Open the issuer session with J-LIS's answer to the chip's challenge; set ``new``."""
    session = IssuerSession.open_authorised(transport, authorise=authorise)
    session.set_pin(PINS[pin], new)
