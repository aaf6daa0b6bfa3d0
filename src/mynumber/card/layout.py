"""The four applications and the free area, with the real AIDs, EF ids and rules.

Sources: ``domain-reference.md`` §2 and §4. Only the EFs clients are known to use are
modelled; other EFs of the real card (JPKI 0008/0016, text AP 0004–0007 and 0013–0015,
券面AP 0003) are not on this chip. Capacities are this project's choice (the real sizes
are not public); they bound what the issuer can write.

The 追記欄 EF (text AP 0009; 認証AP 0014 on a generation-2 card) is **this project's**: the
real card prints its later changes on its back and how the chip keeps them is not public
(the layout is in :mod:`mynumber.reader.cardfiles`).
"""

from __future__ import annotations

import re

from mynumber.card import pins
from mynumber.card.codes import (
    AID_AUTH_GEN2,
    AID_FACE_GEN2,
    AID_JPKI,
    AID_JUKI,
    AID_TEXT,
    AID_VISUAL,
    EF,
    EF2,
    JPKI_TOKEN,
)
from mynumber.card.errors import ManufactureError
from mynumber.card.files import (
    EC_P384,
    BinaryFile,
    DedicatedFile,
    ElementaryFile,
    KeyFile,
    PinFile,
    RecordFile,
    after,
)
from mynumber.card.freearea import build_free_area

__all__ = [
    "GENERATIONS",
    "MANUFACTURE_NUMBER_LENGTH",
    "build_filesystem",
    "juki_record",
    "validate_manufacture_number",
]

#: Card manufacture number: 13 characters read at [2..15] of the 住基AP record (libmyna
#: ``src/unknown.rs``). Its alphabet is UNSOURCED; here: A–Z and 0–9.
MANUFACTURE_NUMBER_LENGTH = 13
_MANUFACTURE_RE = re.compile(r"[0-9A-Z]{13}")

_CERT_CAPACITY = 4096
_TEXT_CAPACITY = 2048
_FACE_CAPACITY = 0x7FFF  # the largest offset a short UPDATE BINARY can address
#: The 追記欄 EF: room for its fixed number of entries (``reader.cardfiles.ENDORSEMENT_SLOTS``).
_ENDORSEMENT_CAPACITY = 2048
_ENDORSEMENTS = (
    "追記欄: entries written after issue (date, kind, text, municipality; this project's layout)"
)


def validate_manufacture_number(value: str) -> str:
    """Return ``value`` if it is 13 of A–Z 0–9, else raise :class:`ManufactureError`."""
    if not _MANUFACTURE_RE.fullmatch(value):
        raise ManufactureError("a card manufacture number is 13 characters of A-Z and 0-9")
    return value


def juki_record(manufacture_number: str) -> bytes:
    """住基AP record 1 (SFI 1): one TLV whose value holds the manufacture number at [2..15].

    libmyna BER-decodes the record and prints ``value[2..15]``. The tag and the two
    leading characters are UNSOURCED: here tag ``DF 01`` and the characters ``01``.
    """
    value = b"01" + manufacture_number.encode("ascii")
    return b"\xdf\x01" + bytes((len(value),)) + value


#: Card generations: 1, today's card (four APs, RSA-2048); 2, this project's model of the
#: next card (two APs, two PINs, ECDSA P-384).
GENERATIONS = (1, 2)


def build_filesystem(manufacture_number: str, generation: int = 1) -> dict[bytes, DedicatedFile]:
    """A fresh chip's applications, keyed by AID, with empty data, keys and PINs."""
    validate_manufacture_number(manufacture_number)
    if generation == 2:
        return _generation_2(manufacture_number)
    if generation != 1:
        raise ManufactureError("a card generation is 1 or 2")
    jpki = DedicatedFile(
        "jpki",
        AID_JPKI,
        "JPKI-AP (公的個人認証AP)",
        _index(
            BinaryFile(
                EF.JPKI_SIGN_CERT,
                "signing certificate (X.509 DER, carries the four basic items)",
                read=after(EF.JPKI_SIGN_PIN),
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(
                EF.JPKI_SIGN_CA,
                "signing CA certificate (X.509 DER)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(EF.JPKI_TOKEN, "token string JPKIAPICCTOKEN", data=JPKI_TOKEN),
            BinaryFile(
                EF.JPKI_AUTH_CERT,
                "user-authentication certificate (X.509 DER, no personal data)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(
                EF.JPKI_AUTH_CA,
                "user-authentication CA certificate (X.509 DER)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            KeyFile(
                EF.JPKI_AUTH_KEY, "user-authentication private key (RSA-2048)", EF.JPKI_AUTH_PIN
            ),
            PinFile(EF.JPKI_AUTH_PIN, "user-authentication PIN", pins.JPKI_AUTH_PIN),
            KeyFile(EF.JPKI_SIGN_KEY, "signing private key (RSA-2048)", EF.JPKI_SIGN_PIN),
            PinFile(EF.JPKI_SIGN_PIN, "signing password", pins.JPKI_SIGN_PASSWORD),
        ),
    )
    text = DedicatedFile(
        "text",
        AID_TEXT,
        "券面事項入力補助AP",
        _index(
            BinaryFile(
                EF.TEXT_MY_NUMBER,
                "My Number (FF 10 0C + 12 ASCII digits)",
                read=after(EF.TEXT_PIN),
                writable=True,
                capacity=64,
            ),
            BinaryFile(
                EF.TEXT_ATTRIBUTES,
                "four basic items: name, address, birth date, sex (FF 20 container)",
                read=after(EF.TEXT_PIN),
                writable=True,
                capacity=_TEXT_CAPACITY,
            ),
            BinaryFile(
                EF.TEXT_SIGNATURE,
                "J-LIS signature over the digests of the number and the items (FF 30)",
                read=after(EF.TEXT_PIN),
                writable=True,
                capacity=1024,
            ),
            BinaryFile(
                EF.TEXT_ENDORSEMENTS,
                _ENDORSEMENTS,
                read=after(EF.TEXT_PIN),
                writable=True,
                capacity=_ENDORSEMENT_CAPACITY,
            ),
            PinFile(EF.TEXT_PIN, "text AP PIN", pins.TEXT_PIN),
        ),
    )
    visual = DedicatedFile(
        "visual",
        AID_VISUAL,
        "券面AP (券面確認AP)",
        _index(
            BinaryFile(
                EF.VISUAL_FACE,
                "card face: birth date, sex, name image, address image, photo, expiry",
                read=after(EF.VISUAL_PIN_A, EF.VISUAL_PIN_B),
                writable=True,
                capacity=_FACE_CAPACITY,
            ),
            PinFile(EF.VISUAL_PIN_B, "visual AP PIN B", pins.VISUAL_PIN_B),
            PinFile(EF.VISUAL_PIN_A, "visual AP PIN A (the My Number)", pins.VISUAL_PIN_A),
        ),
    )
    juki = DedicatedFile(
        "juki",
        AID_JUKI,
        "住基AP",
        _index(
            RecordFile(
                EF.JUKI_RECORDS,
                1,
                "card manufacture number",
                records=[juki_record(manufacture_number)],
            ),
            PinFile(EF.JUKI_PIN, "juki AP PIN", pins.JUKI_PIN),
        ),
    )
    free = build_free_area()
    return {df.aid: df for df in (jpki, text, visual, juki, free)}


def _generation_2(manufacture_number: str) -> dict[bytes, DedicatedFile]:
    """The next-generation card modelled on the published plan (TF final draft 2024-03-18):
    a (仮称)認証AP holding everything that needs a PIN, a (仮称)券面等AP opened with a
    照合番号, two PINs, ECDSA P-384 keys. Its AIDs, ids and APDUs are not public: this
    layout is this project's choice.
    """
    pin, password = EF2.PIN, EF2.SIGN_PASSWORD
    auth = DedicatedFile(
        "auth2",
        AID_AUTH_GEN2,
        "(仮称)認証AP",
        _index(
            BinaryFile(
                EF2.SIGN_CERT,
                "signing certificate (X.509 DER, ECDSA P-384, carries the four basic items)",
                read=after(password),
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(
                EF2.SIGN_CA,
                "signing CA certificate (X.509 DER, generation 2)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(EF2.TOKEN, "token string JPKIAPICCTOKEN", data=JPKI_TOKEN),
            BinaryFile(
                EF2.AUTH_CERT,
                "user-authentication certificate (X.509 DER, ECDSA P-384, no personal data)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(
                EF2.AUTH_CA,
                "user-authentication CA certificate (X.509 DER, generation 2)",
                writable=True,
                capacity=_CERT_CAPACITY,
            ),
            BinaryFile(
                EF2.MY_NUMBER,
                "My Number (FF 10 0C + 12 ASCII digits)",
                read=after(pin),
                writable=True,
                capacity=64,
            ),
            BinaryFile(
                EF2.ATTRIBUTES,
                "four basic items: name, address, birth date, sex (FF 20 container)",
                read=after(pin),
                writable=True,
                capacity=_TEXT_CAPACITY,
            ),
            BinaryFile(
                EF2.TEXT_SIGNATURE,
                "J-LIS signature over the digests of the number and the items (FF 30)",
                read=after(pin),
                writable=True,
                capacity=1024,
            ),
            BinaryFile(
                EF2.ENDORSEMENTS,
                _ENDORSEMENTS,
                read=after(pin),
                writable=True,
                capacity=_ENDORSEMENT_CAPACITY,
            ),
            KeyFile(EF2.AUTH_KEY, "user-authentication private key (ECDSA P-384)", pin, EC_P384),
            PinFile(pin, "card PIN (4 digits)", pins.CARD_PIN_GEN2),
            KeyFile(EF2.SIGN_KEY, "signing private key (ECDSA P-384)", password, EC_P384),
            PinFile(password, "signing password", pins.JPKI_SIGN_PASSWORD),
        ),
    )
    face = DedicatedFile(
        "face2",
        AID_FACE_GEN2,
        "(仮称)券面等AP",
        _index(
            BinaryFile(
                EF2.FACE,
                "card face: birth date, sex, name image, address image, photo, expiry",
                read=after(EF2.PIN_A, EF2.PIN_B),
                writable=True,
                capacity=_FACE_CAPACITY,
            ),
            PinFile(EF2.PIN_B, "照合番号B", pins.VISUAL_PIN_B),
            PinFile(EF2.PIN_A, "照合番号A (the My Number)", pins.VISUAL_PIN_A),
            RecordFile(
                EF2.RECORDS,
                EF2.RECORDS,
                "card manufacture number",
                records=[juki_record(manufacture_number)],
            ),
        ),
    )
    free = build_free_area()
    return {df.aid: df for df in (auth, face, free)}


def _index(*efs: ElementaryFile) -> dict[int, ElementaryFile]:
    return {ef.fid: ef for ef in efs}
