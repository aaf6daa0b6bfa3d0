"""Fuzz the chip with 100,000 random APDUs per run (seeded loop; set FUZZ_SEED to replay).

Properties: no exception, always a 2-byte status word from the ISO 7816-4 families, and
no change of the card image or of the session (selection, verified PINs, admin session)
when a command is rejected. The only rejected command that changes state is the
documented tamper probe (READ BINARY of a key EF counts towards killing the chip).
"""

from __future__ import annotations

import hashlib
import os
import random

import mynumber_test_cardkit as kit
import pytest

from mynumber.card import (
    AID_FREE_AREA,
    AID_JPKI,
    AID_JUKI,
    AID_TEXT,
    AID_VISUAL,
    Chip,
    admin_cryptogram,
)
from mynumber.reader import digest_info

N_APDUS = 100_000
VALID_SW1 = {0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x90}
#: Answers that report success or a counted PIN failure (state may change).
NOT_REJECTED_SW1 = {0x90, 0x61, 0x62, 0x63}

AIDS = [AID_JPKI, AID_TEXT, AID_VISUAL, AID_JUKI, AID_FREE_AREA, bytes.fromhex("A000000003000000")]
FIDS = [
    0x0001,
    0x0002,
    0x0003,
    0x0006,
    0x000A,
    0x000B,
    0x0011,
    0x0012,
    0x0013,
    0x0017,
    0x0018,
    0x001A,
    0x001B,
    0x001C,
    0x3F00,
]
PINS = [
    kit.AUTH_PIN,
    kit.SIGN_PASSWORD,
    kit.TEXT_PIN,
    kit.JUKI_PIN,
    kit.MY_NUMBER,
    "0000",
    "WRONG1",
    "12",
    "abc123",
    "1" * 17,
]
INS = [
    0xA4,
    0xA4,
    0xA4,
    0xB0,
    0xB0,
    0xB2,
    0x20,
    0x20,
    0x24,
    0x2C,
    0x84,
    0x82,
    0xC0,
    0x46,
    0xD6,
    0x44,
    0x2A,
    0xCA,
]


def _data(rng: random.Random, ins: int) -> bytes:
    roll = rng.random()
    if roll < 0.15:
        return b""
    if ins == 0xA4 or roll < 0.25:
        return rng.choice(AIDS) if rng.random() < 0.5 else rng.choice(FIDS).to_bytes(2, "big")
    if ins in (0x20, 0x24, 0x2C) and roll < 0.8:
        return rng.choice(PINS).encode()
    if ins == 0x2A and roll < 0.8:
        info = digest_info(hashlib.sha256(rng.randbytes(4)).digest())
        return info if rng.random() < 0.7 else info[: rng.randrange(len(info))] or b"\x30"
    return rng.randbytes(rng.randrange(1, 40))


def _sensible(rng: random.Random) -> bytes:
    """A well-formed command that a real client would send, so deep paths are reached."""
    kind = rng.randrange(7)
    if kind == 0:
        return kit.select_ap(rng.choice(AIDS[:5]))
    if kind in (1, 2):
        return kit.select_ef(rng.choice(FIDS))
    if kind == 3:
        return kit.verify(rng.choice(PINS[:5]))
    if kind == 4:
        return kit.read_binary(rng.choice([0, 0, 4, 0x100, 0x400]), rng.choice([0, 4, 0x11, 0x20]))
    if kind == 5:
        return kit.sign_apdu(digest_info(hashlib.sha256(rng.randbytes(4)).digest()))
    return rng.choice([kit.PIN_STATUS, bytes.fromhex("00B2010C00"), bytes.fromhex("0084000008")])


def _apdu(rng: random.Random) -> bytes:
    if rng.random() < 0.35:
        return _sensible(rng)
    if rng.random() < 0.03:
        return rng.randbytes(rng.randrange(0, 12))
    roll = rng.random()
    cla = 0x00 if roll < 0.8 else 0x80 if roll < 0.9 else rng.randrange(256)
    ins = rng.choice(INS) if rng.random() < 0.95 else rng.randrange(256)
    p1 = rng.choice([0x00, 0x00, 0x01, 0x02, 0x04, rng.randrange(256)])
    p2 = rng.choice([0x00, 0x0C, 0x80, 0x80, 0x0C, rng.randrange(256)])
    data = _data(rng, ins)
    le = rng.choice([None, None, 0, rng.randrange(1, 256)])
    out = bytes((cla, ins, p1, p2))
    if data:
        out += bytes((len(data),)) + data
    if le is not None:
        out += bytes((le,))
    if rng.random() < 0.02:  # length noise
        out = out[:-1] if rng.random() < 0.5 else out + b"\x00"
    return out


@pytest.mark.slow
def test_100k_random_apdus_never_raise_always_answer_and_rejections_change_nothing() -> None:
    seed = int(os.environ.get("FUZZ_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    chip, issuer_key = kit.manufacture()
    kit.personalise(chip, issuer_key, finish=rng.random() < 0.5)
    pristine = chip.to_image()
    fresh = lambda: Chip.from_image(pristine, seal_key=kit.SEAL_KEY, key_source=kit.DemoKeySource())  # noqa: E731
    chip = fresh()
    before: tuple[bytes, tuple[object, ...]] | None = None
    counts: dict[int, int] = {}
    for i in range(N_APDUS):
        if chip.is_dead:
            chip, before = fresh(), None
        if rng.random() < 0.01:  # now and then open an admin session properly
            challenge = chip.transmit(bytes.fromhex("0084000010"))[:-2]
            chip.transmit(b"\x00\x82\x00\x00\x10" + admin_cryptogram(issuer_key, challenge))
            before = None
        if before is None:
            before = (chip.to_image(), chip._session_state())
        apdu = _apdu(rng)
        try:
            answer = chip.transmit(apdu)
        except Exception as exc:  # pragma: no cover - the property under test
            pytest.fail(f"seed={seed} apdu #{i} {apdu.hex()} raised {exc!r}")
        assert len(answer) >= 2, f"seed={seed} apdu #{i} {apdu.hex()}"
        sw1 = answer[-2]
        assert sw1 in VALID_SW1, f"seed={seed} apdu #{i} {apdu.hex()} -> {answer[-2:].hex()}"
        counts[sw1] = counts.get(sw1, 0) + 1
        if sw1 in NOT_REJECTED_SW1 or chip.is_dead:
            before = None
            continue
        after = (chip.to_image(), chip._session_state())
        tamper_probe = apdu[1:2] == b"\xb0" and answer[-2:] == b"\x69\x82"
        if after != before and not tamper_probe:
            pytest.fail(f"seed={seed} apdu #{i} {apdu.hex()} -> {answer[-2:].hex()} changed state")
        before = after
    assert counts.get(0x90, 0) > 1000 and counts.get(0x6A, 0) > 1000, counts
