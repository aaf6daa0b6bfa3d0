"""End-to-end encryption of linkage answers: JWE (RFC 7516) to the requesting organisation.

Each organisation holds an EC P-256 key pair in ``DATA/keys/<org>.enc.pem`` (private, a demo
value made on first start, mode 0600) and ``DATA/keys/<org>.enc.pub.pem`` (public, what other
organisations read). A provider encrypts its answer with ECDH-ES+A256KW / A256GCM to the
requester's public key, so the hub that relays it holds ciphertext it cannot read.

Encryption alone does not say who wrote an answer: anyone holding the requester's public key
(the hub included) could seal one. :func:`seal_signed` therefore signs first and encrypts
after (a nested JWT, RFC 7519 §5.2): the JWE's plaintext is a compact JWS made with the
signer's Ed25519 key from the :class:`~mynumber.platform.signing.KeyFolder` (``DATA/keys/
<org>.pem``), whose claims bind the exchange, the procedure, the signer and the recipient.
:func:`open_signed` decrypts, checks the signature with the signer's ``<org>.pub.pem`` and
that every bound field is the one the recipient expects.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, OKPKey
from joserfc.jws import JWSRegistry

from mynumber.errors import InvalidInput, NotFound
from mynumber.platform.signing import KeyFolder

ALGORITHM = "ECDH-ES+A256KW"  # RFC 7518 §4.6: ephemeral-static ECDH, key wrapped with AES-256
ENCRYPTION = "A256GCM"  # RFC 7518 §5.3
SIGNATURE = "Ed25519"  # RFC 9864: EdDSA with Ed25519, by its fully-specified name

_DEMO_NOTE = b"# DEMO KEY of a mynumber sandbox organisation - never use it elsewhere\n"


class _BulkRegistry(JWERegistry):
    """joserfc's registry with room for bulk answers: its default refuses ciphertexts over
    64 KiB (a few hundred people), while an eligibility page or a bulk exchange carries up
    to 2×10^5 (tens of MB). Request bodies are bounded by each route's own limits."""

    max_ciphertext_length = 256 * 1024 * 1024


_REGISTRY = _BulkRegistry(algorithms=[ALGORITHM, ENCRYPTION])  # ours only


class _BulkSignatures(JWSRegistry):
    """joserfc's JWS registry with room for the same bulk answers (its default: 128 kB)."""

    max_payload_length = 256 * 1024 * 1024


_SIGNATURES = _BulkSignatures(algorithms=[SIGNATURE])


class EncryptionKeys:
    """The organisations' encryption key pairs, beside their signing keys."""

    def __init__(self, folder: Path, signing: KeyFolder | None = None) -> None:
        self.folder = folder
        #: the Ed25519 signing keys a signed answer is made and checked with (same folder)
        self.signing = signing if signing is not None else KeyFolder(folder)
        self._lock = threading.Lock()
        self._public: dict[str, ECKey] = {}
        self._private: dict[str, ECKey] = {}
        self._signers: dict[str, OKPKey] = {}
        self._checkers: dict[str, OKPKey] = {}

    def _paths(self, org: str) -> tuple[Path, Path]:
        stem = org.replace("/", "-")
        return self.folder / f"{stem}.enc.pem", self.folder / f"{stem}.enc.pub.pem"

    def ensure(self, org: str) -> None:
        """Make the organisation's key pair unless it exists (the private half first)."""
        private, public = self._paths(org)
        with self._lock:
            if private.exists() and public.exists():
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            if not private.exists():
                key = ECKey.generate_key("P-256", private=True)
                tmp = private.with_name(f".{private.name}.{os.getpid()}.tmp")
                tmp.write_bytes(_DEMO_NOTE + key.as_pem(private=True))
                tmp.chmod(0o600)
                try:
                    os.link(tmp, private)  # never replaces a key another process made
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            loaded = ECKey.import_key(private.read_bytes().removeprefix(_DEMO_NOTE))
            tmp = public.with_name(f".{public.name}.{os.getpid()}.tmp")
            tmp.write_bytes(loaded.as_pem(private=False))
            tmp.replace(public)

    def private_key(self, org: str) -> ECKey:
        if org not in self._private:
            self.ensure(org)
            pem = self._paths(org)[0].read_bytes().removeprefix(_DEMO_NOTE)
            self._private[org] = ECKey.import_key(pem)
        return self._private[org]

    def public_key(self, org: str) -> ECKey:
        """The public key of another organisation; NotFound if it has none."""
        if org not in self._public:
            path = self._paths(org)[1]
            if not path.exists():
                raise NotFound(f"{org} has no encryption key", code="no_encryption_key")
            self._public[org] = ECKey.import_key(path.read_bytes())
        return self._public[org]

    def signer(self, org: str) -> OKPKey:
        """Our own Ed25519 signing key as a JWK (made on first use, like a request's)."""
        if org not in self._signers:
            self._signers[org] = OKPKey.import_key(self.signing.private_key(org))
        return self._signers[org]

    def checker(self, org: str) -> OKPKey:
        """Another organisation's Ed25519 public key as a JWK; InvalidInput if it has none
        (never makes one: an unknown signer is refused)."""
        if org not in self._checkers:
            if not self.signing.knows(org):
                raise _refused(f"{org} has no signing key here")
            self._checkers[org] = OKPKey.import_key(self.signing.public_key(org))
        return self._checkers[org]


def seal(keys: EncryptionKeys, recipient: str, payload: Any, *, exchange_id: str = "") -> str:
    """``payload`` as JSON, encrypted to ``recipient``: a compact JWE (five dot-separated parts).

    Unsigned, so it proves nothing about its writer: answers between organisations use
    :func:`seal_signed`, and :func:`open_signed` refuses what this makes."""
    header = {"alg": ALGORITHM, "enc": ENCRYPTION, "kid": recipient, "cty": "json"}
    # the exchange id goes inside the ciphertext, so an answer cannot be replayed as another's
    body = {"exchange": exchange_id, "data": payload}
    plaintext = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return jwe.encrypt_compact(header, plaintext, keys.public_key(recipient))


def open_sealed(keys: EncryptionKeys, recipient: str, token: str, *, exchange_id: str = "") -> Any:
    """Decrypt a JWE sealed to ``recipient``; raises InvalidInput if it is not one for it
    (or is bound to another exchange)."""
    try:
        obj = jwe.decrypt_compact(token, keys.private_key(recipient), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise InvalidInput("the answer does not decrypt", code="bad_ciphertext") from exc
    try:
        body = orjson.loads(obj.plaintext or b"null")
        bound, data = body["exchange"], body["data"]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("the answer is not a sealed answer", code="bad_ciphertext") from exc
    if exchange_id and bound != exchange_id:
        raise InvalidInput("the answer belongs to another exchange", code="bad_ciphertext")
    return data


def seal_signed(
    keys: EncryptionKeys,
    payload: Any,
    *,
    signer: str,
    recipient: str,
    exchange_id: str,
    procedure: str,
) -> str:
    """``payload`` signed by ``signer`` then encrypted to ``recipient`` (sign-then-encrypt).

    The JWS claims bind ``iss`` (the signer: the provider of an answer, the sender of a
    delivery), ``aud`` (the recipient: the requester), ``exchange`` and ``procedure``; the
    JWE's ``cty: JWT`` says its plaintext is that JWS (RFC 7519 §5.2). Only the recipient
    can read it and only the signer can have written it.
    """
    claims = {
        "iss": signer,
        "aud": recipient,
        "exchange": exchange_id,
        "procedure": procedure,
        "iat": int(time.time()),
        "data": payload,
    }
    signed = jws.serialize_compact(
        {"alg": SIGNATURE, "typ": "JWT", "kid": signer},
        orjson.dumps(claims, option=orjson.OPT_NON_STR_KEYS),
        keys.signer(signer),
        registry=_SIGNATURES,
    )
    header = {"alg": ALGORITHM, "enc": ENCRYPTION, "kid": recipient, "cty": "JWT"}
    return jwe.encrypt_compact(header, signed.encode(), keys.public_key(recipient))


def open_signed(
    keys: EncryptionKeys,
    token: str,
    *,
    recipient: str,
    signer: str | Iterable[str],
    exchange_id: str,
    procedure: str,
) -> Any:
    """The payload of a :func:`seal_signed` answer, once every check has passed.

    Decrypts with ``recipient``'s key (InvalidInput ``bad_ciphertext`` if it does not), then
    checks the signature with the signer's public key and that the signer is ``signer`` (or
    one of them: a requester that asked a kind, such as ``municipality``, names the
    organisation the hub says answered), the recipient is us and the exchange and procedure
    are the ones asked: any mismatch is InvalidInput ``bad_answer_signature``, so an answer
    sealed by someone holding only our public key is refused.
    """
    try:
        obj = jwe.decrypt_compact(token, keys.private_key(recipient), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise InvalidInput("the answer does not decrypt", code="bad_ciphertext") from exc
    signers = {signer} if isinstance(signer, str) else set(signer)
    inner = obj.plaintext or b""
    if obj.protected.get("cty") != "JWT":
        raise _refused("the answer is not signed by its provider")
    try:
        signed = jws.extract_compact(inner, registry=_SIGNATURES)
    except (JoseError, ValueError) as exc:
        raise _refused("the answer is not signed by its provider") from exc
    kid = signed.protected.get("kid")
    if not isinstance(kid, str) or kid not in signers:
        raise _refused(f"the answer is signed by {kid!r}, not by {' or '.join(sorted(signers))}")
    try:
        if not jws.validate_compact(signed, keys.checker(kid), registry=_SIGNATURES):
            raise _refused("the provider's signature on the answer does not verify")
        claims = orjson.loads(signed.payload)
        bound = (claims["iss"], claims["aud"], claims["exchange"], claims["procedure"])
        data = claims["data"]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _refused("the provider's signature on the answer does not verify") from exc
    if bound[0] != kid or bound[1] != recipient:
        raise _refused("the answer is signed for another party")
    if bound[2] != exchange_id:
        raise _refused("the answer belongs to another exchange")
    if bound[3] != procedure:
        raise _refused("the answer belongs to another procedure")
    return data


def open_answer(
    keys: EncryptionKeys,
    answer: Mapping[str, Any],
    *,
    requester: str,
    provider: str,
    procedure: str,
) -> Any:
    """The data of the hub's answer to an exchange we asked (``POST /exchanges`` or
    ``/exchanges/bulk``: ``exchange_id``, ``provider``, ``jwe``), checked by
    :func:`open_signed` against what we asked: signed by the provider, for us, for this
    exchange and procedure. ``provider`` is the organisation or kind we named; with a kind
    (``municipality``) the hub says which organisation answered (``municipality-131016``)
    and that one must have signed.
    """
    answered = str(answer.get("provider") or provider)
    if answered != provider and not answered.startswith(f"{provider}-"):
        raise _refused(f"the hub says {answered!r} answered, but {provider!r} was asked")
    return open_signed(
        keys,
        str(answer.get("jwe")),
        recipient=requester,
        signer=answered,
        exchange_id=str(answer.get("exchange_id")),
        procedure=procedure,
    )


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_answer_signature")


def is_compact_jwe(value: object) -> bool:
    """Whether ``value`` has the shape of a compact JWE (what the hub relays, unread)."""
    return isinstance(value, str) and value.count(".") == 4 and value.startswith("ey")
