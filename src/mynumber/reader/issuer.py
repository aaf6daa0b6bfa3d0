"""The issuer's (J-LIS's) side of personalisation: an authenticated admin session.

J-LIS never speaks raw bytes: it opens a session with the card's issuer key
(``mynumber.card.derive_issuer_key(master, manufacture number)``), has the chip
generate its key pairs (getting back the public keys only), writes certificates and the
text/visual AP data, sets the initial PINs and finishes personalisation. After
:meth:`IssuerSession.finish` only :meth:`IssuerSession.set_pin` (a PIN reset at the
municipality) is still accepted by the chip.

A session opened with ``generation=2`` personalises a generation-2 card (this project's
model: the 認証AP with P-384 keys, the text items and the two PINs; the 券面等AP).
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import cmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms

from mynumber.reader import cardfiles, codes
from mynumber.reader.client import (
    KeyKind,
    PinRef,
    _Channel,
    jpki_aid,
    pin_location,
    status_error,
)
from mynumber.reader.errors import CardDataError, IssuerAuthenticationFailed
from mynumber.reader.transport import Transport

__all__ = ["IssuerSession"]

_CHALLENGE_LENGTH = 16
_WRITE_CHUNK = 240


class IssuerSession:
    """An open admin session on one card. Make it with :meth:`open`."""

    def __init__(self, channel: _Channel, generation: int = 1) -> None:
        if generation not in (1, 2):
            raise ValueError("a card generation is 1 or 2")
        self._ch = channel
        self.generation = generation

    @classmethod
    def open(cls, transport: Transport, *, issuer_key: bytes, generation: int = 1) -> IssuerSession:
        """GET CHALLENGE then EXTERNAL AUTHENTICATE with AES-256-CMAC(issuer key, challenge)."""
        if len(issuer_key) != 32:
            raise ValueError("an issuer key is 32 bytes")
        ch = _Channel(transport)
        challenge = ch.command("GET CHALLENGE", 0x00, 0x84, 0x00, 0x00, le=_CHALLENGE_LENGTH)
        mac = cmac.CMAC(algorithms.AES(issuer_key))
        mac.update(challenge)
        _, sw = ch.exchange(bytes((0x00, 0x82, 0x00, 0x00, 16)) + mac.finalize())
        if sw != codes.SW_OK:
            raise IssuerAuthenticationFailed(
                "issuer key refused", status_word=sw, operation="EXTERNAL AUTHENTICATE"
            )
        return cls(ch, generation)

    @classmethod
    def open_authorised(
        cls, transport: Transport, *, authorise: Callable[[bytes], bytes]
    ) -> IssuerSession:
        """The same session where the issuer key stays with J-LIS: ``authorise`` sends the
        card's challenge to J-LIS and returns its cryptogram (a PIN reset on a device, which
        sets the new PIN itself so that no server ever receives it)."""
        ch = _Channel(transport)
        challenge = ch.command("GET CHALLENGE", 0x00, 0x84, 0x00, 0x00, le=_CHALLENGE_LENGTH)
        cryptogram = authorise(challenge)
        if len(cryptogram) != 16:
            raise IssuerAuthenticationFailed(
                "J-LIS's cryptogram is not 16 bytes",
                status_word=0,
                operation="EXTERNAL AUTHENTICATE",
            )
        _, sw = ch.exchange(bytes((0x00, 0x82, 0x00, 0x00, 16)) + cryptogram)
        if sw != codes.SW_OK:
            raise IssuerAuthenticationFailed(
                "issuer cryptogram refused", status_word=sw, operation="EXTERNAL AUTHENTICATE"
            )
        return cls(ch)

    def _select(self, aid: bytes, fid: int | None = None) -> None:
        self._ch.command("SELECT AP", 0x00, 0xA4, 0x04, 0x0C, aid)
        if fid is not None:
            self._ch.command("SELECT EF", 0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))

    def _write(self, aid: bytes, fid: int, data: bytes) -> None:
        self._select(aid, fid)
        if not data:
            raise ValueError("nothing to write")
        for offset in range(0, len(data), _WRITE_CHUNK):
            self._ch.command(
                "UPDATE BINARY",
                0x00,
                0xD6,
                offset >> 8,
                offset & 0xFF,
                data[offset : offset + _WRITE_CHUNK],
            )

    def generate_key_pair(self, kind: KeyKind) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        """The chip makes a new key pair in ``kind``'s slot; only the public key comes back
        (RSA-2048 on a generation-1 card, P-384 on a generation-2 card)."""
        self._select(jpki_aid(self.generation), kind.key_ef)
        der = self._ch.command("GENERATE ASYMMETRIC KEY PAIR", 0x00, 0x46, 0x00, 0x00, le=256)
        try:
            key = serialization.load_der_public_key(der)
        except ValueError as exc:
            raise CardDataError("GENERATE returned no SubjectPublicKeyInfo") from exc
        if self.generation == 2:
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
                raise CardDataError("GENERATE returned a non-P-384 key")
            return key
        if not isinstance(key, rsa.RSAPublicKey):
            raise CardDataError("GENERATE returned a non-RSA key")
        return key

    def write_certificate(self, kind: KeyKind, certificate_der: bytes) -> None:
        """Write the user certificate of ``kind`` (DER, must start ``30 82``)."""
        self._write(jpki_aid(self.generation), kind.certificate_ef, _check_der(certificate_der))

    def write_ca_certificate(self, kind: KeyKind, certificate_der: bytes) -> None:
        self._write(jpki_aid(self.generation), kind.ca_ef, _check_der(certificate_der))

    def _text_location(self) -> tuple[bytes, tuple[int, int, int, int]]:
        """(AID, (number, items, signature, 追記欄 EF ids)) of the text items."""
        if self.generation == 2:
            return codes.AID_AUTH_GEN2, (
                codes.EF2_MY_NUMBER,
                codes.EF2_ATTRIBUTES,
                codes.EF2_TEXT_SIGNATURE,
                codes.EF2_ENDORSEMENTS,
            )
        return codes.AID_TEXT, (
            codes.EF_TEXT_MY_NUMBER,
            codes.EF_TEXT_ATTRIBUTES,
            codes.EF_TEXT_SIGNATURE,
            codes.EF_TEXT_ENDORSEMENTS,
        )

    def write_text_ap(
        self,
        *,
        my_number: str,
        attributes: cardfiles.TextAttributes,
        sign: Callable[[bytes], bytes],
        endorsements: tuple[cardfiles.Endorsement, ...] = (),
    ) -> None:
        """Write EF 0001–0003 (and the 追記欄 when ``endorsements`` has entries); ``sign``
        is J-LIS's RSA PKCS#1 v1.5 SHA-256 signer over :func:`text_signed_data` (64 bytes,
        or 96 with the 追記欄's digest)."""
        number_ef = cardfiles.encode_my_number(my_number)
        attributes_ef = cardfiles.encode_attributes(attributes)
        endorsements_ef = cardfiles.encode_endorsements(endorsements)
        signed = cardfiles.text_signed_data(my_number, attributes_ef, endorsements_ef)
        signature_ef = cardfiles.encode_text_signature(signed, sign(signed))
        aid, (number_fid, items_fid, signature_fid, endorsements_fid) = self._text_location()
        if endorsements_ef:  # the entries first: the seal that covers them comes last
            self._write(aid, endorsements_fid, endorsements_ef)
        for fid, data in (
            (number_fid, number_ef),
            (items_fid, attributes_ef),
            (signature_fid, signature_ef),
        ):
            self._write(aid, fid, data)

    def read_endorsements(self) -> tuple[cardfiles.Endorsement, ...]:
        """The 追記欄's entries as the card holds them (an issuer session reads them without
        the holder's PIN, to append; this project's model)."""
        aid, fids = self._text_location()
        self._select(aid, fids[3])
        data = b""
        while True:
            body, sw = self._ch.exchange(
                bytes((0x00, 0xB0, len(data) >> 8, len(data) & 0xFF, 0x00))
            )
            if sw == codes.SW_WRONG_P1P2:  # at or past the end (an empty 追記欄 at 0)
                break
            if sw != codes.SW_OK:
                raise status_error(sw, "READ BINARY")
            if not body:
                break
            data += body
        return cardfiles.decode_endorsements(data)

    def write_card_face(self, face: cardfiles.CardFace) -> None:
        aid = codes.AID_FACE_GEN2 if self.generation == 2 else codes.AID_VISUAL
        self._write(aid, codes.EF_VISUAL_FACE, cardfiles.encode_card_face(face))

    def set_pin(self, pin: PinRef, value: str) -> None:
        """RESET RETRY COUNTER ``00 2C 02 80``: set the PIN, refill its tries, unblock it."""
        encoded = pin.spec.encode(value)
        self._select(*pin_location(pin, self.generation))
        self._ch.command("RESET RETRY COUNTER", 0x00, 0x2C, 0x02, 0x80, encoded)

    def remove_pin(self, pin: PinRef) -> None:
        """``00 2C 03 80`` without data: the PIN is removed (a 顔認証マイナンバーカード has
        none; this project's command)."""
        self._select(*pin_location(pin, self.generation))
        self._ch.command("RESET RETRY COUNTER", 0x00, 0x2C, 0x03, 0x80)

    def finish(self) -> None:
        """ACTIVATE FILE ``00 44 00 00``: end personalisation; later writes are refused."""
        self._ch.command("ACTIVATE FILE", 0x00, 0x44, 0x00, 0x00)

    def __repr__(self) -> str:
        return "IssuerSession(<open>)"


def _check_der(der: bytes) -> bytes:
    if len(der) < 4 or der[:2] != b"\x30\x82" or int.from_bytes(der[2:4], "big") + 4 != len(der):
        raise ValueError("a certificate file must be one DER SEQUENCE starting 30 82")
    return der
