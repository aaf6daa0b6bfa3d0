"""Codes the chip speaks: status words, instruction bytes, AIDs, EF ids, ATR.

Each value names where it comes from. "ISO 7816-4" means ISO/IEC 7816-4:2020 §5.6 (status
words) and §11 (commands); the My Number card values are those in
``domain-reference.md`` §4, which read them from OpenSC (``card-jpki.c``,
``pkcs15-jpki.c``, ``jpki.h``), libmyna (``src/*.rs``) and TRETJapanNFCReader.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AID_AUTH_GEN2",
    "AID_FACE_GEN2",
    "AID_FREE_AREA",
    "AID_JPKI",
    "AID_JUKI",
    "AID_TEXT",
    "AID_VISUAL",
    "ATR",
    "EF",
    "EF2",
    "INS",
    "JPKI_TOKEN",
    "SW",
    "sw_bytes_remaining",
    "sw_verify_failed",
    "sw_wrong_le",
]


class SW(IntEnum):
    """Status words (SW1 SW2) the chip answers, ISO 7816-4 §5.6 unless noted."""

    OK = 0x9000  # normal processing
    BYTES_REMAINING = 0x6100  # 61xx: xx more bytes for GET RESPONSE (ISO 7816-4 §5.6)
    AUTHENTICATION_FAILED = 0x6300  # EXTERNAL AUTHENTICATE: cryptogram refused
    VERIFY_FAILED = 0x63C0  # 63Cx: x tries left (OpenSC reads sw2 & 0x0F; §13)
    WRONG_LENGTH = 0x6700  # Lc/Le absent or inconsistent
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882
    COMMAND_CHAINING_NOT_SUPPORTED = 0x6884
    INCOMPATIBLE_FILE = 0x6981  # command incompatible with file structure
    SECURITY_STATUS_NOT_SATISFIED = 0x6982  # PIN / admin session missing (OpenSC §13)
    PIN_BLOCKED = 0x6983  # authentication method blocked (OpenSC → CKR_PIN_LOCKED, §13)
    REFERENCE_DATA_NOT_USABLE = 0x6984  # PIN never set by the issuer
    CONDITIONS_NOT_SATISFIED = 0x6985  # no challenge / no pending data / wrong life cycle
    NO_CURRENT_EF = 0x6986  # libmyna dummy.rs: no current EF/DF, PIN op on a non-PIN EF
    WRONG_DATA = 0x6A80  # malformed PIN, DigestInfo or key reference
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82  # libmyna dummy.rs; answer to foreign AIDs (§13)
    RECORD_NOT_FOUND = 0x6A83  # libmyna dummy.rs
    NOT_ENOUGH_MEMORY = 0x6A84  # write past the capacity of an EF
    INCORRECT_P1P2 = 0x6A86  # libmyna dummy.rs: bad P1
    LC_INCONSISTENT_WITH_P1P2 = 0x6A87
    REFERENCED_DATA_NOT_FOUND = 0x6A88  # key slot empty; VERIFY 00 20 00 8x: no such PIN
    WRONG_P1P2 = 0x6B00  # offset outside the EF
    WRONG_LE = 0x6C00  # 6Cxx: wrong Le, xx = the exact length available
    INS_NOT_SUPPORTED = 0x6D00  # libmyna dummy.rs; answer to foreign probes (§13)
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00  # this project: the answer of a dead (tampered) chip


def sw_verify_failed(tries_left: int) -> int:
    """``63 Cx`` with x = tries left (0..15)."""
    return SW.VERIFY_FAILED | min(max(tries_left, 0), 0x0F)


def sw_bytes_remaining(count: int) -> int:
    """``61 xx``: xx more bytes wait for GET RESPONSE (00 means 256 or more)."""
    return SW.BYTES_REMAINING | (count if count < 256 else 0)


def sw_wrong_le(available: int) -> int:
    """``6C xx``: resend with Le = xx (00 means 256)."""
    return SW.WRONG_LE | (available & 0xFF)


class INS(IntEnum):
    """Instruction bytes (ISO 7816-4 §11 unless noted)."""

    SELECT = 0xA4
    READ_BINARY = 0xB0
    READ_RECORD = 0xB2
    UPDATE_BINARY = 0xD6
    VERIFY = 0x20
    CHANGE_REFERENCE_DATA = 0x24
    RESET_RETRY_COUNTER = 0x2C
    GET_CHALLENGE = 0x84
    EXTERNAL_AUTHENTICATE = 0x82
    GET_RESPONSE = 0xC0
    GENERATE_ASYMMETRIC_KEY_PAIR = 0x46  # ISO 7816-8 §5.1
    ACTIVATE_FILE = 0x44  # ISO 7816-9 §7.4: here, "finish personalisation"
    #: CLA 80: the JPKI card's proprietary COMPUTE DIGITAL SIGNATURE (OpenSC card-jpki.c);
    #: not ISO PSO ``00 2A 9E 9A``.
    COMPUTE_DIGITAL_SIGNATURE = 0x2A


#: ATR in OpenSC's JPKI table (``card-jpki.c`` ``jpki_atrs``), §4.2 and §13.
ATR = bytes.fromhex("3BE000FF8131FE4514")

#: AIDs, SELECT by DF name (OpenSC jpki.h; libmyna src/*.rs; TRET), §4.1.
AID_JPKI = bytes.fromhex("D392F000260100000001")
AID_TEXT = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP
AID_VISUAL = bytes.fromhex("D3921000310001010402")  # 券面AP (券面確認AP)
AID_JUKI = bytes.fromhex("D3921000310001010100")  # 住基AP
#: Free area (空き領域, §2.1). Its real AID is not public: this one is project-local, in
#: the unregistered proprietary category ``F`` of ISO 7816-5 ("\xF0MYNAFREE").
AID_FREE_AREA = b"\xf0MYNAFREE"

#: Generation-2 card (次期個人番号カード): its two applications' AIDs are not public
#: (services-reference §6, "Not public"); these are project-local, in the same
#: unregistered proprietary category ``F`` as the free area.
AID_AUTH_GEN2 = b"\xf0MYNA2AUTH"  # (仮称)認証AP: everything behind a PIN
AID_FACE_GEN2 = b"\xf0MYNA2FACE"  # (仮称)券面等AP: opened with a 照合番号

#: Content of JPKI EF 0006: ``JPKIAPICCTOKEN`` NUL-padded to 0x20 (libmyna tests), §4.3.
JPKI_TOKEN = b"JPKIAPICCTOKEN".ljust(0x20, b"\x00")


class EF:
    """Elementary file ids per application (§4.3, §4.6, §4.7)."""

    # JPKI-AP (OpenSC pkcs15-jpki.c; libmyna src/jpki.rs)
    JPKI_SIGN_CERT = 0x0001
    JPKI_SIGN_CA = 0x0002
    JPKI_TOKEN = 0x0006
    JPKI_AUTH_CERT = 0x000A
    JPKI_AUTH_CA = 0x000B
    JPKI_AUTH_KEY = 0x0017
    JPKI_AUTH_PIN = 0x0018
    JPKI_SIGN_KEY = 0x001A
    JPKI_SIGN_PIN = 0x001B
    # 券面事項入力補助AP (libmyna src/text.rs; Go text_ap.go)
    TEXT_MY_NUMBER = 0x0001
    TEXT_ATTRIBUTES = 0x0002
    TEXT_SIGNATURE = 0x0003
    #: 追記欄 (entries written after issue): this project's EF (SFI 9), not a sourced one
    TEXT_ENDORSEMENTS = 0x0009
    TEXT_PIN = 0x0011
    # 券面AP (libmyna src/visual.rs)
    VISUAL_FACE = 0x0002
    VISUAL_PIN_B = 0x0012
    VISUAL_PIN_A = 0x0013
    # 住基AP (TRET lookupRemainingPIN; libmyna src/unknown.rs: READ RECORD SFI 1)
    JUKI_RECORDS = 0x0001  # EF id UNSOURCED; reached by SFI 1
    JUKI_PIN = 0x001C


class EF2:
    """Elementary file ids of the generation-2 card: this project's layout (not public).

    The 認証AP keeps the JPKI-AP's ids for what it took over from it (certificates, keys,
    token) and puts the text items of the old 入力補助AP at ``0011``–``0013``; its two PINs
    are the 4-digit PIN (``0018``) and the signing password (``001B``). The 券面等AP keeps
    the old 券面AP's ids and carries the manufacture-number record at SFI 1D.
    """

    SIGN_CERT = 0x0001
    SIGN_CA = 0x0002
    TOKEN = 0x0006
    AUTH_CERT = 0x000A
    AUTH_CA = 0x000B
    MY_NUMBER = 0x0011
    ATTRIBUTES = 0x0012
    TEXT_SIGNATURE = 0x0013
    ENDORSEMENTS = 0x0014  # 追記欄 (this project's EF, SFI 14h)
    AUTH_KEY = 0x0017
    PIN = 0x0018
    SIGN_KEY = 0x001A
    SIGN_PASSWORD = 0x001B
    # 券面等AP
    FACE = 0x0002
    PIN_B = 0x0012
    PIN_A = 0x0013
    RECORDS = 0x001D
