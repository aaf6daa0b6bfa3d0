"""The port between the host-side clients and a card: bytes in, bytes out."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Transport"]


class Transport(Protocol):
    """Send one C-APDU, get the R-APDU (data + SW1 SW2).

    Implemented by :class:`mynumber.card.ChipTransport` (in process),
    :class:`mynumber.reader.PCSCTransport` (a real or virtual PC/SC reader), or anything
    with the same method (a phone bridge, a test double).
    """

    def transmit(self, apdu: bytes) -> bytes: ...
