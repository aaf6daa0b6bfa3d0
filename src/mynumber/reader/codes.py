"""What a host program knows about the card: AIDs, EF ids, instruction bytes, status words.

The host keeps its own copy, as real readers (OpenSC, libmyna) do, and does not import
the chip package: the reader is checked against the chip, not built from it. Sources as
in ``domain-reference.md`` §4: OpenSC ``card-jpki.c``/``pkcs15-jpki.c``/``jpki.h``,
libmyna ``src/*.rs``, TRETJapanNFCReader; status words from ISO 7816-4 §5.6.
"""

from __future__ import annotations

__all__ = [
    "AID_AUTH_GEN2",
    "AID_FACE_GEN2",
    "AID_FREE_AREA",
    "AID_JPKI",
    "AID_JUKI",
    "AID_TEXT",
    "AID_VISUAL",
    "APPLICATIONS",
    "EF2_ATTRIBUTES",
    "EF2_ENDORSEMENTS",
    "EF2_MY_NUMBER",
    "EF2_TEXT_SIGNATURE",
    "EF_JPKI_AUTH_CA",
    "EF_JPKI_AUTH_CERT",
    "EF_JPKI_AUTH_KEY",
    "EF_JPKI_AUTH_PIN",
    "EF_JPKI_SIGN_CA",
    "EF_JPKI_SIGN_CERT",
    "EF_JPKI_SIGN_KEY",
    "EF_JPKI_SIGN_PIN",
    "EF_JPKI_TOKEN",
    "EF_JUKI_PIN",
    "EF_TEXT_ATTRIBUTES",
    "EF_TEXT_ENDORSEMENTS",
    "EF_TEXT_MY_NUMBER",
    "EF_TEXT_PIN",
    "EF_TEXT_SIGNATURE",
    "EF_VISUAL_FACE",
    "EF_VISUAL_PIN_A",
    "EF_VISUAL_PIN_B",
    "SFI2_RECORDS",
    "SW_BLOCKED",
    "SW_FILE_NOT_FOUND",
    "SW_OK",
    "SW_PIN_NOT_SET",
    "SW_SECURITY",
    "SW_WRONG_P1P2",
]

AID_JPKI = bytes.fromhex("D392F000260100000001")  # OpenSC jpki.h
AID_TEXT = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP, libmyna text.rs
AID_VISUAL = bytes.fromhex("D3921000310001010402")  # 券面AP, libmyna visual.rs
AID_JUKI = bytes.fromhex("D3921000310001010100")  # 住基AP, TRET / libmyna unknown.rs
AID_FREE_AREA = b"\xf0MYNAFREE"  # this project's free area (the real AID is not public)
# The generation-2 card (this project's model of 次期個人番号カード; its AIDs are not public):
AID_AUTH_GEN2 = b"\xf0MYNA2AUTH"  # (仮称)認証AP: certificates, keys, text items, two PINs
AID_FACE_GEN2 = b"\xf0MYNA2FACE"  # (仮称)券面等AP: card face (照合番号), manufacture number

#: Applications in the order a reader lists them: (label, AID).
APPLICATIONS: tuple[tuple[str, bytes], ...] = (
    ("JPKI-AP (公的個人認証AP)", AID_JPKI),
    ("券面事項入力補助AP", AID_TEXT),
    ("券面AP", AID_VISUAL),
    ("住基AP", AID_JUKI),
    ("(仮称)認証AP (generation 2)", AID_AUTH_GEN2),
    ("(仮称)券面等AP (generation 2)", AID_FACE_GEN2),
    ("free area (空き領域)", AID_FREE_AREA),
)

EF_JPKI_SIGN_CERT = 0x0001
EF_JPKI_SIGN_CA = 0x0002
EF_JPKI_TOKEN = 0x0006
EF_JPKI_AUTH_CERT = 0x000A
EF_JPKI_AUTH_CA = 0x000B
EF_JPKI_AUTH_KEY = 0x0017
EF_JPKI_AUTH_PIN = 0x0018
EF_JPKI_SIGN_KEY = 0x001A
EF_JPKI_SIGN_PIN = 0x001B
EF_TEXT_MY_NUMBER = 0x0001
EF_TEXT_ATTRIBUTES = 0x0002
EF_TEXT_SIGNATURE = 0x0003
EF_TEXT_ENDORSEMENTS = 0x0009  # 追記欄: this project's EF (not a sourced one)
EF_TEXT_PIN = 0x0011
EF_VISUAL_FACE = 0x0002
EF_VISUAL_PIN_B = 0x0012
EF_VISUAL_PIN_A = 0x0013
EF_JUKI_PIN = 0x001C
# Generation 2: the 認証AP keeps the JPKI-AP's ids for certificates, keys, token and the two
# PINs (0018 card PIN, 001B signing password) and holds the text items at 0011-0013; the
# 券面等AP keeps the 券面AP's ids and the manufacture-number record at SFI 1D.
EF2_MY_NUMBER = 0x0011
EF2_ATTRIBUTES = 0x0012
EF2_TEXT_SIGNATURE = 0x0013
EF2_ENDORSEMENTS = 0x0014  # 追記欄 on a generation-2 card (this project's EF)
SFI2_RECORDS = 0x1D

SW_OK = 0x9000
SW_SECURITY = 0x6982  # security status not satisfied
SW_BLOCKED = 0x6983  # authentication method blocked
SW_PIN_NOT_SET = 0x6984  # reference data not usable: the PIN was never set (a face-only card)
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6B00  # an offset at or past the end of the EF (an empty EF at 0)
