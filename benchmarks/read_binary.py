"""Reading a whole certificate off the card, three ways clients do it; prints JSON.

One card issued in-process (as ``benchmarks.card``), its user-authentication certificate
(EF 000A) read repeatedly:

- ``chunked_255``: pyjpki's loop, 255-byte READ BINARY until ``6B 00``;
- ``header_then_rest``: OpenSC's way, 4 bytes for the DER length, then 256-byte chunks;
- ``sfi_extended``: jsapdu's ``readEfBinaryFull``, one ``00 B0 8A 00 00 00 00``.

Each in-process and, when pcscd with vpcd is there, through pyscard → pcscd → vpcd → the
chip over TCP (``vpcd_*``). Baseline in the same run: one short ``READ BINARY 4`` APDU
(``baseline_read4_per_s``), so reads per second can be read as APDUs per read.

Run: ``.venv/bin/python -m benchmarks.read_binary [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.card import pcscd, rate
from benchmarks.machine import machine
from mynumber import federation
from mynumber.card import (
    AID_JPKI,
    Chip,
    VpcdCard,
    load_or_create_demo_seal_key,
    reader_name,
    reader_port,
)
from mynumber.platform.settings import Settings

READER = 1
SELECT_AP = bytes((0x00, 0xA4, 0x04, 0x0C, len(AID_JPKI))) + AID_JPKI
SELECT_AUTH_CERT = bytes.fromhex("00A4020C02000A")

Transmit = Callable[[bytes], bytes]


def chunked_255(tx: Transmit) -> bytes:
    out = b""
    while True:
        answer = tx(bytes((0x00, 0xB0, len(out) >> 8, len(out) & 0xFF, 0xFF)))
        if answer[-2:] == b"\x6b\x00" or len(answer) == 2:
            return out
        assert answer[-2:] == b"\x90\x00"
        out += answer[:-2]


def header_then_rest(tx: Transmit) -> bytes:
    head = tx(bytes.fromhex("00B0000004"))[:-2]
    total = int.from_bytes(head[2:4], "big") + 4
    out = head
    while len(out) < total:
        n = min(256, total - len(out))
        out += tx(bytes((0x00, 0xB0, len(out) >> 8, len(out) & 0xFF, n & 0xFF)))[:-2]
    return out


def sfi_extended(tx: Transmit) -> bytes:
    answer = tx(bytes.fromhex("00B08A00000000"))
    assert answer[-2:] == b"\x90\x00"
    return answer[:-2]


WAYS = {"chunked_255": chunked_255, "header_then_rest": header_then_rest}


def figures(tx: Transmit, seconds: float, prefix: str = "") -> dict[str, float]:
    tx(SELECT_AP)
    tx(SELECT_AUTH_CERT)
    expected = sfi_extended(tx)
    out = {}
    for name, way in {**WAYS, "sfi_extended": sfi_extended}.items():
        assert way(tx) == expected, name
        out[f"{prefix}{name}_reads_per_s"] = round(rate(lambda w=way: w(tx), seconds), 1)
    read4 = bytes.fromhex("00B0000004")
    out[f"{prefix}baseline_read4_per_s"] = round(rate(lambda: tx(read4), seconds), 1)
    out[f"{prefix}certificate_bytes"] = len(expected)
    return out


def vpcd_figures(chip: Chip, seconds: float) -> dict[str, object]:
    from mynumber.reader import PCSCTransport, ReaderError

    served = VpcdCard(chip, port=reader_port(READER))
    served.start()
    try:
        if not served.connected.wait(10):
            return {"vpcd_note": "vpcd did not accept the card"}
        deadline = time.monotonic() + 15
        while True:  # pcscd notices the card a moment after vpcd accepted it
            try:
                with PCSCTransport(reader_name(READER)) as transport:
                    return dict(figures(transport.transmit, seconds, "vpcd_"))
            except ReaderError:
                if time.monotonic() > deadline:
                    return {"vpcd_note": "pcscd did not see the card"}
                time.sleep(0.3)
    finally:
        served.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    result: dict[str, object] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        fed = federation.build(Settings(data_dir=Path(folder), seed_residents=0), in_process=True)
        try:
            person = fed.register_synthetic_adult("131016")
            issued = fed.issue_card("131016", person["id"], auth_pin="1234", sign_password="ABC123")
        finally:
            fed.close()
        seal_key = load_or_create_demo_seal_key(Path(folder) / "card-seal.key")
        chip = Chip.from_image(issued["card_image"].encode(), seal_key=seal_key)
        result.update(figures(chip.transmit, args.seconds))
        with pcscd() as note:
            if note is not None:
                result["vpcd_note"] = note
            else:
                result.update(vpcd_figures(chip, args.seconds))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
