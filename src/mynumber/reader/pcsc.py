"""A PC/SC reader (real, or vpcd's virtual one) as a :class:`Transport`, via pyscard.

pyscard is imported when a transport is made, not when this module is imported, so the
rest of the reader package works where pyscard is not installed.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from mynumber.reader.errors import TransportError

__all__ = ["PCSCTransport", "list_readers"]


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows."""
    try:
        from smartcard.System import readers
    except ImportError as exc:
        raise TransportError("pyscard is not installed (pip install pyscard)") from exc
    try:
        return [str(r) for r in readers()]
    except Exception as exc:  # pyscard raises its own classes, or plain Exception
        raise TransportError("cannot list PC/SC readers (is pcscd running?)") from exc


class PCSCTransport:
    """Connect to the card in the first reader whose name contains ``reader``."""

    def __init__(self, reader: str | None = None) -> None:
        try:
            from smartcard.System import readers
        except ImportError as exc:
            raise TransportError("pyscard is not installed (pip install pyscard)") from exc
        try:
            candidates = [r for r in readers() if reader is None or reader in str(r)]
        except Exception as exc:
            raise TransportError("cannot list PC/SC readers (is pcscd running?)") from exc
        if not candidates:
            raise TransportError("no matching PC/SC reader")
        self.reader_name = str(candidates[0])
        self._connection: Any = candidates[0].createConnection()
        try:
            self._connection.connect()
        except Exception as exc:
            raise TransportError(f"no card in {self.reader_name}") from exc

    def transmit(self, apdu: bytes) -> bytes:
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except Exception as exc:
            raise TransportError(f"transmit failed on {self.reader_name}") from exc
        return bytes(data) + bytes((sw1, sw2))

    def atr(self) -> bytes:
        return bytes(self._connection.getATR())

    def close(self) -> None:
        try:
            self._connection.disconnect()
        except Exception as exc:
            raise TransportError("disconnect failed") from exc

    def __enter__(self) -> PCSCTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PCSCTransport({self.reader_name!r})"
