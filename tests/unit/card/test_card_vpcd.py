"""The vpcd card side against a stand-in for pcscd's vpcd (a local TCP server)."""

from __future__ import annotations

import socket

import mynumber_test_cardkit as kit
import pytest

from mynumber.card import AID_JPKI, ATR, EF, VpcdCard, reader_name, reader_port


class FakeVpcd:
    """The server half of the vpcd protocol: 2-byte big-endian length, then payload."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big"))  # two writes, as vpcd does
        self.conn.sendall(payload)

    def recv(self) -> bytes:
        assert self.conn is not None
        head = self._exact(2)
        return self._exact(int.from_bytes(head, "big"))

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("card closed")
            buf += chunk
        return buf

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()


@pytest.fixture
def vpcd():
    fake = FakeVpcd()
    yield fake
    fake.close()


def test_reader_names_and_ports() -> None:
    assert (reader_port(0), reader_port(1)) == (35963, 35964)
    assert reader_name(1) == "Virtual PCD 00 01"
    with pytest.raises(ValueError):
        reader_port(2)


def test_card_answers_atr_and_apdus_and_power_off_clears_the_session(vpcd, card) -> None:
    served = VpcdCard(card.chip, port=vpcd.port)
    served.start()
    try:
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.recv() == ATR == bytes.fromhex("3BE000FF8131FE4514")
        vpcd.send(b"\x01")  # power on: no answer
        vpcd.send(kit.select_ap(AID_JPKI))
        assert vpcd.recv() == b"\x90\x00"
        vpcd.send(kit.select_ef(EF.JPKI_SIGN_PIN))
        vpcd.recv()
        vpcd.send(kit.verify(kit.SIGN_PASSWORD))
        assert vpcd.recv() == b"\x90\x00"
        vpcd.send(b"\x00")  # power off
        for apdu in (kit.select_ap(AID_JPKI), kit.select_ef(EF.JPKI_SIGN_CERT)):
            vpcd.send(apdu)
            assert vpcd.recv() == b"\x90\x00"
        vpcd.send(kit.read_binary(0, 4))
        assert vpcd.recv() == b"\x69\x82"
        vpcd.send(bytes.fromhex("00A4040C08A000000003000000"))
        assert vpcd.recv() == b"\x6a\x82"
    finally:
        served.stop()


def test_card_reconnects_when_vpcd_goes_away_and_stops_cleanly(vpcd, card) -> None:
    served = VpcdCard(card.chip, port=vpcd.port, reconnect_delay=0.05)
    served.start()
    try:
        vpcd.accept()
        assert served.connected.wait(2)
        assert vpcd.conn is not None
        vpcd.conn.close()  # pcscd restarts
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.recv() == ATR
    finally:
        served.stop()
    assert vpcd.conn is not None
    assert vpcd.conn.recv(1) == b""  # the card hung up: the reader is empty
    assert not served.connected.is_set()


def test_a_failing_chip_answers_6f00_instead_of_dropping_the_reader(card) -> None:
    served = VpcdCard(card.chip)

    def boom(apdu: bytes) -> bytes:
        raise RuntimeError("bug")

    card.chip.transmit = boom  # type: ignore[method-assign]
    assert served.handle(b"\x00\xa4\x04\x0c") == b"\x6f\x00"
    assert served.handle(b"") is None and served.handle(b"\x02") is None
