"""Formats of the text AP (券面事項入力補助AP) and visual AP (券面AP) files, both ways.

Text AP (``domain-reference.md`` §4.6; libmyna ``src/text.rs``, Go ``text_ap.go``):

- EF 0001: ``FF 10 0C`` + the 12 ASCII digits of the My Number, padded with two ``00``
  bytes to 17 bytes (libmyna reads exactly 17).
- EF 0002: ``FF 20`` container of ``DF 21`` header, ``DF 22`` name (UTF-8), ``DF 23``
  address (UTF-8), ``DF 24`` birth date (``YYYYMMDD`` ASCII), ``DF 25`` sex (ISO 5218
  ASCII: 0 unknown, 1 male, 2 female, 9 not applicable). Long-form lengths only when a
  value needs them. The header's real content is unsourced; here it is ``00 01``.
- EF 0003: ``FF 30`` container of ``DF 31`` SHA-256 of the 12 ASCII digits, ``DF 32``
  SHA-256 of the whole EF 0002 as stored, ``DF 33`` J-LIS's signature, and — once the
  追記欄 has an entry — ``DF 34`` SHA-256 of the whole 追記欄 EF as stored. **This project
  defines** the signature as RSA PKCS#1 v1.5 with SHA-256 over ``DF31 value ‖ DF32 value``
  (the 64 bytes of the two digests), or ``DF31 ‖ DF32 ‖ DF34`` (96 bytes) when the 追記欄
  is written, with J-LIS's text-AP signing key; the real scheme is not public.
- 追記欄 (EF 0009; on a generation-2 card EF 0014 of the 認証AP), **this project's layout**
  (the real card keeps its later changes on the printed back; how the chip carries them is
  not public): empty until the first entry, then ``FF 40`` holding one ``E1`` per entry,
  oldest first, each of ``DF 41`` date (``YYYYMMDD``), ``DF 42`` kind (``address`` or
  ``name``, ASCII), ``DF 43`` the text written (UTF-8, at most 300 bytes) and ``DF 44`` the
  municipality code (6 digits). It holds :data:`ENDORSEMENT_SLOTS` entries: then it is full.

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
    "ENDORSEMENT_KINDS",
    "ENDORSEMENT_SLOTS",
    "CardFace",
    "Endorsement",
    "TextAttributes",
    "TextRecord",
    "decode_attributes",
    "decode_card_face",
    "decode_endorsements",
    "decode_my_number",
    "decode_text_signature",
    "encode_attributes",
    "encode_card_face",
    "encode_endorsements",
    "encode_my_number",
    "encode_text_signature",
    "placeholder_png",
    "text_signed_data",
]

_TAG_MY_NUMBER = b"\xff\x10"
_TAG_ATTRIBUTES = b"\xff\x20"
_TAG_SIGNATURE = b"\xff\x30"
_TAG_ENDORSEMENTS = b"\xff\x40"
_TAG_ENDORSEMENT = b"\xe1"
#: How many entries the 追記欄 holds (this project's choice, standing for the room on the
#: printed back of the card): the entry that fills it makes 特急発行 available.
ENDORSEMENT_SLOTS = 4
ENDORSEMENT_KINDS = ("address", "name")
_ENDORSEMENT_TEXT_BYTES = 300
_MUNICIPALITY = re.compile(r"[0-9]{6}")
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
class Endorsement:
    """One entry of the 追記欄: what the municipality wrote on the card, and when."""

    date: str  # YYYYMMDD
    kind: str  # address | name
    text: str
    municipality: str  # 6-digit code

    def __post_init__(self) -> None:
        _check_date(self.date, "date")
        if self.kind not in ENDORSEMENT_KINDS:
            raise ValueError("a 追記欄 entry is of kind address or name")
        if not self.text or len(self.text.encode("utf-8")) > _ENDORSEMENT_TEXT_BYTES:
            raise ValueError("a 追記欄 entry's text is 1 to 300 bytes of UTF-8")
        if not _MUNICIPALITY.fullmatch(self.municipality):
            raise ValueError("a municipality code is 6 digits")

    def __repr__(self) -> str:
        return f"Endorsement({self.date}, {self.kind}, <masked>, {self.municipality})"


@dataclass(frozen=True, slots=True)
class TextRecord:
    """Everything read from the text AP: the number, the four items, the 追記欄 and
    J-LIS's seal."""

    my_number: str
    attributes: TextAttributes
    attributes_ef: bytes
    number_digest: bytes
    attributes_digest: bytes
    signature: bytes
    endorsements_ef: bytes = b""
    #: SHA-256 of the 追記欄 EF from the signature block (``DF 34``); None when absent
    endorsements_digest: bytes | None = None

    @property
    def endorsements(self) -> tuple[Endorsement, ...]:
        return decode_endorsements(self.endorsements_ef)

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


def text_signed_data(my_number: str, attributes_ef: bytes, endorsements_ef: bytes = b"") -> bytes:
    """What J-LIS signs: SHA-256(12 digits) ‖ SHA-256(EF 0002 as stored), then
    ‖ SHA-256(the 追記欄 EF as stored) once it holds an entry."""
    number_digest = hashlib.sha256(_check_number(my_number).encode("ascii")).digest()
    signed = number_digest + hashlib.sha256(attributes_ef).digest()
    if endorsements_ef:
        signed += hashlib.sha256(endorsements_ef).digest()
    return signed


def encode_text_signature(signed_data: bytes, signature: bytes) -> bytes:
    """EF 0003 of the text AP from :func:`text_signed_data` and J-LIS's signature."""
    if len(signed_data) not in (64, 96):
        raise ValueError("signed data is two or three SHA-256 digests")
    endorsements = signed_data[64:]
    return tlv.encode(
        _TAG_SIGNATURE,
        tlv.encode(b"\xdf\x31", signed_data[:32])
        + tlv.encode(b"\xdf\x32", signed_data[32:64])
        + tlv.encode(b"\xdf\x33", signature)
        + (tlv.encode(b"\xdf\x34", endorsements) if endorsements else b""),
    )


def decode_text_signature(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(number digest, attributes digest, signature) from EF 0003."""
    items = _container(data, _TAG_SIGNATURE, "text AP EF 0003")
    try:
        return items[b"\xdf\x31"], items[b"\xdf\x32"], items[b"\xdf\x33"]
    except KeyError as exc:
        raise CardDataError("text AP EF 0003 lacks a digest or the signature") from exc


def endorsements_digest(data: bytes) -> bytes | None:
    """``DF 34`` of EF 0003 (the 追記欄's digest), or None when the block has none."""
    return _container(data, _TAG_SIGNATURE, "text AP EF 0003").get(b"\xdf\x34")


def encode_endorsements(entries: list[Endorsement] | tuple[Endorsement, ...]) -> bytes:
    """The 追記欄 EF: empty without entries; at most :data:`ENDORSEMENT_SLOTS` of them."""
    if len(entries) > ENDORSEMENT_SLOTS:
        raise ValueError(f"the 追記欄 holds {ENDORSEMENT_SLOTS} entries")
    if not entries:
        return b""
    body = b"".join(
        tlv.encode(
            _TAG_ENDORSEMENT,
            tlv.encode(b"\xdf\x41", e.date.encode("ascii"))
            + tlv.encode(b"\xdf\x42", e.kind.encode("ascii"))
            + tlv.encode(b"\xdf\x43", e.text.encode("utf-8"))
            + tlv.encode(b"\xdf\x44", e.municipality.encode("ascii")),
        )
        for e in entries
    )
    return tlv.encode(_TAG_ENDORSEMENTS, body)


def decode_endorsements(data: bytes) -> tuple[Endorsement, ...]:
    """The entries of a 追記欄 EF (none for an empty EF)."""
    if not data:
        return ()
    outer, value, _ = tlv.decode(data)
    if outer != _TAG_ENDORSEMENTS:
        raise CardDataError("the 追記欄 is not an FF 40 container")
    entries = []
    for tag, body in tlv.decode_all(value):
        if tag != _TAG_ENDORSEMENT:
            raise CardDataError("a 追記欄 entry is not an E1 object")
        items = dict(tlv.decode_all(body))
        try:
            entries.append(
                Endorsement(
                    date=items[b"\xdf\x41"].decode("ascii"),
                    kind=items[b"\xdf\x42"].decode("ascii"),
                    text=items[b"\xdf\x43"].decode("utf-8"),
                    municipality=items[b"\xdf\x44"].decode("ascii"),
                )
            )
        except (KeyError, UnicodeDecodeError, ValueError) as exc:
            raise CardDataError("a 追記欄 entry lacks or mangles an item") from exc
    if len(entries) > ENDORSEMENT_SLOTS:
        raise CardDataError("the 追記欄 holds more entries than it has room for")
    return tuple(entries)


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
