"""Formats of the text AP (券面事項入力補助AP) and visual AP (券面AP) files, both ways.

Text AP (``domain-reference.md`` §4.6; libmyna ``src/text.rs``, Go ``text_ap.go``):

- EF 0001: ``FF 10 0C`` + the 12 ASCII digits of the My Number, padded with two ``00``
  bytes to 17 bytes (libmyna reads exactly 17).
- EF 0002: ``FF 20`` container of ``DF 21`` header, ``DF 22`` name (UTF-8), ``DF 23``
  address (UTF-8), ``DF 24`` birth date (``YYYYMMDD`` ASCII), ``DF 25`` sex (ISO 5218
  ASCII: 0 unknown, 1 male, 2 female, 9 not applicable). Long-form lengths only when a
  value needs them. The header's real content is unsourced; here it is ``00 01``.
- EF 0003: ``FF 30`` container of ``DF 31`` SHA-256 of the 12 ASCII digits, ``DF 32``
  SHA-256 of the whole EF 0002 as stored, ``DF 33`` J-LIS's signature. **This project
  defines** the signature as RSA PKCS#1 v1.5 with SHA-256 over ``DF31 value ‖ DF32 value``
  (the 64 bytes of the two digests) with J-LIS's text-AP signing key; the real scheme
  is not public.

Visual AP EF 0002 (libmyna ``src/visual.rs``: header 33, birth 34, sex 35, public key 36,
name image 37, address image 38, photo 39): here ``FF 20`` holding ``DF 21`` … ``DF 27``
in that order, then ``DF 28`` card expiry (``YYYYMMDD``; tag UNSOURCED). The real card
stores PNG name/address images and a JPEG 2000 photo; the demo uses synthetic
placeholder PNGs from :func:`placeholder_png` (they show no one).
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass

from mynumber.reader import tlv
from mynumber.reader.errors import CardDataError

__all__ = [
    "CardFace",
    "TextAttributes",
    "TextRecord",
    "decode_attributes",
    "decode_card_face",
    "decode_my_number",
    "decode_text_signature",
    "encode_attributes",
    "encode_card_face",
    "encode_my_number",
    "encode_text_signature",
    "placeholder_png",
    "text_signed_data",
]

_TAG_MY_NUMBER = b"\xff\x10"
_TAG_ATTRIBUTES = b"\xff\x20"
_TAG_SIGNATURE = b"\xff\x30"
_TEXT_HEADER = b"\x00\x01"
_MY_NUMBER_EF_LENGTH = 17
_DATE = re.compile(r"[0-9]{8}")
_SEXES = ("0", "1", "2", "9")  # ISO/IEC 5218


def _check_number(my_number: str) -> str:
    if not (len(my_number) == 12 and my_number.isascii() and my_number.isdigit()):
        raise ValueError("a My Number is 12 ASCII digits")
    return my_number


def _check_date(value: str, field: str) -> None:
    if not _DATE.fullmatch(value):
        raise ValueError(f"{field} must be YYYYMMDD")


@dataclass(frozen=True, slots=True)
class TextAttributes:
    """The four basic items (基本4情報) as the text AP holds them."""

    name: str
    address: str
    birth_date: str  # YYYYMMDD
    sex: str  # ISO 5218 code

    def __post_init__(self) -> None:
        _check_date(self.birth_date, "birth_date")
        if self.sex not in _SEXES:
            raise ValueError("sex must be an ISO 5218 code: 0, 1, 2 or 9")

    def __repr__(self) -> str:
        return "TextAttributes(<4 basic items masked>)"


@dataclass(frozen=True, slots=True)
class TextRecord:
    """Everything read from the text AP: the number, the four items and J-LIS's seal."""

    my_number: str
    attributes: TextAttributes
    attributes_ef: bytes
    number_digest: bytes
    attributes_digest: bytes
    signature: bytes

    def __repr__(self) -> str:
        return "TextRecord(my_number=<masked>, attributes=<masked>)"


@dataclass(frozen=True, slots=True)
class CardFace:
    """The card face as the visual AP holds it."""

    birth_date: str  # YYYYMMDD
    sex: str  # ISO 5218
    name_image: bytes
    address_image: bytes
    photo: bytes
    expiry: str  # YYYYMMDD
    header: bytes = b"\x00\x01"
    public_key: bytes = b""

    def __post_init__(self) -> None:
        _check_date(self.birth_date, "birth_date")
        _check_date(self.expiry, "expiry")
        if self.sex not in _SEXES:
            raise ValueError("sex must be an ISO 5218 code: 0, 1, 2 or 9")

    def __repr__(self) -> str:
        return f"CardFace(<masked>, photo=<{len(self.photo)} bytes>)"


def encode_my_number(my_number: str) -> bytes:
    """EF 0001 of the text AP."""
    body = tlv.encode(_TAG_MY_NUMBER, _check_number(my_number).encode("ascii"))
    return body.ljust(_MY_NUMBER_EF_LENGTH, b"\x00")


def decode_my_number(data: bytes) -> str:
    tag, value, _ = tlv.decode(data)
    if tag != _TAG_MY_NUMBER:
        raise CardDataError("text AP EF 0001 is not an FF 10 object")
    try:
        return _check_number(value.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CardDataError("text AP EF 0001 does not hold 12 digits") from exc


def encode_attributes(attributes: TextAttributes) -> bytes:
    """EF 0002 of the text AP."""
    items = (
        tlv.encode(b"\xdf\x21", _TEXT_HEADER)
        + tlv.encode(b"\xdf\x22", attributes.name.encode("utf-8"))
        + tlv.encode(b"\xdf\x23", attributes.address.encode("utf-8"))
        + tlv.encode(b"\xdf\x24", attributes.birth_date.encode("ascii"))
        + tlv.encode(b"\xdf\x25", attributes.sex.encode("ascii"))
    )
    return tlv.encode(_TAG_ATTRIBUTES, items)


def _container(data: bytes, tag: bytes, what: str) -> dict[bytes, bytes]:
    outer, value, _ = tlv.decode(data)
    if outer != tag:
        raise CardDataError(f"{what} is not an {tag.hex(' ').upper()} container")
    return dict(tlv.decode_all(value))


def decode_attributes(data: bytes) -> TextAttributes:
    items = _container(data, _TAG_ATTRIBUTES, "text AP EF 0002")
    try:
        return TextAttributes(
            name=items[b"\xdf\x22"].decode("utf-8"),
            address=items[b"\xdf\x23"].decode("utf-8"),
            birth_date=items[b"\xdf\x24"].decode("ascii"),
            sex=items[b"\xdf\x25"].decode("ascii"),
        )
    except (KeyError, UnicodeDecodeError, ValueError) as exc:
        raise CardDataError("text AP EF 0002 lacks or mangles one of the four items") from exc


def text_signed_data(my_number: str, attributes_ef: bytes) -> bytes:
    """What J-LIS signs: SHA-256(12 digits) ‖ SHA-256(EF 0002 as stored)."""
    number_digest = hashlib.sha256(_check_number(my_number).encode("ascii")).digest()
    return number_digest + hashlib.sha256(attributes_ef).digest()


def encode_text_signature(signed_data: bytes, signature: bytes) -> bytes:
    """EF 0003 of the text AP from :func:`text_signed_data` and J-LIS's signature."""
    if len(signed_data) != 64:
        raise ValueError("signed data is two SHA-256 digests")
    return tlv.encode(
        _TAG_SIGNATURE,
        tlv.encode(b"\xdf\x31", signed_data[:32])
        + tlv.encode(b"\xdf\x32", signed_data[32:])
        + tlv.encode(b"\xdf\x33", signature),
    )


def decode_text_signature(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(number digest, attributes digest, signature) from EF 0003."""
    items = _container(data, _TAG_SIGNATURE, "text AP EF 0003")
    try:
        return items[b"\xdf\x31"], items[b"\xdf\x32"], items[b"\xdf\x33"]
    except KeyError as exc:
        raise CardDataError("text AP EF 0003 lacks a digest or the signature") from exc


_FACE_TAGS = tuple(bytes((0xDF, n)) for n in range(0x21, 0x29))


def encode_card_face(face: CardFace) -> bytes:
    """EF 0002 of the visual AP."""
    values = (
        face.header,
        face.birth_date.encode("ascii"),
        face.sex.encode("ascii"),
        face.public_key,
        face.name_image,
        face.address_image,
        face.photo,
        face.expiry.encode("ascii"),
    )
    body = b"".join(tlv.encode(tag, value) for tag, value in zip(_FACE_TAGS, values, strict=True))
    return tlv.encode(_TAG_ATTRIBUTES, body)


def decode_card_face(data: bytes) -> CardFace:
    items = _container(data, _TAG_ATTRIBUTES, "visual AP EF 0002")
    try:
        header, birth, sex, public_key, name, address, photo, expiry = (
            items[tag] for tag in _FACE_TAGS
        )
        return CardFace(
            birth_date=birth.decode("ascii"),
            sex=sex.decode("ascii"),
            name_image=name,
            address_image=address,
            photo=photo,
            expiry=expiry.decode("ascii"),
            header=header,
            public_key=public_key,
        )
    except (KeyError, UnicodeDecodeError, ValueError) as exc:
        raise CardDataError("visual AP EF 0002 lacks or mangles an item") from exc


def placeholder_png(width: int = 32, height: int = 32, *, shade: int = 0xC0) -> bytes:
    """A synthetic grey PNG (stdlib only), standing in for a name, address or face image."""
    if not (1 <= width <= 1024 and 1 <= height <= 1024 and 0 <= shade <= 255):
        raise ValueError("placeholder size 1..1024, shade 0..255")

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes((shade,)) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
