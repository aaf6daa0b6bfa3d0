"""The chip: an ISO 7816-4 APDU engine over the My Number card's file system (bytes in,
bytes out).

**A software card is not a secure element** (see :mod:`mynumber.card.image`): it models
the card's behaviour faithfully, not its physical protection.

Behaviour worth knowing (each choice is documented where the real card is unsourced):

- Short and extended-length APDUs (cases 2E/3E/4E, :mod:`mynumber.card.apdu`). CLA ``00``
  (no logical channel, no secure messaging, no chaining) for ISO commands, ``80`` for
  COMPUTE DIGITAL SIGNATURE;
  channel/SM/chaining bits → ``68 81``/``68 82``/``68 84``; other classes → ``6E 00``;
  unknown INS → ``6D 00``. A foreign AID → ``6A 82`` (never ``90 00``).
- READ BINARY returns at most Ne bytes from the offset with ``90 00``; when fewer are
  left (a short last chunk) it returns what is left, still with ``90 00`` — as real JPKI
  cards do and as pyjpki (which reads 255-byte chunks and stops on an empty answer or
  ``6B 00``) needs; ISO 7816-4 also allows ``62 82`` there, which that client refuses.
  An offset at or past the end → ``6B 00``. ``P1 = 80|sfi`` reads the EF with that short
  EF identifier (offset = P2) and makes it the current EF; an extended ``Le = 00 00 00``
  returns a whole EF in one answer (AokiApp jsapdu ``readEfBinaryFull``).
- Short EF identifiers: an EF whose id is ``0001``–``001E`` has that number as its SFI
  (the ids clients use with SFIs on the real card, e.g. jsapdu's ``KENKAKU_AP_EF``). VERIFY
  ``00 20 00 8x`` with x ≠ 0 names the PIN EF by its SFI without selecting it.
- READ RECORD with a wrong short Le → ``6C xx``.
- A response longer than Le allows (GENERATE's 294-byte public key), or data produced
  by a case-3 command, waits for GET RESPONSE (``61 xx``), as T=0 cards do. Pending data
  is lost on any other command.
- VERIFY ``00 20 00 80`` without data always answers ``63 Cx`` (tries left), even right
  after a successful VERIFY and when blocked (``63 C0``). A malformed PIN → ``6A 80``
  and costs no try. A well-formed wrong one → ``63 Cx`` (the last one ``63 C0``); then
  ``69 83`` even for the right value. The try is spent and **persisted before the
  comparison** (anti-tearing), then given back on success, so a crash never returns one.
- Re-selecting the current application keeps its verified PINs; selecting another, a
  reset or a power-off clears them.
- Issuer (J-LIS) path: GET CHALLENGE, then EXTERNAL AUTHENTICATE ``00 82 00 00`` with
  AES-256-CMAC(issuer key, challenge) opens an admin session (until reset). In it:
  GENERATE ASYMMETRIC KEY PAIR ``00 46 00 00`` on the selected key EF (returns the
  DER SubjectPublicKeyInfo only), UPDATE BINARY ``00 D6`` (offset 0 replaces the whole
  file, a higher offset patches or appends), RESET RETRY COUNTER ``00 2C 02 80`` + new
  PIN (sets it, refills the tries, unblocks) and ACTIVATE FILE ``00 44 00 00`` which
  ends personalisation: from then on only RESET RETRY COUNTER, and the counter's rewrites
  of :data:`REWRITABLE` files (new JPKI key pairs and certificates at a renewal or after a
  change of the four items; the text AP and its 追記欄 at an address change), are allowed
  (``69 85`` otherwise) — this project's model of the municipality's counter work on a live
  card. An issuer session also reads the 追記欄 without the holder's PIN
  (:data:`ISSUER_READABLE`), to append to it.
- Tamper response: the third READ BINARY of a key EF over the card's life (each
  answered ``69 82``), or :meth:`Chip.tamper`, erases the private keys and the issuer
  key; from then on every APDU is answered ``6F 00`` (the ATR is still given, so a
  reader sees a card that no longer works).
- Anything that changes persistent state is saved through the store before the answer
  is returned; if saving fails, :class:`PersistenceError` is raised and no answer leaves.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed

from mynumber.card import image as _image
from mynumber.card.apdu import Command, Response
from mynumber.card.codes import (
    AID_FREE_AREA,
    EF,
    EF2,
    INS,
    SW,
    sw_bytes_remaining,
    sw_verify_failed,
    sw_wrong_le,
)
from mynumber.card.errors import ApduError, ImageError, ManufactureError, PersistenceError
from mynumber.card.files import (
    EC_P384,
    BinaryFile,
    DedicatedFile,
    ElementaryFile,
    KeyFile,
    PinFile,
    RecordFile,
)
from mynumber.card.freearea import FreeApp, derive_free_area_key, owner_of
from mynumber.card.issuer import ISSUER_KEY_LENGTH, admin_cryptogram
from mynumber.card.keys import EC_CURVE, RSA_KEY_BITS, GeneratingKeySource, KeySource, new_ec_key
from mynumber.card.layout import GENERATIONS, build_filesystem, validate_manufacture_number

__all__ = ["TAMPER_PROBE_LIMIT", "Chip", "Lifecycle"]

#: (DF, EF) an issuer session may rewrite on an operational card (this project's model).
REWRITABLE = frozenset(
    {
        ("jpki", EF.JPKI_AUTH_KEY),
        ("jpki", EF.JPKI_SIGN_KEY),
        ("jpki", EF.JPKI_AUTH_CERT),
        ("jpki", EF.JPKI_SIGN_CERT),
        ("text", EF.TEXT_MY_NUMBER),
        ("text", EF.TEXT_ATTRIBUTES),
        ("text", EF.TEXT_SIGNATURE),
        ("text", EF.TEXT_ENDORSEMENTS),
        ("auth2", EF2.AUTH_KEY),
        ("auth2", EF2.SIGN_KEY),
        ("auth2", EF2.AUTH_CERT),
        ("auth2", EF2.SIGN_CERT),
        ("auth2", EF2.MY_NUMBER),
        ("auth2", EF2.ATTRIBUTES),
        ("auth2", EF2.TEXT_SIGNATURE),
        ("auth2", EF2.ENDORSEMENTS),
    }
)

#: (DF, EF) an issuer session may also read without the holder's PIN: the 追記欄, so that
#: the counter appends an entry to what is there (this project's model; the same entries are
#: printed on the back of the card for anyone holding it to read).
ISSUER_READABLE = frozenset({("text", EF.TEXT_ENDORSEMENTS), ("auth2", EF2.ENDORSEMENTS)})

#: The third attempt to read key material kills the chip (this project's choice).
TAMPER_PROBE_LIMIT = 3


class Lifecycle:
    """Life-cycle states kept in the card image."""

    PERSONALISATION = "personalisation"
    OPERATIONAL = "operational"
    DEAD = "dead"


_MIN_CHALLENGE = 8
_MAX_CHALLENGE = 256
_SIGNATURE_LENGTH = RSA_KEY_BITS // 8
_SHA384_LENGTH = 48
#: DER ECDSA-Sig-Value on P-384: at most 2 + 2 × (2 + 49) bytes.
_MAX_EC_SIGNATURE_LENGTH = 104

_PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_MAX_SFI = 0x1E
_CRYPTOGRAM_LENGTH = 16
_MAX_SIGN_INPUT = RSA_KEY_BITS // 8 - 11  # PKCS#1 v1.5 type 1 (RFC 8017 §9.2)

#: DER of hash OIDs (RFC 8017 §9.2 note 1) → digest length.
_HASH_OIDS: dict[bytes, int] = {
    bytes.fromhex("2b0e03021a"): 20,  # SHA-1
    bytes.fromhex("608648016503040204"): 28,  # SHA-224
    bytes.fromhex("608648016503040201"): 32,  # SHA-256
    bytes.fromhex("608648016503040202"): 48,  # SHA-384
    bytes.fromhex("608648016503040203"): 64,  # SHA-512
}


def _reject(sw: int, why: str) -> ApduError:
    return ApduError(why, status_word=sw)


def _covers(cmd: Command, length: int) -> bool:
    """Whether Le asks for at least ``length`` bytes: ``Le = 00`` (Ne 256), or any Ne of
    ``length`` or more in an extended APDU."""
    if cmd.le is None:
        return False
    return cmd.le == 256 or (cmd.extended and cmd.le >= length)


def _is_digest_info(data: bytes) -> bool:
    """A DER DigestInfo (RFC 8017 §9.2) for a known hash, with or without NULL parameters."""
    if len(data) < 2 or data[0] != 0x30 or data[1] != len(data) - 2 or data[1] > 0x7F:
        return False
    body = data[2:]
    if len(body) < 2 or body[0] != 0x30 or body[1] > 0x7F:
        return False
    alg, rest = body[2 : 2 + body[1]], body[2 + body[1] :]
    if len(alg) != body[1] or len(alg) < 2 or alg[0] != 0x06 or alg[1] > 0x7F:
        return False
    oid, params = alg[2 : 2 + alg[1]], alg[2 + alg[1] :]
    if len(oid) != alg[1] or params not in (b"", b"\x05\x00"):
        return False
    size = _HASH_OIDS.get(oid)
    return size is not None and rest[:2] == bytes((0x04, size)) and len(rest) == 2 + size


class _Vault:
    """Private keys and the issuer key. Nothing here returns a private key."""

    __slots__ = ("__issuer_key", "__keys")

    def __init__(self, issuer_key: bytes | None, keys: dict[str, _PrivateKey]) -> None:
        self.__issuer_key = issuer_key
        self.__keys = dict(keys)

    def has(self, slot: str) -> bool:
        return slot in self.__keys

    def put(self, slot: str, key: _PrivateKey) -> None:
        self.__keys[slot] = key

    def sign(self, slot: str, data: bytes) -> bytes:
        key = self.__keys[slot]
        if isinstance(key, ec.EllipticCurvePrivateKey):
            # ECDSA over the SHA-384 hash given; the signature is DER (ECDSA-Sig-Value).
            return key.sign(data, ec.ECDSA(Prehashed(hashes.SHA384())))
        # PKCS#1 v1.5 type-1 padding over exactly the bytes given (no DigestInfo added).
        return key.sign(data, padding.PKCS1v15(), NoDigestInfo())

    def public_key_der(self, slot: str) -> bytes:
        return (
            self.__keys[slot]
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def check_cryptogram(self, challenge: bytes, cryptogram: bytes) -> bool:
        if self.__issuer_key is None:
            return False
        expected = admin_cryptogram(self.__issuer_key, challenge)
        return hmac.compare_digest(expected, cryptogram)

    def check_free_area_cryptogram(self, app: FreeApp, challenge: bytes, cryptogram: bytes) -> bool:
        if self.__issuer_key is None:
            return False
        key = derive_free_area_key(self.__issuer_key, app)
        return hmac.compare_digest(admin_cryptogram(key, challenge), cryptogram)

    def erase(self) -> None:
        self.__keys.clear()
        self.__issuer_key = None

    def seal(
        self, seal_key: bytes, manufacture_number: str, content: dict[str, Any]
    ) -> dict[str, str]:
        keys = {
            slot: base64.b64encode(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ).decode("ascii")
            for slot, key in sorted(self.__keys.items())
        }
        issuer = base64.b64encode(self.__issuer_key).decode("ascii") if self.__issuer_key else None
        doc = {**content, "keys": keys, "issuer_key": issuer}
        plaintext = json.dumps(doc, sort_keys=True).encode("utf-8")
        return _image._seal(seal_key, manufacture_number, plaintext)

    @classmethod
    def unseal(cls, content: dict[str, Any]) -> _Vault:
        keys: dict[str, _PrivateKey] = {}
        raw_keys = content.get("keys", {})
        if not isinstance(raw_keys, dict):
            raise ImageError("card image keys are malformed")
        for slot, der in raw_keys.items():
            try:
                # the keys come only from a block that authenticated under the seal key
                # (AES-GCM), written by seal() from keys this chip generated: checking an
                # RSA key again (p and q prime, ~50 ms each, every time a card file opens)
                # adds nothing
                key = serialization.load_der_private_key(
                    _image._unb64(der), password=None, unsafe_skip_rsa_key_validation=True
                )
            except ValueError as exc:
                raise ImageError("card image holds an unreadable key") from exc
            if not isinstance(key, rsa.RSAPrivateKey) and not (
                isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == EC_CURVE.name
            ):
                raise ImageError("card image holds a key that is neither RSA nor P-384")
            keys[str(slot)] = key
        issuer = content.get("issuer_key")
        return cls(_image._unb64(issuer) if issuer is not None else None, keys)

    def __repr__(self) -> str:
        return "_Vault(<sealed>)"


class Chip:
    """A My Number card chip. Make one with :meth:`manufacture` or :meth:`from_image`."""

    def __init__(
        self,
        *,
        manufacture_number: str,
        filesystem: dict[bytes, DedicatedFile],
        vault: _Vault,
        seal_key: bytes,
        lifecycle: str = Lifecycle.PERSONALISATION,
        tamper_probes: int = 0,
        key_source: KeySource | None = None,
        store: _image.ImageStore | None = None,
        sealed: dict[str, str] | None = None,
        generation: int = 1,
    ) -> None:
        _image._check_seal_key(seal_key)
        self._manufacture_number = manufacture_number
        self._generation = generation
        self._dfs = filesystem
        self.__vault = vault
        self.__seal_key = seal_key
        self._lifecycle = lifecycle
        self._tamper_probes = tamper_probes
        self._key_source: KeySource = key_source or GeneratingKeySource()
        self._store = store
        self._sealed = sealed  # cached sealed block; None when secrets changed
        self._df: DedicatedFile | None = None
        self._ef: ElementaryFile | None = None
        self._verified: set[int] = set()
        self._admin = False
        self._free_app: FreeApp | None = None  # an open free-area session (freearea.py)
        self._challenge: bytes | None = None
        self._pending = b""
        self._handlers: dict[tuple[int, int], Callable[[Command], Response]] = {
            (0x00, INS.SELECT): self._select,
            (0x00, INS.READ_BINARY): self._read_binary,
            (0x00, INS.READ_RECORD): self._read_record,
            (0x00, INS.VERIFY): self._verify,
            (0x00, INS.CHANGE_REFERENCE_DATA): self._change_reference_data,
            (0x00, INS.RESET_RETRY_COUNTER): self._reset_retry_counter,
            (0x00, INS.GET_CHALLENGE): self._get_challenge,
            (0x00, INS.EXTERNAL_AUTHENTICATE): self._external_authenticate,
            (0x00, INS.GENERATE_ASYMMETRIC_KEY_PAIR): self._generate_key_pair,
            (0x00, INS.UPDATE_BINARY): self._update_binary,
            (0x00, INS.ACTIVATE_FILE): self._activate,
            (0x80, INS.COMPUTE_DIGITAL_SIGNATURE): self._compute_signature,
        }

    # --- construction ------------------------------------------------------------------

    @classmethod
    def manufacture(
        cls,
        *,
        manufacture_number: str,
        issuer_key: bytes,
        seal_key: bytes,
        key_source: KeySource | None = None,
        store: _image.ImageStore | None = None,
        generation: int = 1,
    ) -> Chip:
        """A blank chip in personalisation state: files empty, PINs unset, no keys yet.

        ``generation`` 2 makes this project's model of the next card (two applications, two
        PINs, ECDSA P-384 keys; :func:`mynumber.card.layout.build_filesystem`).

        Keys are generated inside the chip by GENERATE ASYMMETRIC KEY PAIR during
        personalisation (see :class:`mynumber.reader.IssuerSession`). The image is saved
        once before this returns.
        """
        validate_manufacture_number(manufacture_number)
        if len(issuer_key) != ISSUER_KEY_LENGTH:
            raise ManufactureError("an issuer key is 32 bytes")
        if generation not in GENERATIONS:
            raise ManufactureError("a card generation is 1 or 2")
        chip = cls(
            manufacture_number=manufacture_number,
            filesystem=build_filesystem(manufacture_number, generation),
            vault=_Vault(issuer_key, {}),
            seal_key=seal_key,
            key_source=key_source,
            store=store,
            generation=generation,
        )
        chip._persist()
        return chip

    @classmethod
    def from_image(
        cls,
        image: bytes,
        *,
        seal_key: bytes,
        key_source: KeySource | None = None,
        store: _image.ImageStore | None = None,
    ) -> Chip:
        """Load a chip from its image; raises :class:`SealError` for a wrong seal key."""
        doc = _image._decode(seal_key, image)
        mfg = doc.get("manufacture_number")
        if not isinstance(mfg, str):
            raise ImageError("card image has no manufacture number")
        try:
            validate_manufacture_number(mfg)
        except ManufactureError as exc:
            raise ImageError("card image has a malformed manufacture number") from exc
        lifecycle = doc.get("lifecycle")
        if lifecycle not in (Lifecycle.PERSONALISATION, Lifecycle.OPERATIONAL, Lifecycle.DEAD):
            raise ImageError("card image has an unknown life-cycle state")
        generation = doc.get("generation", 1)
        if generation not in GENERATIONS:
            raise ImageError("card image has an unknown card generation")
        probes = doc.get("tamper_probes")
        if not isinstance(probes, int) or probes < 0:
            raise ImageError("card image has a malformed tamper counter")
        try:
            content = json.loads(_image._unseal(seal_key, mfg, doc.get("sealed")))
        except ValueError as exc:
            raise ImageError("card image sealed block is not JSON") from exc
        if not isinstance(content, dict):
            raise ImageError("card image sealed block is malformed")
        fs = build_filesystem(mfg, generation)
        _fill(fs, content, doc.get("pin_tries"))
        return cls(
            manufacture_number=mfg,
            filesystem=fs,
            vault=_Vault.unseal(content),
            seal_key=seal_key,
            lifecycle=lifecycle,
            tamper_probes=probes,
            key_source=key_source,
            store=store,
            sealed=doc["sealed"],
            generation=generation,
        )

    # --- public surface ------------------------------------------------------------------

    @property
    def manufacture_number(self) -> str:
        return self._manufacture_number

    @property
    def generation(self) -> int:
        """1: today's card; 2: this project's model of the next-generation card."""
        return self._generation

    @property
    def lifecycle(self) -> str:
        return self._lifecycle

    @property
    def is_dead(self) -> bool:
        return self._lifecycle == Lifecycle.DEAD

    def transmit(self, apdu: bytes) -> bytes:
        """Process one C-APDU and return the R-APDU (data + SW1 SW2)."""
        if self._lifecycle == Lifecycle.DEAD:
            return SW.NO_PRECISE_DIAGNOSIS.to_bytes(2, "big")
        pending, self._pending = self._pending, b""  # 61xx data lives for one command
        try:
            cmd = Command.from_bytes(apdu)
            if cmd.ins == INS.GET_RESPONSE and cmd.cla == 0x00:
                response = self._get_response(cmd, pending)
            else:
                response = self._handler(cmd)(cmd)
        except ApduError as exc:
            response = Response(exc.status_word)
        return response.to_bytes()

    def reset(self) -> None:
        """Warm reset or power cycle: clear selection, verified PINs and admin session."""
        self._df = None
        self._ef = None
        self._verified = set()
        self._admin = False
        self._free_app = None
        self._challenge = None
        self._pending = b""

    def tamper(self) -> None:
        """Simulate a physical attack: erase the keys; the chip answers ``6F 00`` for ever."""
        self._die()

    def to_image(self) -> bytes:
        """The card image (JSON bytes): secrets sealed, retry counters MAC-protected."""
        if self._sealed is None:
            self._sealed = self.__vault.seal(
                self.__seal_key, self._manufacture_number, self._content()
            )
        doc: dict[str, Any] = {
            "format": _image.IMAGE_FORMAT,
            "version": _image.IMAGE_VERSION,
            "manufacture_number": self._manufacture_number,
            "lifecycle": self._lifecycle,
            "tamper_probes": self._tamper_probes,
            "pin_tries": {
                f"{df.name}/{ef.fid:04x}": ef.tries_left
                for df in self._dfs.values()
                for ef in df.efs.values()
                if isinstance(ef, PinFile)
            },
            "sealed": self._sealed,
        }
        if self._generation != 1:  # generation-1 images stay as they were
            doc["generation"] = self._generation
        return _image._encode(self.__seal_key, doc)

    def __repr__(self) -> str:
        return (
            f"Chip(manufacture_number={self._manufacture_number!r}, lifecycle={self._lifecycle!r})"
        )

    # --- plumbing ------------------------------------------------------------------------

    def _handler(self, cmd: Command) -> Callable[[Command], Response]:
        cla = cmd.cla
        if cla == 0xFF:
            raise _reject(SW.CLA_NOT_SUPPORTED, "CLA FF is reserved for PPS")
        if cla & 0x80 == 0:
            if cla & 0x60 == 0x20:
                raise _reject(SW.CLA_NOT_SUPPORTED, "RFU class")
            if cla & 0x10:
                raise _reject(SW.COMMAND_CHAINING_NOT_SUPPORTED, "no command chaining")
            further = bool(cla & 0x40)
            sm = cla & 0x20 if further else cla & 0x0C
            channel = 4 + (cla & 0x0F) if further else cla & 0x03
            if sm:
                raise _reject(SW.SECURE_MESSAGING_NOT_SUPPORTED, "no secure messaging")
            if channel:
                raise _reject(SW.LOGICAL_CHANNEL_NOT_SUPPORTED, "only the basic channel")
        elif cla != 0x80:
            raise _reject(SW.CLA_NOT_SUPPORTED, "unknown proprietary class")
        handler = self._handlers.get((cla, cmd.ins))
        if handler is None:
            raise _reject(SW.INS_NOT_SUPPORTED, "instruction not supported")
        return handler

    def _persist(self) -> None:
        if self._store is None:
            return
        try:
            self._store.save(self.to_image())
        except OSError as exc:
            raise PersistenceError("the card image could not be saved") from exc

    def _secrets_changed(self) -> None:
        self._sealed = None

    def _content(self) -> dict[str, Any]:
        files: dict[str, str] = {}
        pins: dict[str, str | None] = {}
        for df in self._dfs.values():
            for ef in df.efs.values():
                slot = f"{df.name}/{ef.fid:04x}"
                if isinstance(ef, BinaryFile) and ef.writable and ef.data:
                    files[slot] = base64.b64encode(ef.data).decode("ascii")
                elif isinstance(ef, PinFile):
                    pins[slot] = None if ef.value is None else ef.value.decode("ascii")
        return {"files": files, "pins": pins}

    def _die(self) -> None:
        self.__vault.erase()
        self._lifecycle = Lifecycle.DEAD
        self._secrets_changed()
        self.reset()
        self._persist()

    def _slot(self, ef: ElementaryFile) -> str:
        assert self._df is not None
        return f"{self._df.name}/{ef.fid:04x}"

    def _current_ef(self) -> ElementaryFile:
        if self._ef is None:
            raise _reject(SW.NO_CURRENT_EF, "no current EF")
        return self._ef

    def _ef_by_sfi(self, sfi: int) -> ElementaryFile:
        """The EF of the current application with this short EF identifier (1..30)."""
        if not 1 <= sfi <= _MAX_SFI:
            raise _reject(SW.INCORRECT_P1P2, "a short EF identifier is 1..30")
        if self._df is None:
            raise _reject(SW.NO_CURRENT_EF, "no current application")
        for ef in self._df.efs.values():
            if (ef.sfi if isinstance(ef, RecordFile) else ef.fid) == sfi:
                return ef
        raise _reject(SW.FILE_NOT_FOUND, "no EF with this short identifier")

    def _pin_by_sfi(self, sfi: int) -> PinFile:
        """VERIFY ``00 20 00 8x``: the PIN EF named by its SFI; the current EF stays."""
        try:
            ef = self._ef_by_sfi(sfi)
        except ApduError as exc:
            if exc.status_word == SW.NO_CURRENT_EF:
                raise
            raise _reject(SW.REFERENCED_DATA_NOT_FOUND, "no PIN with this reference") from exc
        if not isinstance(ef, PinFile):
            raise _reject(SW.REFERENCED_DATA_NOT_FOUND, "no PIN with this reference")
        return ef

    def _current_pin(self) -> PinFile:
        ef = self._current_ef()
        if not isinstance(ef, PinFile):
            raise _reject(SW.NO_CURRENT_EF, "the current EF is not a PIN")
        return ef

    def _current_key(self) -> KeyFile:
        ef = self._current_ef()
        if not isinstance(ef, KeyFile):
            raise _reject(SW.INCOMPATIBLE_FILE, "the current EF is not a key")
        return ef

    def _rewritable(self, ef: ElementaryFile) -> bool:
        return self._df is not None and (self._df.name, ef.fid) in REWRITABLE

    def _issuer_reads(self, ef: ElementaryFile) -> bool:
        return self._admin and self._df is not None and (self._df.name, ef.fid) in ISSUER_READABLE

    def _require_admin(self, *, personalising: bool) -> None:
        if not self._admin:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "no issuer session")
        if personalising and self._lifecycle != Lifecycle.PERSONALISATION:
            raise _reject(SW.CONDITIONS_NOT_SATISFIED, "personalisation is finished")

    @staticmethod
    def _p1p2(cmd: Command, p1: int, p2: int) -> None:
        if (cmd.p1, cmd.p2) != (p1, p2):
            raise _reject(SW.INCORRECT_P1P2, "wrong P1-P2")

    @staticmethod
    def _no_le(cmd: Command) -> None:
        if cmd.le is not None:
            raise _reject(SW.WRONG_LENGTH, "this command returns no data")

    @staticmethod
    def _needs_data(cmd: Command) -> None:
        if not cmd.data:
            raise _reject(SW.WRONG_LENGTH, "command data missing")

    def _answer(self, cmd: Command, data: bytes) -> Response:
        """Return ``data`` within Le, leaving the rest for GET RESPONSE (``61 xx``)."""
        if cmd.le is None:
            self._pending = data
            return Response(sw_bytes_remaining(len(data)))
        if not cmd.extended and cmd.le != 256 and cmd.le < len(data):
            raise _reject(sw_wrong_le(min(len(data), 256)), "wrong Le")
        head, rest = data[: cmd.le], data[cmd.le :]
        if rest:
            self._pending = rest
            return Response(sw_bytes_remaining(len(rest)), head)
        return Response(SW.OK, head)

    # --- commands ------------------------------------------------------------------------

    def _select(self, cmd: Command) -> Response:
        if cmd.p1 == 0x04:
            if cmd.p2 not in (0x0C, 0x00):
                raise _reject(SW.INCORRECT_P1P2, "SELECT by name: P2 must be 0C or 00")
            self._needs_data(cmd)
            df = self._dfs.get(cmd.data)
            if df is None:
                raise _reject(SW.FILE_NOT_FOUND, "no application with this AID")
            fci = b""
            if cmd.p2 == 0x00:  # FCI template with the DF name (ISO 7816-4 §7.4.1)
                fci = b"\x6f" + bytes((len(df.aid) + 2, 0x84, len(df.aid))) + df.aid
                if cmd.le is not None and not _covers(cmd, len(fci)):
                    raise _reject(sw_wrong_le(len(fci)), "wrong Le for the FCI")
            if df is not self._df:
                self._verified = set()
                self._free_app = None
            self._df, self._ef = df, None
            return self._answer(cmd, fci) if fci else Response(SW.OK)
        if cmd.p1 == 0x02:
            if cmd.p2 != 0x0C:
                raise _reject(SW.INCORRECT_P1P2, "SELECT EF: P2 must be 0C")
            self._needs_data(cmd)
            if len(cmd.data) != 2:
                raise _reject(SW.LC_INCONSISTENT_WITH_P1P2, "an EF id is two bytes")
            ef = self._df.efs.get(int.from_bytes(cmd.data, "big")) if self._df else None
            if ef is None:
                raise _reject(SW.FILE_NOT_FOUND, "no such EF in the current application")
            self._ef = ef
            return Response(SW.OK)
        if cmd.p1 in (0x00, 0x01, 0x03, 0x08, 0x09):
            raise _reject(SW.FILE_NOT_FOUND, "selection by path or MF not supported")
        raise _reject(SW.INCORRECT_P1P2, "unknown SELECT mode")

    def _read_binary(self, cmd: Command) -> Response:
        if cmd.data or cmd.le is None:
            raise _reject(SW.WRONG_LENGTH, "READ BINARY takes Le only")
        if cmd.p1 & 0x80:  # P1 = 100x xxxx: short EF identifier, P2 = offset 0..255
            if cmd.p1 & 0x60:
                raise _reject(SW.INCORRECT_P1P2, "P1 bits 7-6 must be 00 with an SFI")
            ef = self._ef_by_sfi(cmd.p1 & 0x1F)
            offset = cmd.p2
        else:
            ef = self._current_ef()
            offset = (cmd.p1 << 8) | cmd.p2
        if isinstance(ef, KeyFile):
            self._tamper_probes += 1
            if self._tamper_probes >= TAMPER_PROBE_LIMIT:
                self._die()
                return Response(SW.NO_PRECISE_DIAGNOSIS)
            self._persist()
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "key material is never read")
        if isinstance(ef, PinFile):
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "a PIN is never read")
        if isinstance(ef, RecordFile):
            raise _reject(SW.INCOMPATIBLE_FILE, "a record EF is read with READ RECORD")
        if not ef.read.allows(self._verified) and not self._issuer_reads(ef):
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "PIN not verified")
        if offset >= len(ef.data):
            raise _reject(SW.WRONG_P1P2, "offset at or past the end of the EF")
        self._ef = ef  # an EF read by its SFI becomes the current EF (ISO 7816-4 §7.2.2)
        return Response(SW.OK, ef.data[offset : offset + cmd.le])

    def _read_record(self, cmd: Command) -> Response:
        if cmd.data or cmd.le is None:
            raise _reject(SW.WRONG_LENGTH, "READ RECORD takes Le only")
        if cmd.p2 & 0x07 != 0x04 or cmd.p1 == 0 or cmd.p2 >> 3 == 0x1F:
            raise _reject(SW.INCORRECT_P1P2, "only READ RECORD P1 by SFI or current EF")
        if self._df is None:
            raise _reject(SW.NO_CURRENT_EF, "no current application")
        sfi = cmd.p2 >> 3
        ef: ElementaryFile | None
        if sfi == 0:
            ef = self._current_ef()
            if not isinstance(ef, RecordFile):
                raise _reject(SW.INCOMPATIBLE_FILE, "the current EF has no records")
        else:
            ef = next(
                (e for e in self._df.efs.values() if isinstance(e, RecordFile) and e.sfi == sfi),
                None,
            )
            if ef is None:
                raise _reject(SW.FILE_NOT_FOUND, "no EF with this SFI")
        if not ef.read.allows(self._verified):
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "PIN not verified")
        if cmd.p1 > len(ef.records):
            raise _reject(SW.RECORD_NOT_FOUND, "no such record")
        record = ef.records[cmd.p1 - 1]
        if not _covers(cmd, len(record)) and cmd.le != len(record):
            raise _reject(sw_wrong_le(len(record)), "wrong Le for this record")
        return Response(SW.OK, record)

    def _verify(self, cmd: Command) -> Response:
        if cmd.p1 != 0x00 or cmd.p2 & 0xE0 != 0x80 or cmd.p2 == 0x9F:
            raise _reject(SW.INCORRECT_P1P2, "VERIFY: P1-P2 must be 00 80 or 00 8x (x an SFI)")
        self._no_le(cmd)
        pin = self._current_pin() if cmd.p2 == 0x80 else self._pin_by_sfi(cmd.p2 & 0x1F)
        if pin.value is None:
            raise _reject(SW.REFERENCE_DATA_NOT_USABLE, "PIN not set by the issuer")
        if not cmd.data:
            return Response(sw_verify_failed(pin.tries_left))
        if pin.tries_left == 0:
            raise _reject(SW.PIN_BLOCKED, "PIN blocked")
        if not pin.policy.accepts(cmd.data):
            raise _reject(SW.WRONG_DATA, "malformed PIN")
        # Anti-tearing: spend the try and persist it before comparing.
        pin.tries_left -= 1
        self._verified.discard(pin.fid)
        self._persist()
        if hmac.compare_digest(cmd.data, pin.value):
            pin.tries_left = pin.policy.max_tries
            self._verified.add(pin.fid)
            self._persist()
            return Response(SW.OK)
        return Response(sw_verify_failed(pin.tries_left))

    def _change_reference_data(self, cmd: Command) -> Response:
        self._p1p2(cmd, 0x01, 0x80)
        self._no_le(cmd)
        self._needs_data(cmd)
        pin = self._current_pin()
        if pin.value is None:
            raise _reject(SW.REFERENCE_DATA_NOT_USABLE, "PIN not set by the issuer")
        if pin.tries_left == 0:
            raise _reject(SW.PIN_BLOCKED, "PIN blocked")
        if pin.fid not in self._verified:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "verify the PIN first")
        if not pin.policy.accepts(cmd.data):
            raise _reject(SW.WRONG_DATA, "malformed new PIN")
        pin.value = cmd.data
        self._secrets_changed()
        self._persist()
        return Response(SW.OK)

    def _reset_retry_counter(self, cmd: Command) -> Response:
        if (cmd.p1, cmd.p2) == (0x03, 0x80) and not self._in_free_area():
            return self._remove_pin(cmd)
        self._p1p2(cmd, 0x02, 0x80)
        self._no_le(cmd)
        self._needs_data(cmd)
        pin = self._current_pin()
        if self._in_free_area():
            self._require_free_session(pin)
        else:
            self._require_admin(personalising=False)
        if not pin.policy.accepts(cmd.data):
            raise _reject(SW.WRONG_DATA, "malformed new PIN")
        pin.value = cmd.data
        pin.tries_left = pin.policy.max_tries
        self._verified.discard(pin.fid)
        self._secrets_changed()
        self._persist()
        return Response(SW.OK)

    def _remove_pin(self, cmd: Command) -> Response:
        """``00 2C 03 80`` without data, in an issuer session: the PIN is removed (never
        set again until RESET RETRY COUNTER sets one) — the 顔認証マイナンバーカード's PINs.
        This project's choice: the real card's command for the conversion is not public."""
        self._no_le(cmd)
        if cmd.data:
            raise _reject(SW.WRONG_LENGTH, "removing a PIN takes no data")
        self._require_admin(personalising=False)
        pin = self._current_pin()
        pin.value = None
        pin.tries_left = pin.policy.max_tries
        self._verified.discard(pin.fid)
        self._secrets_changed()
        self._persist()
        return Response(SW.OK)

    def _get_challenge(self, cmd: Command) -> Response:
        self._p1p2(cmd, 0x00, 0x00)
        if cmd.data or cmd.le is None:
            raise _reject(SW.WRONG_LENGTH, "GET CHALLENGE takes Le only")
        if cmd.le > _MAX_CHALLENGE:
            raise _reject(SW.WRONG_LENGTH, "a challenge is at most 256 bytes")
        self._challenge = secrets.token_bytes(cmd.le)
        return Response(SW.OK, self._challenge)

    def _external_authenticate(self, cmd: Command) -> Response:
        free_app = self._free_area_app(cmd)
        if free_app is None:
            self._p1p2(cmd, 0x00, 0x00)
        self._no_le(cmd)
        self._needs_data(cmd)
        challenge, self._challenge = self._challenge, None
        if challenge is None or len(challenge) < _MIN_CHALLENGE:
            raise _reject(SW.CONDITIONS_NOT_SATISFIED, "GET CHALLENGE (8+ bytes) first")
        if len(cmd.data) != _CRYPTOGRAM_LENGTH:
            raise _reject(SW.WRONG_DATA, "the cryptogram is 16 bytes")
        if free_app is not None:
            self._free_app = None
            if self._lifecycle != Lifecycle.OPERATIONAL:
                raise _reject(SW.CONDITIONS_NOT_SATISFIED, "the card is not issued yet")
            if not self.__vault.check_free_area_cryptogram(free_app, challenge, cmd.data):
                return Response(SW.AUTHENTICATION_FAILED)
            self._free_app = free_app
            return Response(SW.OK)
        if not self.__vault.check_cryptogram(challenge, cmd.data):
            self._admin = False
            return Response(SW.AUTHENTICATION_FAILED)
        self._admin = True
        return Response(SW.OK)

    def _in_free_area(self) -> bool:
        return self._df is not None and self._df.aid == AID_FREE_AREA

    def _free_area_app(self, cmd: Command) -> FreeApp | None:
        """EXTERNAL AUTHENTICATE ``00 82 00 <app>`` in the free area opens a free-area
        session for that application (:mod:`mynumber.card.freearea`)."""
        if not self._in_free_area() or (cmd.p1, cmd.p2) == (0x00, 0x00):
            return None
        if cmd.p1 != 0x00 or cmd.p2 not in tuple(FreeApp):
            raise _reject(SW.INCORRECT_P1P2, "free area: P2 names the application")
        return FreeApp(cmd.p2)

    def _require_free_session(self, ef: ElementaryFile) -> None:
        """In the free area, only the open session's own application is written."""
        if self._free_app is None:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "no free-area session")
        if owner_of(ef.fid) is not self._free_app:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "another issuer's application")

    def _get_response(self, cmd: Command, pending: bytes = b"") -> Response:
        self._p1p2(cmd, 0x00, 0x00)
        if cmd.data or cmd.le is None:
            raise _reject(SW.WRONG_LENGTH, "GET RESPONSE takes Le only")
        if not pending:
            raise _reject(SW.CONDITIONS_NOT_SATISFIED, "no response data waiting")
        if not _covers(cmd, len(pending)) and cmd.le > len(pending):
            self._pending = pending
            raise _reject(sw_wrong_le(len(pending)), "wrong Le")
        head, rest = pending[: cmd.le], pending[cmd.le :]
        if rest:
            self._pending = rest
            return Response(sw_bytes_remaining(len(rest)), head)
        return Response(SW.OK, head)

    def _generate_key_pair(self, cmd: Command) -> Response:
        self._p1p2(cmd, 0x00, 0x00)
        if cmd.data:
            raise _reject(SW.WRONG_DATA, "GENERATE takes no data: select the key EF first")
        if cmd.le is not None and not cmd.extended and cmd.le != 256:
            raise _reject(sw_wrong_le(0), "Le must be 00 (the key is longer than 256 bytes)")
        key_ef = self._current_key()
        self._require_admin(personalising=not self._rewritable(key_ef))
        key: _PrivateKey
        if key_ef.algorithm == EC_P384:
            make_ec = getattr(self._key_source, "new_ec_key", new_ec_key)
            key = make_ec()
            if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != EC_CURVE.name:
                raise ManufactureError("the key source must return P-384 private keys")
        else:
            key = self._key_source.new_rsa_key()
            if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != RSA_KEY_BITS:
                raise ManufactureError("the key source must return RSA-2048 private keys")
        self.__vault.put(self._slot(key_ef), key)
        self._secrets_changed()
        self._persist()
        return self._answer(cmd, self.__vault.public_key_der(self._slot(key_ef)))

    def _update_binary(self, cmd: Command) -> Response:
        if cmd.p1 & 0x80:
            raise _reject(SW.FUNCTION_NOT_SUPPORTED, "UPDATE BINARY by SFI not supported")
        self._no_le(cmd)
        self._needs_data(cmd)
        ef = self._current_ef()
        if isinstance(ef, KeyFile | PinFile):
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "keys and PINs are not written")
        if isinstance(ef, RecordFile):
            raise _reject(SW.INCOMPATIBLE_FILE, "not a binary EF")
        if self._in_free_area():
            self._require_free_session(ef)
        else:
            self._require_admin(personalising=not self._rewritable(ef))
        if not ef.writable:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "this EF is fixed at manufacture")
        offset = (cmd.p1 << 8) | cmd.p2
        if offset > len(ef.data):
            raise _reject(SW.WRONG_P1P2, "offset past the end of the EF")
        end = offset + len(cmd.data)
        if end > ef.capacity:
            raise _reject(SW.NOT_ENOUGH_MEMORY, "past the capacity of the EF")
        if offset == 0:
            ef.data = cmd.data
        else:
            ef.data = ef.data[:offset] + cmd.data + ef.data[end:]
        self._secrets_changed()
        self._persist()
        return Response(SW.OK)

    def _activate(self, cmd: Command) -> Response:
        self._p1p2(cmd, 0x00, 0x00)
        self._no_le(cmd)
        if cmd.data:
            raise _reject(SW.WRONG_LENGTH, "ACTIVATE FILE takes no data")
        self._require_admin(personalising=True)
        self._lifecycle = Lifecycle.OPERATIONAL
        self._persist()
        return Response(SW.OK)

    def _compute_signature(self, cmd: Command) -> Response:
        self._p1p2(cmd, 0x00, 0x80)
        self._needs_data(cmd)
        key_ef = self._current_key()
        if key_ef.pin_fid not in self._verified:
            raise _reject(SW.SECURITY_STATUS_NOT_SATISFIED, "verify the PIN first")
        slot = self._slot(key_ef)
        if not self.__vault.has(slot):
            raise _reject(SW.REFERENCED_DATA_NOT_FOUND, "no key generated in this slot")
        if key_ef.algorithm == EC_P384:
            # Generation 2 (this project's choice, the real APDUs are not public): the data
            # is a SHA-384 hash; the answer a DER ECDSA signature (at most 104 bytes).
            if len(cmd.data) != _SHA384_LENGTH:
                raise _reject(SW.WRONG_DATA, "an ECDSA P-384 key signs a 48-byte SHA-384 hash")
            if cmd.le is not None and not _covers(cmd, _MAX_EC_SIGNATURE_LENGTH):
                raise _reject(sw_wrong_le(0), "Le must be 00 for an ECDSA signature")
            return self._answer(cmd, self.__vault.sign(slot, cmd.data))
        if len(cmd.data) > _MAX_SIGN_INPUT or not _is_digest_info(cmd.data):
            raise _reject(SW.WRONG_DATA, "not a DigestInfo")
        if cmd.le is not None and not _covers(cmd, _SIGNATURE_LENGTH):
            raise _reject(sw_wrong_le(_SIGNATURE_LENGTH), "a signature is 256 bytes")
        return self._answer(cmd, self.__vault.sign(slot, cmd.data))

    # --- test hook -----------------------------------------------------------------------

    def _session_state(self) -> tuple[object, ...]:
        """Volatile state that a rejected command must leave alone (for tests)."""
        return (
            self._df.name if self._df else None,
            self._ef.fid if self._ef else None,
            frozenset(self._verified),
            self._admin,
            self._free_app,
        )


def _fill(fs: dict[bytes, DedicatedFile], content: dict[str, Any], tries: object) -> None:
    """Put the unsealed contents and the retry counters into a fresh file system."""
    files, pins = content.get("files", {}), content.get("pins", {})
    if not isinstance(files, dict) or not isinstance(pins, dict) or not isinstance(tries, dict):
        raise ImageError("card image contents are malformed")
    for df in fs.values():
        for ef in df.efs.values():
            slot = f"{df.name}/{ef.fid:04x}"
            if isinstance(ef, BinaryFile) and ef.writable and slot in files:
                ef.data = _image._unb64(files[slot])
                if len(ef.data) > ef.capacity:
                    raise ImageError("card image file exceeds its capacity")
            elif isinstance(ef, PinFile):
                value, left = pins.get(slot), tries.get(slot, ef.policy.max_tries)
                if value is not None:
                    if not isinstance(value, str) or not ef.policy.accepts(
                        value.encode("ascii", "replace")
                    ):
                        raise ImageError("card image holds a malformed PIN")
                    ef.value = value.encode("ascii")
                if not isinstance(left, int) or not 0 <= left <= ef.policy.max_tries:
                    raise ImageError("card image holds a bad retry counter")
                ef.tries_left = left
