"""Put a chip into pcscd through vsmartcard's ``vpcd`` reader driver (card side).

vpcd (inside pcscd) listens on TCP 35963 for reader ``Virtual PCD 00 00`` and 35964 for
``Virtual PCD 00 01``; the card is the TCP **client**. Each message, both ways, is a
2-byte big-endian length then the payload. A 1-byte message from vpcd is a control
byte: ``00`` power off, ``01`` power on, ``02`` reset (all three clear the chip's
session state; none is answered), ``04`` get ATR (answered with the ATR). Anything
longer is a C-APDU, answered with the R-APDU. Closing the socket empties the reader.
See ``domain-reference.md`` §13.

``TCP_NODELAY`` is set and ``TCP_QUICKACK`` re-armed after every receive: vpcd writes the
length and the APDU separately, and delayed ACKs would cost ~44 ms per APDU. If pcscd
goes away the card reconnects with a short backoff; :meth:`VpcdCard.serve` returns when
the stop event is set or on KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

from mynumber.card.chip import Chip
from mynumber.card.codes import ATR, SW

__all__ = ["VPCD_HOST", "VPCD_PORTS", "VpcdCard", "reader_name", "reader_port"]

VPCD_HOST = "127.0.0.1"
#: vpcd's default ports, reader 0 and reader 1 (``/etc/reader.conf.d/vpcd``).
VPCD_PORTS = (35963, 35964)

_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0x00, 0x01, 0x02, 0x04
_POLL = 0.2

log = logging.getLogger(__name__)


def reader_port(index: int) -> int:
    """vpcd TCP port of reader ``index`` (0 or 1)."""
    if index not in (0, 1):
        raise ValueError("vpcd has readers 0 and 1")
    return VPCD_PORTS[index]


def reader_name(index: int) -> str:
    """The PC/SC reader name pcscd gives vpcd reader ``index``."""
    reader_port(index)
    return f"Virtual PCD 00 {index:02d}"


class VpcdCard:
    """Serve one chip into a vpcd reader until stopped."""

    def __init__(
        self,
        chip: Chip,
        *,
        host: str = VPCD_HOST,
        port: int = VPCD_PORTS[0],
        atr: bytes = ATR,
        reconnect_delay: float = 0.2,
        max_reconnect_delay: float = 2.0,
    ) -> None:
        self.chip = chip
        self.host = host
        self.port = port
        self.atr = atr
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        #: set while the card is connected to vpcd (the reader shows a card)
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def handle(self, message: bytes) -> bytes | None:
        """Answer one vpcd message (None: nothing to send back)."""
        if len(message) == 1:
            control = message[0]
            if control == _GET_ATR:
                return self.atr
            if control in (_POWER_OFF, _POWER_ON, _RESET):
                self.chip.reset()
            return None
        if not message:
            return None
        try:
            return self.chip.transmit(message)
        except Exception:  # a broken chip must not take pcscd's reader down with it
            log.exception("card failed to answer an APDU")
            return SW.NO_PRECISE_DIAGNOSIS.to_bytes(2, "big")

    def serve(self, stop: threading.Event | None = None) -> None:
        """Connect to vpcd and answer it, reconnecting, until ``stop`` is set."""
        stop = stop or self._stop
        delay = self.reconnect_delay
        try:
            while not stop.is_set():
                try:
                    sock = socket.create_connection((self.host, self.port), timeout=1.0)
                except OSError:
                    stop.wait(delay)
                    delay = min(delay * 2, self.max_reconnect_delay)
                    continue
                delay = self.reconnect_delay
                try:
                    self._session(sock, stop)
                except OSError as exc:
                    log.info("vpcd connection lost (%s); reconnecting", type(exc).__name__)
                finally:
                    self.connected.clear()
                    self.chip.reset()
                    with contextlib.suppress(OSError):
                        sock.close()
        except KeyboardInterrupt:
            return

    def start(self) -> threading.Thread:
        """Serve in a daemon thread; :meth:`stop` ends it."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.serve, name="vpcd-card", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __repr__(self) -> str:
        return f"VpcdCard({self.chip!r}, {self.host}:{self.port})"

    def _session(self, sock: socket.socket, stop: threading.Event) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(_POLL)
        self.connected.set()
        while not stop.is_set():
            header = self._recv_exact(sock, 2, stop)
            if header is None:
                return
            body = self._recv_exact(sock, int.from_bytes(header, "big"), stop)
            if body is None:
                return
            answer = self.handle(body)
            if answer is not None:
                sock.sendall(len(answer).to_bytes(2, "big") + answer)

    @staticmethod
    def _recv_exact(sock: socket.socket, n: int, stop: threading.Event) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = sock.recv(n - len(buf))
            except TimeoutError:
                if stop.is_set():
                    return None
                continue
            if not chunk:
                raise ConnectionResetError("vpcd closed the connection")
            buf += chunk
            _quickack(sock)
        return bytes(buf)


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
