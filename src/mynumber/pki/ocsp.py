"""An OCSP responder (RFC 6960) for one JPKI CA, signing with a delegated responder certificate.

Caching trade-off: an RSA-2048 signature costs ~1 ms, far more than everything else in an
answer. A request without a nonce may be answered with a response signed earlier
(RFC 5019 §2.2, "pre-produced responses"; RFC 6960 §2.4), so signed answers are cached per
(CertID, status) for ``reuse_for`` and reused byte for byte; a change of status changes the
key, so a revocation is never hidden behind a cached "good". A request with a nonce asks for
a fresh response bound to it (RFC 8954): it always costs a signature and is never cached, so
a client that wants replay protection pays for it while the bulk of plain queries stay cheap.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from mynumber.errors import InvalidInput, Unavailable
from mynumber.pki._time import as_utc
from mynumber.pki.signer import Signer, as_private_key, hash_for
from mynumber.pki.status import CertStatus, Good, Revoked, Unknown

StatusLookup = Callable[[bytes, int], CertStatus]
"""``status_of(issuer_key_hash, serial_number)``; the hash is SHA-1 of the CA's public key bits
(RFC 6960 §4.1.1 issuerKeyHash, which equals the CA's RFC 5280 method-1 SKI)."""

CERT_ID_HASH = hashes.SHA1()  # noqa: S303 - names a CertID (RFC 5019 §2.1.1), protects nothing
"""SHA-1, the CertID hash every OCSP client understands; it identifies, it does not protect."""

MAX_NONCE_LENGTH = 32
"""RFC 8954 §2.1: a responder refuses a nonce longer than 32 octets with malformedRequest."""


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)


MALFORMED_REQUEST = _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
TRY_LATER = _unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)


def decode_get_request(path_component: str) -> bytes:
    """The DER request carried in a GET URL (RFC 6960 Appendix A.1): url-decode, then base64.

    Pass everything after the responder's base path and its ``/`` (base64 may contain
    ``/``, so the rest of the path is one component, and nothing is stripped). Missing
    ``=`` padding is tolerated; anything else that is not base64 raises ``InvalidInput``.
    """
    text = unquote(path_component)
    text += "=" * (-len(text) % 4)
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("OCSP GET path is not base64", field="path") from exc
    if not der:
        raise InvalidInput("OCSP GET path is empty", field="path")
    return der


def encode_get_request(request_der: bytes) -> str:
    """The path component for an OCSP GET: base64 of the DER, then percent-encoded."""
    return quote(base64.b64encode(request_der).decode("ascii"), safe="")


def issuer_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) of a CA for a CertID (RFC 6960 §4.1.1)."""
    name = hashes.Hash(algorithm)
    name.update(issuer.subject.public_bytes())
    key = hashes.Hash(algorithm)
    public = issuer.public_key()
    # The subjectPublicKey BIT STRING holds the PKCS#1 RSAPublicKey DER for RSA, and the
    # uncompressed point for EC (generation 2; RFC 5480 §2.2).
    if isinstance(public, ec.EllipticCurvePublicKey):
        key.update(public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    else:
        key.update(public.public_bytes(Encoding.DER, PublicFormat.PKCS1))
    return name.finalize(), key.finalize()


def _nonce(extensions: x509.Extensions) -> bytes | None:
    try:
        return extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    size: int


@dataclass(frozen=True, slots=True)
class _Cached:
    this_update: dt.datetime
    der: bytes


_CacheKey = tuple[str, bytes, bytes, int, CertStatus]


class OCSPResponder:
    """Answers DER OCSP requests about certificates issued by ``issuer``.

    ``certificate`` is the delegated responder certificate (or the CA itself) and ``signer``
    holds its key. Responses are valid from the time of signing for ``validity``
    (thisUpdate/nextUpdate); unsigned error responses are ``malformedRequest`` for input that
    does not parse, ``unauthorized`` for a CA this responder does not serve and ``tryLater``
    when ``status_of`` raises :class:`mynumber.errors.Unavailable`.
    cryptography reads one CertID per request, so a multi-certificate request is malformed here.
    """

    def __init__(
        self,
        *,
        issuer: x509.Certificate,
        certificate: x509.Certificate,
        signer: Signer,
        status_of: StatusLookup,
        validity: dt.timedelta = dt.timedelta(hours=1),
        reuse_for: dt.timedelta = dt.timedelta(minutes=5),
        cache_size: int = 65_536,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if certificate != issuer:
            try:
                certificate.verify_directly_issued_by(issuer)
                eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound) as exc:
                raise InvalidInput(
                    "responder certificate is not a delegated responder of the CA",
                    field="certificate",
                ) from exc
            if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                raise InvalidInput(
                    "responder certificate lacks EKU OCSPSigning", field="certificate"
                )
        if signer.public_key() != certificate.public_key():
            raise InvalidInput(
                "signer does not hold the responder certificate's key",
                field="signer",
                code="key_mismatch",
            )
        if validity <= dt.timedelta(0) or not dt.timedelta(0) <= reuse_for <= validity:
            raise InvalidInput(
                "need 0 < validity and 0 <= reuse_for <= validity", field="reuse_for"
            )
        if cache_size < 0:
            raise InvalidInput("cache_size must not be negative", field="cache_size")
        self._issuer = issuer
        self._certificate = certificate
        self._key = as_private_key(signer)
        self._status_of = status_of
        self._validity = validity
        self._reuse_for = reuse_for
        self._cache_size = cache_size
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._issuer_key_hash = issuer_hashes(issuer, CERT_ID_HASH)[1]
        self._hashes: dict[str, tuple[bytes, bytes]] = {}
        self._cache: OrderedDict[_CacheKey, _Cached] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    @property
    def issuer_key_hash(self) -> bytes:
        """The SHA-1 issuerKeyHash handed to ``status_of``."""
        return self._issuer_key_hash

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._cache))

    def _ours(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        found = self._hashes.get(algorithm.name)
        if found is None:
            found = self._hashes[algorithm.name] = issuer_hashes(self._issuer, algorithm)
        return found

    def respond_to_get(self, path_component: str, *, now: dt.datetime | None = None) -> bytes:
        """Answer an OCSP GET; a path that is not base64 gets ``malformedRequest``."""
        try:
            der = decode_get_request(path_component)
        except InvalidInput:
            return MALFORMED_REQUEST
        return self.respond(der, now=now)

    def respond(self, request_der: bytes, *, now: dt.datetime | None = None) -> bytes:
        """The DER OCSPResponse for the DER OCSPRequest ``request_der`` (HTTP POST body)."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            serial = request.serial_number
            nonce = _nonce(request.extensions)
        except (ValueError, UnsupportedAlgorithm):
            return MALFORMED_REQUEST
        if nonce is not None and not 1 <= len(nonce) <= MAX_NONCE_LENGTH:
            return MALFORMED_REQUEST
        if (name_hash, key_hash) != self._ours(algorithm):
            return UNAUTHORIZED
        try:
            status = self._status_of(self._issuer_key_hash, serial)
        except Unavailable:
            return TRY_LATER
        moment = as_utc(now if now is not None else self._clock())
        if nonce is not None:
            return self._sign(algorithm, name_hash, key_hash, serial, status, moment, nonce)
        key: _CacheKey = (algorithm.name, name_hash, key_hash, serial, status)
        with self._lock:
            cached = self._cache.get(key)
            if (
                cached is not None
                and cached.this_update <= moment < cached.this_update + self._reuse_for
            ):
                self._cache.move_to_end(key)
                self._hits += 1
                return cached.der
            self._misses += 1
        der = self._sign(algorithm, name_hash, key_hash, serial, status, moment, None)
        if self._cache_size:
            with self._lock:
                self._cache[key] = _Cached(moment, der)
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return der

    def _sign(
        self,
        algorithm: hashes.HashAlgorithm,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        status: CertStatus,
        now: dt.datetime,
        nonce: bytes | None,
    ) -> bytes:
        revoked_at: dt.datetime | None = None
        reason: x509.ReasonFlags | None = None
        if isinstance(status, Good):
            cert_status = ocsp.OCSPCertStatus.GOOD
        elif isinstance(status, Revoked):
            cert_status = ocsp.OCSPCertStatus.REVOKED
            revoked_at, reason = status.revoked_at, status.reason
        elif isinstance(status, Unknown):
            cert_status = ocsp.OCSPCertStatus.UNKNOWN
        else:
            raise TypeError(f"status_of returned {type(status).__name__}, not a CertStatus")
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial,
                algorithm=algorithm,
                cert_status=cert_status,
                this_update=now,
                next_update=now + self._validity,
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._certificate)
            .certificates([self._certificate])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        return builder.sign(self._key, hash_for(self._key)).public_bytes(Encoding.DER)
