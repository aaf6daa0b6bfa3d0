"""Nothing else on the chip: every EF of every application, and what it may hold.

The card holds no tax, pension or medical data (mma-jp.or.jp; taro.org; §2.3, §11). If
this test fails because an EF was added, update the list on purpose.
"""

from __future__ import annotations

import mynumber_test_cardkit as kit

from mynumber.card import AID_FREE_AREA, AID_JPKI, AID_JUKI, AID_TEXT, AID_VISUAL
from mynumber.card.files import BinaryFile, KeyFile, PinFile, RecordFile

EXPECTED = {
    AID_JPKI: {
        0x0001: ("binary", "signing certificate"),
        0x0002: ("binary", "signing CA certificate"),
        0x0006: ("binary", "token"),
        0x000A: ("binary", "user-authentication certificate"),
        0x000B: ("binary", "user-authentication CA certificate"),
        0x0017: ("key", "user-authentication private key"),
        0x0018: ("pin", "user-authentication PIN"),
        0x001A: ("key", "signing private key"),
        0x001B: ("pin", "signing password"),
    },
    AID_TEXT: {
        0x0001: ("binary", "My Number"),
        0x0002: ("binary", "four basic items"),
        0x0003: ("binary", "J-LIS signature"),
        0x0009: ("binary", "追記欄"),
        0x0011: ("pin", "text AP PIN"),
    },
    AID_VISUAL: {
        0x0002: ("binary", "card face"),
        0x0012: ("pin", "visual AP PIN B"),
        0x0013: ("pin", "visual AP PIN A"),
    },
    AID_JUKI: {
        0x0001: ("record", "card manufacture number"),
        0x001C: ("pin", "juki AP PIN"),
    },
    AID_FREE_AREA: {
        0x0001: ("binary", "employee application"),
        0x0010: ("binary", "licence application"),
        0x0011: ("binary", "police certificate and signature"),
        0x0012: ("pin", "licence PIN"),
    },
}

KIND = {BinaryFile: "binary", RecordFile: "record", PinFile: "pin", KeyFile: "key"}
FORBIDDEN_WORDS = (
    "tax",
    "pension",
    "medical",
    "insurance",
    "health",
    "income",
    "bank",
    "住民票コード",
)


def test_the_chip_holds_exactly_the_listed_files() -> None:
    card = kit.make_card()
    dfs = card.chip._dfs
    assert list(dfs) == list(EXPECTED)
    for aid, df in dfs.items():
        assert set(df.efs) == set(EXPECTED[aid]), df.name
        for fid, ef in df.efs.items():
            kind, holds = EXPECTED[aid][fid]
            assert KIND[type(ef)] == kind
            assert holds in ef.holds
            assert not any(word in ef.holds.lower() for word in FORBIDDEN_WORDS)


def test_the_free_area_is_empty_and_selectable() -> None:
    card = kit.make_card()
    assert kit.tx(card.chip, kit.select_ap(AID_FREE_AREA))[1] == 0x9000
    assert kit.tx(card.chip, kit.select_ef(0x0001))[1] == 0x9000
    assert kit.tx(card.chip, kit.read_binary(0, 0))[1] == 0x6B00  # empty until written
