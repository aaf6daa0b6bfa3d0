"""The few lines of DER that cryptography has no API for: the string values of SAN otherNames.

ITU-T X.690 §8.1 (identifier and length octets, definite form only, as DER requires §10.1)
and §8.23 (restricted character strings: the contents are the encoded characters).
"""

from __future__ import annotations

import re

from mynumber.errors import InvalidInput

UTF8_STRING = 0x0C  # X.680 §8.4, universal tag 12
PRINTABLE_STRING = 0x13  # X.680 §8.4, universal tag 19

# X.680 §41.4 table 10: the PrintableString repertoire.
_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]*")


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_string(tag: int, text: str) -> bytes:
    """DER of a UTF8String or PrintableString holding ``text``."""
    if tag == PRINTABLE_STRING:
        if not _PRINTABLE.fullmatch(text):
            raise InvalidInput(
                "text is not in the PrintableString repertoire", code="not_printable"
            )
        content = text.encode("ascii")
    elif tag == UTF8_STRING:
        content = text.encode("utf-8")
    else:
        raise InvalidInput(f"unsupported string tag 0x{tag:02x}", code="unsupported_tag")
    return bytes([tag]) + _encode_length(len(content)) + content


def decode_string(der: bytes, *, tags: frozenset[int]) -> tuple[int, str]:
    """Parse the DER of one string whose tag is in ``tags``; return (tag, text).

    Refuses trailing bytes, indefinite or non-minimal lengths and bad characters.
    """
    if len(der) < 2:
        raise InvalidInput("DER string is truncated", code="malformed_der")
    tag = der[0]
    if tag not in tags:
        raise InvalidInput(f"unexpected DER tag 0x{tag:02x}", code="malformed_der")
    first = der[1]
    if first < 0x80:
        length, offset = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(der) < 2 + count:
            raise InvalidInput("DER length is malformed", code="malformed_der")
        length = int.from_bytes(der[2 : 2 + count], "big")
        offset = 2 + count
        if length < 0x80 or der[2] == 0:
            raise InvalidInput("DER length is not minimal", code="malformed_der")
    if len(der) != offset + length:
        raise InvalidInput("DER string length does not match its content", code="malformed_der")
    content = der[offset:]
    try:
        if tag == PRINTABLE_STRING:
            text = content.decode("ascii")
            if not _PRINTABLE.fullmatch(text):
                raise ValueError("not printable")
        else:
            text = content.decode("utf-8")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("DER string has invalid characters", code="malformed_der") from exc
    return tag, text
