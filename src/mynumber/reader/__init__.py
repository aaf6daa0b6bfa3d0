"""The host side of the My Number card: clients that speak its APDUs over any transport.

Pure: standard library, ``cryptography`` and :mod:`mynumber.errors` only (pyscard is
imported lazily by :class:`PCSCTransport`). It does not import :mod:`mynumber.card`: a
host program knows the card only through its APDUs.
"""

from __future__ import annotations

from mynumber.reader.cardfiles import (
    ENDORSEMENT_SLOTS,
    CardFace,
    Endorsement,
    TextAttributes,
    TextRecord,
    decode_attributes,
    decode_card_face,
    decode_my_number,
    decode_text_signature,
    encode_attributes,
    encode_card_face,
    encode_my_number,
    encode_text_signature,
    placeholder_png,
    text_signed_data,
)
from mynumber.reader.client import (
    JPKIClient,
    KeyKind,
    PinRef,
    PinSpec,
    digest_info,
    verify_text_signature,
)
from mynumber.reader.errors import (
    CardDataError,
    CardStatusError,
    FileNotFound,
    InvalidPin,
    IssuerAuthenticationFailed,
    PinBlocked,
    PinIncorrect,
    PinNotSet,
    ReaderError,
    SecurityStatusNotSatisfied,
    TextSignatureInvalid,
    TransportError,
)
from mynumber.reader.issuer import IssuerSession
from mynumber.reader.pcsc import PCSCTransport, list_readers
from mynumber.reader.transport import Transport

__all__ = [
    "ENDORSEMENT_SLOTS",
    "CardDataError",
    "CardFace",
    "CardStatusError",
    "Endorsement",
    "FileNotFound",
    "InvalidPin",
    "IssuerAuthenticationFailed",
    "IssuerSession",
    "JPKIClient",
    "KeyKind",
    "PCSCTransport",
    "PinBlocked",
    "PinIncorrect",
    "PinNotSet",
    "PinRef",
    "PinSpec",
    "ReaderError",
    "SecurityStatusNotSatisfied",
    "TextAttributes",
    "TextRecord",
    "TextSignatureInvalid",
    "Transport",
    "TransportError",
    "decode_attributes",
    "decode_card_face",
    "decode_my_number",
    "decode_text_signature",
    "digest_info",
    "encode_attributes",
    "encode_card_face",
    "encode_my_number",
    "encode_text_signature",
    "list_readers",
    "placeholder_png",
    "text_signed_data",
    "verify_text_signature",
]
