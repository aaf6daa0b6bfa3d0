"""In-process transport: hand APDUs straight to a chip (no reader, no pcscd)."""

from __future__ import annotations

from mynumber.card.chip import Chip

__all__ = ["ChipTransport"]


class ChipTransport:
    """``transmit(apdu) -> rapdu`` over a :class:`Chip` in this process.

    It satisfies :class:`mynumber.reader.Transport`; ``reset()`` models pulling the card
    out and putting it back (verified PINs and the admin session are lost).
    """

    def __init__(self, chip: Chip) -> None:
        self.chip = chip

    def transmit(self, apdu: bytes) -> bytes:
        return self.chip.transmit(apdu)

    def reset(self) -> None:
        self.chip.reset()

    def __repr__(self) -> str:
        return f"ChipTransport({self.chip!r})"
