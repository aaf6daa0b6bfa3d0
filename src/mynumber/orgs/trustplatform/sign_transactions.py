"""A デジタル認証アプリ-style signing API for the providers (services-reference §5).

This project's choice: the operator offers it to its providers (the Digital Agency's app
beside Mynaportal is not modelled as an organisation of its own). What follows the public
guideline: a provider creates a sign transaction with a SHA-256 hash or a DigestInfo,
authenticating with ``private_key_jwt`` (RFC 7523 §2.2: a JWT signed RS256 with the key it
registered, ``iss`` = ``sub`` = its client id, ``aud`` the endpoint, ``exp`` within five
minutes, a ``jti`` used once); the person authorises with the card (the signing password
goes to the card only, the card signs the DigestInfo, the platform checks the signature,
the chain to J-LIS's signing CA and J-LIS's OCSP answer: a revoked certificate is refused
at signing time); the provider collects the result as a JWE (``RSA-OAEP-256`` +
``A256GCM``) encrypted to its registered key: the signature and certificate (base64), the
DigestInfo signed. Not modelled: the authorization-code flow with PKCE and the
``openid name address birthdate gender sign`` scopes around it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from mynumber.errors import Conflict, InvalidInput, NotFound, Unauthorized
from mynumber.orgs.trustplatform import model, store
from mynumber.orgs.trustplatform.services import Platform
from mynumber.pki import Purpose
from mynumber.pki.verify import verify_chain
from mynumber.platform.db import retrying

TTL = dt.timedelta(minutes=10)
ASSERTION_MAX_LIFE = dt.timedelta(minutes=5)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWE_ALG, JWE_ENC = "RSA-OAEP-256", "A256GCM"
_JWE = JWERegistry(algorithms=[JWE_ALG, JWE_ENC])

#: DigestInfo prefixes (RFC 8017 §9.2 note 1)
PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class ClientUnauthorized(Unauthorized):
    """The client assertion is missing, malformed, not signed by the provider's key,
    for another audience, expired or used before."""

    code = "invalid_client"


def parse_target(*, hash_b64: str | None, digest_info_b64: str | None) -> tuple[str, bytes]:
    """(algorithm, digest) from a SHA-256 hash or a DigestInfo (base64), exactly one."""
    if (hash_b64 is None) == (digest_info_b64 is None):
        raise InvalidInput("give either hash or digest_info", field="hash")
    try:
        raw = base64.b64decode(hash_b64 or digest_info_b64 or "", validate=True)
    except ValueError as exc:
        raise InvalidInput("not base64", field="hash") from exc
    if hash_b64 is not None:
        if len(raw) != 32:
            raise InvalidInput("hash is a SHA-256 digest (32 bytes)", field="hash")
        return "sha256", raw
    for name, prefix in PREFIX.items():
        if raw.startswith(prefix) and len(raw) == len(prefix) + prefix[-1]:
            return name, raw[len(prefix) :]
    raise InvalidInput("digest_info is a DER DigestInfo of SHA-256/384/512", field="digest_info")


class SignTransactions:
    def __init__(self, *, engine: Engine, platform: Platform, audience_base: str) -> None:
        self.engine = engine
        self.platform = platform  # J-LIS's signing root and OCSP
        self.audience_base = audience_base.rstrip("/")

    # --- clients --------------------------------------------------------------------

    def register_key(self, provider_id: str, jwk: dict[str, Any]) -> dict[str, Any]:
        """A provider's public RSA key (JWK), replacing any before."""
        provider = model.provider(provider_id)
        try:
            key = RSAKey.import_key(jwk)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidInput("jwk must be an RSA public key", field="jwk") from exc
        if key.is_private or key.raw_value.key_size < 2048:
            raise InvalidInput("jwk must be an RSA public key of 2048 bits or more", field="jwk")
        public = key.as_dict(private=False)
        now = dt.datetime.now(dt.UTC)
        k = store.client_keys.c

        def put(conn: Any) -> None:
            conn.execute(delete(store.client_keys).where(k.provider == provider.id))
            conn.execute(
                store.client_keys.insert().values(
                    provider=provider.id, jwk=json.dumps(public), registered_at=now
                )
            )

        retrying(self.engine, put)
        return {"client_id": provider.id, "jwk": public}

    def _key(self, provider_id: str) -> RSAKey:
        k = store.client_keys.c
        with self.engine.connect() as conn:
            found = conn.scalar(select(k.jwk).where(k.provider == provider_id))
        if found is None:
            raise ClientUnauthorized("this client has registered no key")
        return RSAKey.import_key(json.loads(found))

    def authenticate(self, assertion: str | None, *, endpoint: str) -> str:
        """The client id a ``private_key_jwt`` assertion proves, or raise."""
        if not assertion or len(assertion) > 8192:
            raise ClientUnauthorized("a client assertion (private_key_jwt) is required")
        try:  # whose key to check with: the issuer claim, trusted only after the signature
            part = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            client_id = str(claims["iss"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ClientUnauthorized("the client assertion is malformed") from exc
        if client_id not in model.PROVIDERS:
            raise ClientUnauthorized("unknown client")
        try:
            token = jwt.decode(assertion, self._key(client_id), algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise ClientUnauthorized("the assertion is not signed by the client's key") from exc
        c = token.claims
        now = dt.datetime.now(dt.UTC)
        exp = c.get("exp")
        if c.get("sub") != client_id or c.get("aud") not in (
            self.audience_base + endpoint,
            self.audience_base,
        ):
            raise ClientUnauthorized("the client assertion is for another client or audience")
        if not isinstance(exp, int | float) or not (
            now.timestamp() < exp <= (now + ASSERTION_MAX_LIFE).timestamp()
        ):
            raise ClientUnauthorized("the client assertion is expired or lives too long")
        jti = c.get("jti")
        if not isinstance(jti, str) or not 8 <= len(jti) <= 100:
            raise ClientUnauthorized("the client assertion needs a jti")
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    delete(store.used_assertions).where(store.used_assertions.c.expires_at < now)
                )
                conn.execute(
                    store.used_assertions.insert().values(
                        jti=f"{client_id}:{jti}"[:100],
                        expires_at=dt.datetime.fromtimestamp(exp, dt.UTC),
                    )
                )
        except IntegrityError as exc:
            raise ClientUnauthorized("the client assertion was used before") from exc
        return client_id

    # --- transactions ---------------------------------------------------------------

    def create(self, provider_id: str, algorithm: str, digest: bytes) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        tx = {
            "id": str(uuid.uuid4()),
            "provider": provider_id,
            "algorithm": algorithm,
            "digest": digest,
            "created_at": now,
            "expires_at": now + TTL,
            "status": "pending",
        }
        with self.engine.begin() as conn:
            conn.execute(store.sign_transactions.insert().values(**tx))
        return tx

    def get(self, tx_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(tx_id)
        except ValueError as exc:
            raise NotFound("no such sign transaction", code="transaction_not_found") from exc
        t = store.sign_transactions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(store.sign_transactions).where(t.id == tx_id)).first()
        if row is None:
            raise NotFound("no such sign transaction", code="transaction_not_found")
        found = dict(row._mapping)
        if found["status"] == "pending" and found["expires_at"] <= dt.datetime.now(dt.UTC):
            raise NotFound("the sign transaction expired", code="transaction_expired")
        return found

    def digest_info(self, tx: dict[str, Any]) -> bytes:
        return PREFIX[str(tx["algorithm"])] + bytes(tx["digest"])

    def authorize(self, tx_id: str, signature: bytes, certificate_der: bytes) -> dict[str, Any]:
        """The card holder's signature over the transaction's DigestInfo; checked against
        the certificate, J-LIS's signing CA and J-LIS's OCSP (revoked: refused)."""
        tx = self.get(tx_id)
        if tx["status"] != "pending":
            raise Conflict("this sign transaction is already signed", code="already_signed")
        try:
            cert = x509.load_der_x509_certificate(certificate_der)
        except ValueError as exc:
            raise InvalidInput("certificate is not DER X.509", field="certificate") from exc
        verify_chain(
            cert, [self.platform.jlis.sign_ca()], dt.datetime.now(dt.UTC), purpose=Purpose.SIGN
        )
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidInput("not an RSA certificate", field="certificate")
        algorithm = _HASHES[tx["algorithm"]]
        try:
            key.verify(signature, tx["digest"], padding.PKCS1v15(), Prehashed(algorithm))
        except InvalidSignature as exc:
            raise Unauthorized(
                "the signature is not over this transaction", code="signature_invalid"
            ) from exc
        self.platform.status_or_raise(cert)
        t = store.sign_transactions.c
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(store.sign_transactions)
                .where(t.id == tx_id, t.status == "pending")
                .values(status="signed", signature=signature, certificate=certificate_der)
            ).rowcount
        if not changed:
            raise Conflict("this sign transaction is already signed", code="already_signed")
        return {"id": tx_id, "status": "signed"}

    def result(self, tx_id: str, client_id: str) -> str:
        """The JWE (compact) of the result, encrypted to the client's registered key."""
        tx = self.get(tx_id)
        if tx["provider"] != client_id:
            raise NotFound("no such sign transaction", code="transaction_not_found")
        if tx["status"] == "pending":
            raise Conflict("the person has not signed yet", code="authorization_pending")
        payload = {
            "sign_transaction_id": tx_id,
            "digest_info": base64.b64encode(self.digest_info(tx)).decode(),
            "signature": base64.b64encode(tx["signature"]).decode(),
            "certificate": base64.b64encode(tx["certificate"]).decode(),
            "certificate_chain": [
                base64.b64encode(self.platform.jlis.sign_ca().public_bytes(Encoding.DER)).decode()
            ],
        }
        return jwe.encrypt_compact(
            {"alg": JWE_ALG, "enc": JWE_ENC, "cty": "json"},
            json.dumps(payload).encode(),
            self._key(client_id),
            registry=_JWE,
        )
