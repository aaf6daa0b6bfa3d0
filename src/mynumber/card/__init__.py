"""The My Number card chip: APDUs in, APDUs out (pure: stdlib, cryptography, errors).

**A software card is not a secure element** (see :mod:`mynumber.card.image`).

Make a blank chip with :meth:`Chip.manufacture`, personalise it through
:class:`mynumber.reader.IssuerSession`, keep it with :class:`CardFile`, load it again with
:meth:`Chip.from_image`, and speak to it through :class:`ChipTransport` (in process) or
:class:`VpcdCard` (through pcscd, so PC/SC programs such as OpenSC see a card).
"""

from __future__ import annotations

from mynumber.card.apdu import Command, Response
from mynumber.card.chip import TAMPER_PROBE_LIMIT, Chip, Lifecycle
from mynumber.card.codes import (
    AID_AUTH_GEN2,
    AID_FACE_GEN2,
    AID_FREE_AREA,
    AID_JPKI,
    AID_JUKI,
    AID_TEXT,
    AID_VISUAL,
    ATR,
    EF,
    EF2,
    INS,
    JPKI_TOKEN,
    SW,
)
from mynumber.card.errors import (
    ApduError,
    CardError,
    ImageError,
    ManufactureError,
    PersistenceError,
    SealError,
)
from mynumber.card.freearea import FreeApp, derive_free_area_key
from mynumber.card.image import (
    SEAL_KEY_LENGTH,
    CardFile,
    ImageStore,
    MemoryStore,
    load_or_create_demo_seal_key,
    read_seal_key,
    write_demo_seal_key,
)
from mynumber.card.issuer import ISSUER_KEY_LENGTH, admin_cryptogram, derive_issuer_key
from mynumber.card.keys import GeneratingKeySource, KeySource
from mynumber.card.layout import MANUFACTURE_NUMBER_LENGTH, validate_manufacture_number
from mynumber.card.transport import ChipTransport
from mynumber.card.vpcd import VPCD_PORTS, VpcdCard, reader_name, reader_port

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
    "ISSUER_KEY_LENGTH",
    "JPKI_TOKEN",
    "MANUFACTURE_NUMBER_LENGTH",
    "SEAL_KEY_LENGTH",
    "SW",
    "TAMPER_PROBE_LIMIT",
    "VPCD_PORTS",
    "ApduError",
    "CardError",
    "CardFile",
    "Chip",
    "ChipTransport",
    "Command",
    "FreeApp",
    "GeneratingKeySource",
    "ImageError",
    "ImageStore",
    "KeySource",
    "Lifecycle",
    "ManufactureError",
    "MemoryStore",
    "PersistenceError",
    "Response",
    "SealError",
    "VpcdCard",
    "admin_cryptogram",
    "derive_free_area_key",
    "derive_issuer_key",
    "load_or_create_demo_seal_key",
    "read_seal_key",
    "reader_name",
    "reader_port",
    "validate_manufacture_number",
    "write_demo_seal_key",
]
