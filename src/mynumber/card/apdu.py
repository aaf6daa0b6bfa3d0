"""ISO 7816-4 APDUs, short and extended length: parse and build command and response APDUs
(ISO 7816-4 §5.1).

Cases: 1 ``CLA INS P1 P2``; 2 ``… Le``; 3 ``… Lc data``; 4 ``… Lc data Le``. In the short
form Lc and Le are one byte (``Le = 00`` means Ne = 256). In the extended form (cases 2E,
3E, 4E) the length fields start with a ``00`` byte: Le is ``00 Le1 Le2`` when there is no
data (``00 00 00`` means Ne = 65,536), Lc is ``00 Lc1 Lc2`` (1..65,535 bytes) and the Le
that follows data is two bytes (``00 00`` means 65,536). Any other length → ``67 00``
(wrong length).

The chip accepts both forms, as real My Number cards serve clients that read a whole EF
with one extended READ BINARY (``domain-reference.md`` §13; services-reference
"Corrections"). Its ATR (OpenSC's JPKI entry, no historical bytes) does not announce
extended lengths; answering them anyway is this project's reading of how real cards behave.
"""

from __future__ import annotations

from dataclasses import dataclass

from mynumber.card.codes import SW
from mynumber.card.errors import ApduError

__all__ = ["MAX_NC", "MAX_NE", "Command", "Response"]

_MAX_SHORT_NC = 255
_MAX_SHORT_NE = 256
#: Largest command data and expected length of an extended APDU.
MAX_NC = 65_535
MAX_NE = 65_536


@dataclass(frozen=True, slots=True)
class Command:
    """A command APDU. ``le`` is Ne or None; ``data`` may hold a PIN (masked in ``repr``).

    ``extended`` is True when the APDU used (or is to use) extended length fields; short
    APDUs carry at most 255 data bytes and Ne ≤ 256, extended ones 65,535 and 65,536.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ApduError(f"{name} must be one byte", status_word=SW.WRONG_DATA)
        max_nc, max_ne = (MAX_NC, MAX_NE) if self.extended else (_MAX_SHORT_NC, _MAX_SHORT_NE)
        if len(self.data) > max_nc:
            raise ApduError(f"APDU data is at most {max_nc} bytes", status_word=SW.WRONG_LENGTH)
        if self.le is not None and not 1 <= self.le <= max_ne:
            raise ApduError(f"APDU Ne is 1..{max_ne}", status_word=SW.WRONG_LENGTH)

    @property
    def case(self) -> int:
        """ISO 7816-4 case 1..4 (the same number for the short and the extended form)."""
        if self.data:
            return 3 if self.le is None else 4
        return 1 if self.le is None else 2

    @classmethod
    def from_bytes(cls, raw: bytes) -> Command:
        """Parse a short or extended C-APDU; raises :class:`ApduError` (``67 00``) when
        malformed."""
        n = len(raw)
        if n < 4:
            raise ApduError("APDU shorter than its header", status_word=SW.WRONG_LENGTH)
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:  # case 1
            return cls(cla, ins, p1, p2)
        if n == 5:  # case 2S
            return cls(cla, ins, p1, p2, le=raw[4] or _MAX_SHORT_NE)
        if raw[4] != 0:  # cases 3S and 4S
            lc = raw[4]
            if n == 5 + lc:
                return cls(cla, ins, p1, p2, bytes(raw[5:]))
            if n == 6 + lc:
                return cls(cla, ins, p1, p2, bytes(raw[5:-1]), raw[-1] or _MAX_SHORT_NE)
            raise ApduError("Lc does not match the APDU length", status_word=SW.WRONG_LENGTH)
        if n == 7:  # case 2E: 00 Le1 Le2
            return cls(cla, ins, p1, p2, le=_extended_ne(raw[5:7]), extended=True)
        if n < 8:
            raise ApduError("truncated extended length", status_word=SW.WRONG_LENGTH)
        lc = int.from_bytes(raw[5:7], "big")
        if lc == 0:
            raise ApduError("extended Lc of zero", status_word=SW.WRONG_LENGTH)
        if n == 7 + lc:  # case 3E
            return cls(cla, ins, p1, p2, bytes(raw[7:]), extended=True)
        if n == 9 + lc:  # case 4E
            return cls(cla, ins, p1, p2, bytes(raw[7:-2]), _extended_ne(raw[-2:]), extended=True)
        raise ApduError("Lc does not match the APDU length", status_word=SW.WRONG_LENGTH)

    def to_bytes(self) -> bytes:
        out = bytes((self.cla, self.ins, self.p1, self.p2))
        extended = (
            self.extended
            or len(self.data) > _MAX_SHORT_NC
            or (self.le is not None and self.le > _MAX_SHORT_NE)
        )
        if not extended:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.le is not None:
                out += bytes((self.le & 0xFF,))
            return out
        if self.data:
            out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
        if self.le is not None:
            le = (self.le & 0xFFFF).to_bytes(2, "big")
            out += le if self.data else b"\x00" + le
        return out

    def __repr__(self) -> str:
        return (
            f"Command(cla=0x{self.cla:02X}, ins=0x{self.ins:02X}, p1=0x{self.p1:02X}, "
            f"p2=0x{self.p2:02X}, data=<{len(self.data)} bytes>, le={self.le}, "
            f"extended={self.extended})"
        )


def _extended_ne(two: bytes) -> int:
    return int.from_bytes(two, "big") or MAX_NE


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
