"""A host-side client of the My Number card over any :class:`Transport`.

It speaks the card's APDUs as OpenSC and libmyna do (``domain-reference.md`` §4):
SELECT by AID then by EF id, READ BINARY in chunks (a file's length from its DER/BER
header), VERIFY with the PIN as ASCII, ``80 2A 00 80`` + DigestInfo to sign. ``61 xx``
answers are followed with GET RESPONSE and ``6C xx`` answers resent with Le = xx.

It reads both card generations: a card without the JPKI-AP is taken as a generation-2
card (this project's model of 次期個人番号カード: the 認証AP and 券面等AP, two PINs, ECDSA
P-384 keys that sign a bare 48-byte SHA-384 hash, see :func:`pin_location`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynumber.reader import cardfiles, codes, tlv
from mynumber.reader.errors import (
    CardDataError,
    CardStatusError,
    FileNotFound,
    InvalidPin,
    PinBlocked,
    PinIncorrect,
    PinNotSet,
    SecurityStatusNotSatisfied,
    TextSignatureInvalid,
)
from mynumber.reader.transport import Transport

__all__ = [
    "JPKIClient",
    "KeyKind",
    "PinRef",
    "PinSpec",
    "digest_info",
    "pin_location",
    "verify_text_signature",
]

_CHUNK = 256
_MAX_FILE = 0x8000

#: DigestInfo prefixes (RFC 8017 §9.2 note 1), with the NULL parameter.
_DIGEST_INFO_PREFIX = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def digest_info(digest: bytes, algorithm: str = "sha256") -> bytes:
    """DER DigestInfo for ``digest`` (what the card's COMPUTE DIGITAL SIGNATURE takes)."""
    prefix = _DIGEST_INFO_PREFIX.get(algorithm)
    if prefix is None:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    if len(digest) != prefix[-1]:
        raise ValueError(f"a {algorithm} digest is {prefix[-1]} bytes")
    return prefix + digest


@dataclass(frozen=True, slots=True)
class PinSpec:
    """Where a PIN lives and what it may look like (checked before it is sent)."""

    aid: bytes
    fid: int
    label: str
    alphabet: str
    min_length: int
    max_length: int
    upper: bool = False

    def encode(self, pin: str) -> bytes:
        value = pin.upper() if self.upper else pin
        if not (
            self.min_length <= len(value) <= self.max_length
            and value.isascii()
            and all(ch in self.alphabet for ch in value)
        ):
            raise InvalidPin(
                f"the {self.label} is {self.min_length}-{self.max_length} characters "
                f"of {'A-Z, 0-9' if self.upper else '0-9'}"
            )
        return value.encode("ascii")


_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS


class PinRef(Enum):
    """The card's PINs."""

    JPKI_AUTH = "jpki-auth"
    JPKI_SIGN = "jpki-sign"
    TEXT = "text"
    VISUAL_A = "visual-a"
    VISUAL_B = "visual-b"
    JUKI = "juki"

    @property
    def spec(self) -> PinSpec:
        return _PINS[self]


_PINS: dict[PinRef, PinSpec] = {
    PinRef.JPKI_AUTH: PinSpec(
        codes.AID_JPKI, codes.EF_JPKI_AUTH_PIN, "user-authentication PIN", _DIGITS, 4, 4
    ),
    PinRef.JPKI_SIGN: PinSpec(
        codes.AID_JPKI, codes.EF_JPKI_SIGN_PIN, "signing password", _UPPER, 6, 16, upper=True
    ),
    PinRef.TEXT: PinSpec(codes.AID_TEXT, codes.EF_TEXT_PIN, "text AP PIN", _DIGITS, 4, 4),
    PinRef.VISUAL_A: PinSpec(
        codes.AID_VISUAL, codes.EF_VISUAL_PIN_A, "visual AP PIN A (My Number)", _DIGITS, 12, 12
    ),
    PinRef.VISUAL_B: PinSpec(
        codes.AID_VISUAL, codes.EF_VISUAL_PIN_B, "visual AP PIN B", _DIGITS, 14, 14
    ),
    PinRef.JUKI: PinSpec(codes.AID_JUKI, codes.EF_JUKI_PIN, "juki AP PIN", _DIGITS, 4, 4),
}


class KeyKind(Enum):
    """The two JPKI key pairs."""

    AUTH = "auth"
    SIGN = "sign"

    @property
    def key_ef(self) -> int:
        return codes.EF_JPKI_AUTH_KEY if self is KeyKind.AUTH else codes.EF_JPKI_SIGN_KEY

    @property
    def certificate_ef(self) -> int:
        return codes.EF_JPKI_AUTH_CERT if self is KeyKind.AUTH else codes.EF_JPKI_SIGN_CERT

    @property
    def ca_ef(self) -> int:
        return codes.EF_JPKI_AUTH_CA if self is KeyKind.AUTH else codes.EF_JPKI_SIGN_CA

    @property
    def pin(self) -> PinRef:
        return PinRef.JPKI_AUTH if self is KeyKind.AUTH else PinRef.JPKI_SIGN


#: Where each PIN is on a generation-2 card: the card PIN serves the authentication key, the
#: text items (there is no separate text PIN) and nothing else; no 住基 PIN.
_PINS_GEN2: dict[PinRef, tuple[bytes, int]] = {
    PinRef.JPKI_AUTH: (codes.AID_AUTH_GEN2, codes.EF_JPKI_AUTH_PIN),
    PinRef.JPKI_SIGN: (codes.AID_AUTH_GEN2, codes.EF_JPKI_SIGN_PIN),
    PinRef.TEXT: (codes.AID_AUTH_GEN2, codes.EF_JPKI_AUTH_PIN),
    PinRef.VISUAL_A: (codes.AID_FACE_GEN2, codes.EF_VISUAL_PIN_A),
    PinRef.VISUAL_B: (codes.AID_FACE_GEN2, codes.EF_VISUAL_PIN_B),
}


def pin_location(pin: PinRef, generation: int = 1) -> tuple[bytes, int]:
    """(AID, EF id) of ``pin`` on a card of ``generation``; :class:`FileNotFound` for the
    PINs a generation-2 card does not have."""
    if generation == 1:
        return pin.spec.aid, pin.spec.fid
    found = _PINS_GEN2.get(pin)
    if found is None:
        raise FileNotFound(
            f"a generation-2 card has no {pin.spec.label}",
            status_word=codes.SW_FILE_NOT_FOUND,
            operation="SELECT EF",
        )
    return found


def jpki_aid(generation: int) -> bytes:
    """The application holding the keys and certificates on a card of ``generation``."""
    return codes.AID_JPKI if generation == 1 else codes.AID_AUTH_GEN2


def _has_le(apdu: bytes) -> bool:
    return len(apdu) == 5 or (len(apdu) > 5 and len(apdu) == 6 + apdu[4])


class _Channel:
    """APDU exchange with GET RESPONSE / 6Cxx handling and status-word errors."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def exchange(self, apdu: bytes) -> tuple[bytes, int]:
        raw = self.transport.transmit(apdu)
        if len(raw) < 2:
            raise CardDataError("the card answered less than a status word")
        data, sw = raw[:-2], int.from_bytes(raw[-2:], "big")
        if sw >> 8 == 0x6C and _has_le(apdu):
            raw = self.transport.transmit(apdu[:-1] + bytes((sw & 0xFF,)))
            if len(raw) < 2:
                raise CardDataError("the card answered less than a status word")
            data, sw = raw[:-2], int.from_bytes(raw[-2:], "big")
        while sw >> 8 == 0x61:
            raw = self.transport.transmit(bytes((0x00, 0xC0, 0x00, 0x00, sw & 0xFF)))
            if len(raw) < 2:
                raise CardDataError("the card answered less than a status word")
            data += raw[:-2]
            sw = int.from_bytes(raw[-2:], "big")
        return data, sw

    def command(
        self,
        operation: str,
        cla: int,
        ins: int,
        p1: int,
        p2: int,
        data: bytes = b"",
        le: int | None = None,
        *,
        ok: tuple[int, ...] = (codes.SW_OK,),
    ) -> bytes:
        apdu = bytes((cla, ins, p1, p2))
        if data:
            apdu += bytes((len(data),)) + data
        if le is not None:
            apdu += bytes((le & 0xFF,))
        body, sw = self.exchange(apdu)
        if sw not in ok:
            raise status_error(sw, operation)
        return body


def status_error(sw: int, operation: str) -> CardStatusError:
    """The error for an unexpected status word."""
    if sw == codes.SW_FILE_NOT_FOUND:
        return FileNotFound("not found", status_word=sw, operation=operation)
    if sw == codes.SW_SECURITY:
        return SecurityStatusNotSatisfied(
            "security status not satisfied", status_word=sw, operation=operation
        )
    if sw == codes.SW_BLOCKED or sw == 0x63C0:
        return PinBlocked("PIN blocked", status_word=sw, operation=operation)
    if sw == codes.SW_PIN_NOT_SET:
        return PinNotSet(status_word=sw, operation=operation)
    if sw & 0xFFF0 == 0x63C0:
        return PinIncorrect(tries_left=sw & 0x0F, status_word=sw, operation=operation)
    return CardStatusError("refused", status_word=sw, operation=operation)


class JPKIClient:
    """Drive a My Number card: certificates, PINs, signatures, text AP, 住基AP."""

    def __init__(self, transport: Transport) -> None:
        self._ch = _Channel(transport)
        self._current_aid: bytes | None = None
        self._generation: int | None = None

    @property
    def generation(self) -> int:
        """1 for a card with the JPKI-AP, 2 for one with the generation-2 認証AP."""
        if self._generation is None:
            try:
                self.select_application(codes.AID_JPKI)
                self._generation = 1
            except FileNotFound:
                self.select_application(codes.AID_AUTH_GEN2)
                self._generation = 2
        return self._generation

    # --- selection and files -----------------------------------------------------------

    def select_application(self, aid: bytes) -> None:
        self._ch.command("SELECT AP", 0x00, 0xA4, 0x04, 0x0C, aid)
        self._current_aid = aid

    def select_ef(self, fid: int) -> None:
        self._ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))

    def applications(self) -> list[tuple[str, bytes]]:
        """The applications this card answers to, as (label, AID)."""
        found = []
        for label, aid in codes.APPLICATIONS:
            try:
                self.select_application(aid)
            except FileNotFound:
                continue
            found.append((label, aid))
        self._current_aid = None
        return found

    def read_binary(self, offset: int, length: int) -> bytes:
        """READ BINARY up to ``length`` (1..256) bytes at ``offset`` of the current EF."""
        return self._ch.command(
            "READ BINARY",
            0x00,
            0xB0,
            offset >> 8,
            offset & 0xFF,
            le=length,
            ok=(codes.SW_OK, 0x6282),
        )

    def read_tlv_file(self) -> bytes:
        """Read the whole current EF, its length taken from its BER/DER header."""
        data = self.read_binary(0, _CHUNK)
        total = tlv.total_length(data)
        if total is None:
            raise CardDataError("file does not start with a TLV header")
        if total > _MAX_FILE:
            raise CardDataError("file larger than a card EF can be")
        while len(data) < total:
            chunk = self.read_binary(len(data), min(_CHUNK, total - len(data)))
            if not chunk:
                raise CardDataError("file ended before its declared length")
            data += chunk
        return data[:total]

    def _read_file(self, aid: bytes, fid: int) -> bytes:
        self._ensure(aid)
        self.select_ef(fid)
        return self.read_tlv_file()

    def _ensure(self, aid: bytes) -> None:
        # Re-selecting the current AP keeps its verified PINs, so always select.
        self.select_application(aid)

    # --- JPKI ----------------------------------------------------------------------------

    def read_certificate(self, kind: KeyKind) -> bytes:
        """DER of the user certificate (the signing one needs the password verified)."""
        return self._read_file(jpki_aid(self.generation), kind.certificate_ef)

    def read_ca_certificate(self, kind: KeyKind) -> bytes:
        return self._read_file(jpki_aid(self.generation), kind.ca_ef)

    def read_token(self) -> str:
        self._ensure(jpki_aid(self.generation))
        self.select_ef(codes.EF_JPKI_TOKEN)
        return self.read_binary(0, 0x20).rstrip(b"\x00").decode("ascii", "replace")

    def pin_status(self, pin: PinRef) -> int:
        """Tries left (``63 Cx`` to a VERIFY without data); 0 when blocked."""
        aid, fid = pin_location(pin, self.generation)
        self._ensure(aid)
        self.select_ef(fid)
        _, sw = self._ch.exchange(bytes((0x00, 0x20, 0x00, 0x80)))
        if sw == codes.SW_PIN_NOT_SET:
            raise PinNotSet(status_word=sw, operation="PIN STATUS")
        if sw & 0xFFF0 != 0x63C0:
            raise CardStatusError("no retry counter", status_word=sw, operation="PIN STATUS")
        return sw & 0x0F

    def verify_pin(self, pin: PinRef, value: str) -> None:
        """VERIFY; raises :class:`PinIncorrect` (``tries_left``) or :class:`PinBlocked`."""
        encoded = pin.spec.encode(value)
        aid, fid = pin_location(pin, self.generation)
        self._ensure(aid)
        self.select_ef(fid)
        self._ch.command("VERIFY", 0x00, 0x20, 0x00, 0x80, encoded)

    def change_pin(self, pin: PinRef, current: str, new: str) -> None:
        """VERIFY the current PIN, then CHANGE REFERENCE DATA ``00 24 01 80`` to the new one."""
        new_encoded = pin.spec.encode(new)
        self.verify_pin(pin, current)
        self._ch.command("CHANGE PIN", 0x00, 0x24, 0x01, 0x80, new_encoded)

    def sign_digest(
        self, kind: KeyKind, digest: bytes, *, algorithm: str = "sha256", pin: str | None = None
    ) -> bytes:
        """Sign a digest with the card's key (PIN verified first if ``pin`` is given).

        A generation-1 card takes a DigestInfo (RSA PKCS#1 v1.5); a generation-2 card takes
        the bare 48-byte SHA-384 hash and answers a DER ECDSA signature."""
        if self.generation == 2:
            if algorithm != "sha384" or len(digest) != 48:
                raise ValueError("a generation-2 card signs a 48-byte SHA-384 hash")
            info = digest
        else:
            info = digest_info(digest, algorithm)
        if pin is not None:
            self.verify_pin(kind.pin, pin)
        self._ensure(jpki_aid(self.generation))
        self.select_ef(kind.key_ef)
        return self._ch.command("COMPUTE DIGITAL SIGNATURE", 0x80, 0x2A, 0x00, 0x80, info, 256)

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes:
        """Hash ``data`` here and sign the digest on the card: SHA-256 and RSA PKCS#1 v1.5
        (generation 1), SHA-384 and ECDSA P-384 (generation 2)."""
        if self.generation == 2:
            return self.sign_digest(
                kind, hashlib.sha384(data).digest(), algorithm="sha384", pin=pin
            )
        return self.sign_digest(kind, hashlib.sha256(data).digest(), pin=pin)

    # --- text AP, visual AP, 住基AP ------------------------------------------------------

    def _text_efs(self) -> tuple[int, int, int]:
        if self.generation == 2:
            return codes.EF2_MY_NUMBER, codes.EF2_ATTRIBUTES, codes.EF2_TEXT_SIGNATURE
        return codes.EF_TEXT_MY_NUMBER, codes.EF_TEXT_ATTRIBUTES, codes.EF_TEXT_SIGNATURE

    def read_my_number(self, pin: str) -> str:
        self.verify_pin(PinRef.TEXT, pin)
        self.select_ef(self._text_efs()[0])
        return cardfiles.decode_my_number(self.read_binary(0, 17))

    def read_text_ap(self, pin: str) -> cardfiles.TextRecord:
        """The number, the four basic items, the 追記欄 and J-LIS's signature block (not yet
        checked)."""
        number_ef, attributes_fid, signature_ef = self._text_efs()
        self.verify_pin(PinRef.TEXT, pin)
        self.select_ef(number_ef)
        my_number = cardfiles.decode_my_number(self.read_binary(0, 17))
        self.select_ef(attributes_fid)
        attributes_ef = self.read_tlv_file()
        self.select_ef(signature_ef)
        signature_block = self.read_tlv_file()
        number_digest, attributes_digest, signature = cardfiles.decode_text_signature(
            signature_block
        )
        return cardfiles.TextRecord(
            my_number=my_number,
            attributes=cardfiles.decode_attributes(attributes_ef),
            attributes_ef=attributes_ef,
            number_digest=number_digest,
            attributes_digest=attributes_digest,
            signature=signature,
            endorsements_ef=self._read_endorsements_ef(),
            endorsements_digest=cardfiles.endorsements_digest(signature_block),
        )

    def _read_endorsements_ef(self) -> bytes:
        """The 追記欄 EF as stored (empty until the first entry: READ BINARY answers
        ``6B 00`` at offset 0); the text PIN is verified already."""
        fid = codes.EF2_ENDORSEMENTS if self.generation == 2 else codes.EF_TEXT_ENDORSEMENTS
        self.select_ef(fid)
        try:
            return self.read_tlv_file()
        except CardStatusError as exc:
            if exc.status_word == codes.SW_WRONG_P1P2:
                return b""
            raise

    def read_endorsements(self, pin: str) -> tuple[cardfiles.Endorsement, ...]:
        """The 追記欄's entries, oldest first, after the text PIN (the card PIN on a
        generation-2 card). Not checked against J-LIS's seal: see :meth:`read_text_ap`."""
        self.verify_pin(PinRef.TEXT, pin)
        return cardfiles.decode_endorsements(self._read_endorsements_ef())

    def read_card_face(self, my_number: str) -> cardfiles.CardFace:
        """The visual AP's card face, unlocked with PIN A (the My Number)."""
        self.verify_pin(PinRef.VISUAL_A, my_number)
        self.select_ef(codes.EF_VISUAL_FACE)
        return cardfiles.decode_card_face(self.read_tlv_file())

    def read_manufacture_number(self) -> str:
        """住基AP READ RECORD ``00 B2 01 0C 00``: characters [2..15] of the TLV value (on a
        generation-2 card the 券面等AP's record at SFI 1D, ``00 B2 01 EC 00``)."""
        if self.generation == 2:
            self._ensure(codes.AID_FACE_GEN2)
            p2 = codes.SFI2_RECORDS << 3 | 0x04
        else:
            self._ensure(codes.AID_JUKI)
            p2 = 0x0C
        record = self._ch.command("READ RECORD", 0x00, 0xB2, 0x01, p2, le=256)
        _, value, _ = tlv.decode(record)
        if len(value) < 15:
            raise CardDataError("住基AP record shorter than 15 characters")
        return value[2:15].decode("ascii", "replace")


def verify_text_signature(
    record: cardfiles.TextRecord, jlis_public_key: rsa.RSAPublicKey
) -> cardfiles.TextRecord:
    """Check J-LIS's seal over the text AP; return the record or raise
    :class:`TextSignatureInvalid`."""
    expected = cardfiles.text_signed_data(
        record.my_number, record.attributes_ef, record.endorsements_ef
    )
    digests = record.number_digest + record.attributes_digest
    if record.endorsements_digest is not None:
        digests += record.endorsements_digest
    if expected != digests:  # an entry added, removed or altered after J-LIS sealed it too
        raise TextSignatureInvalid("text AP digests do not match the data")
    try:
        jlis_public_key.verify(record.signature, expected, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise TextSignatureInvalid("J-LIS's text AP signature does not verify") from exc
    return record
