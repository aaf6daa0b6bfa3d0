"""ISO 7816-4 short APDUs: parse and build command and response APDUs (ISO 7816-4 §5.1).

Cases: 1 ``CLA INS P1 P2``; 2 ``… Le``; 3 ``… Lc data``; 4 ``… Lc data Le``. ``Le = 00``
means 256 (``Ne``). The chip supports **short length only** and does not announce
extended lengths in its ATR, so an extended-length APDU (``Lc``/``Le`` starting with a
``00`` byte, total length > 5) is answered ``67 00`` (wrong length), as is any length
inconsistency.
"""

from __future__ import annotations

from dataclasses import dataclass

from mynumber.card.codes import SW
from mynumber.card.errors import ApduError

__all__ = ["Command", "Response"]

_MAX_NC = 255
_MAX_NE = 256


@dataclass(frozen=True, slots=True)
class Command:
    """A command APDU. ``le`` is Ne (1..256) or None; ``data`` may hold a PIN (masked)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ApduError(f"{name} must be one byte", status_word=SW.WRONG_DATA)
        if len(self.data) > _MAX_NC:
            raise ApduError("short APDU data is at most 255 bytes", status_word=SW.WRONG_LENGTH)
        if self.le is not None and not 1 <= self.le <= _MAX_NE:
            raise ApduError("short APDU Le is 1..256", status_word=SW.WRONG_LENGTH)

    @property
    def case(self) -> int:
        """ISO 7816-4 case 1..4."""
        if self.data:
            return 3 if self.le is None else 4
        return 1 if self.le is None else 2

    @classmethod
    def from_bytes(cls, raw: bytes) -> Command:
        """Parse a short C-APDU; raises :class:`ApduError` (``67 00``) when malformed."""
        n = len(raw)
        if n < 4:
            raise ApduError("APDU shorter than its header", status_word=SW.WRONG_LENGTH)
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:
            return cls(cla, ins, p1, p2)
        if n == 5:
            return cls(cla, ins, p1, p2, le=raw[4] or _MAX_NE)
        lc = raw[4]
        if lc == 0:
            raise ApduError("extended-length APDU not supported", status_word=SW.WRONG_LENGTH)
        if n == 5 + lc:
            return cls(cla, ins, p1, p2, bytes(raw[5:]))
        if n == 6 + lc:
            return cls(cla, ins, p1, p2, bytes(raw[5:-1]), raw[-1] or _MAX_NE)
        raise ApduError("Lc does not match the APDU length", status_word=SW.WRONG_LENGTH)

    def to_bytes(self) -> bytes:
        out = bytes((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            out += bytes((len(self.data),)) + self.data
        if self.le is not None:
            out += bytes((self.le & 0xFF,))
        return out

    def __repr__(self) -> str:
        return (
            f"Command(cla=0x{self.cla:02X}, ins=0x{self.ins:02X}, p1=0x{self.p1:02X}, "
            f"p2=0x{self.p2:02X}, data=<{len(self.data)} bytes>, le={self.le})"
        )


@dataclass(frozen=True, slots=True)
class Response:
    """A response APDU: data then SW1 SW2."""

    sw: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.sw <= 0xFFFF:
            raise ApduError("status word is two bytes", status_word=SW.NO_PRECISE_DIAGNOSIS)

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @classmethod
    def from_bytes(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ApduError("R-APDU shorter than a status word", status_word=SW.WRONG_LENGTH)
        return cls(int.from_bytes(raw[-2:], "big"), bytes(raw[:-2]))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    def __repr__(self) -> str:
        return f"Response(sw=0x{self.sw:04X}, data=<{len(self.data)} bytes>)"
