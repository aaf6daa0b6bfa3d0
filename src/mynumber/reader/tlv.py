"""BER-TLV as the card uses it (ISO 7816-4 §6.3; X.690 §8.1): multi-byte tags, definite
lengths. Encoding uses the short length form below 128 and the shortest long form above.
"""

from __future__ import annotations

from mynumber.reader.errors import CardDataError

__all__ = ["decode", "decode_all", "encode", "encode_length", "header_size", "total_length"]


def encode_length(n: int) -> bytes:
    """Definite length, short form below 128, else the shortest long form."""
    if n < 0:
        raise ValueError("negative length")
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise ValueError("length too large")
    return bytes((0x80 | len(body),)) + body


def encode(tag: bytes, value: bytes) -> bytes:
    """One TLV; ``tag`` is the tag's bytes as they appear on the wire (e.g. ``b"\\xdf\\x22"``)."""
    _check_tag(tag)
    return tag + encode_length(len(value)) + value


def _check_tag(tag: bytes) -> None:
    if not tag:
        raise ValueError("empty tag")
    if tag[0] & 0x1F == 0x1F:
        if len(tag) < 2 or any(b & 0x80 == 0 for b in tag[1:-1]) or tag[-1] & 0x80:
            raise ValueError("malformed multi-byte tag")
    elif len(tag) != 1:
        raise ValueError("a low tag number takes one byte")


def _read_tag(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise CardDataError("TLV truncated in its tag")
    if data[pos] & 0x1F != 0x1F:
        return pos + 1
    pos += 1
    while True:
        if pos >= len(data):
            raise CardDataError("TLV truncated in its tag")
        if not data[pos] & 0x80:
            return pos + 1
        pos += 1


def header_size(data: bytes, offset: int = 0) -> tuple[int, int] | None:
    """(header length, value length) of the TLV at ``offset``, or None if incomplete."""
    try:
        pos = _read_tag(data, offset)
    except CardDataError:
        return None
    if pos >= len(data):
        return None
    first = data[pos]
    if first < 0x80:
        return pos + 1 - offset, first
    count = first & 0x7F
    if count == 0 or count > 4:
        raise CardDataError("indefinite or oversized TLV length")
    if pos + 1 + count > len(data):
        return None
    return pos + 1 + count - offset, int.from_bytes(data[pos + 1 : pos + 1 + count], "big")


def total_length(data: bytes) -> int | None:
    """Bytes the TLV starting ``data`` occupies, or None if ``data`` is too short to tell."""
    size = header_size(data)
    return None if size is None else size[0] + size[1]


def decode(data: bytes, offset: int = 0) -> tuple[bytes, bytes, int]:
    """(tag bytes, value, end offset) of the TLV at ``offset``."""
    size = header_size(data, offset)
    if size is None:
        raise CardDataError("TLV truncated in its header")
    head, length = size
    tag_end = _read_tag(data, offset)
    start = offset + head
    if start + length > len(data):
        raise CardDataError("TLV value truncated")
    return bytes(data[offset:tag_end]), bytes(data[start : start + length]), start + length


def decode_all(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every TLV in ``data``, in order; trailing bytes must form whole TLVs."""
    out: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos < len(data):
        tag, value, pos = decode(data, pos)
        out.append((tag, value))
    return out
