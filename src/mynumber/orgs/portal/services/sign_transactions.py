"""Sign transactions: the デジタル認証アプリ-style signing API beside Mynaportal's OpenID
provider (services-reference §5).

A relying party that signed the person in (authorization code + PKCE S256, authenticating
with ``private_key_jwt``) and holds an access token with scope ``sign`` creates a
transaction over a hash or a DigestInfo; it is bound to the person of the token. The
person's device fetches what is asked (by the transaction's id, which only the party and
the device learn), the card signs the DigestInfo after the signing password (the password
goes to the card only) and the device sends the signature and the signing certificate. The
portal checks the signature over the transaction, the chain to J-LIS's signing CA and
J-LIS's OCSP answer as a registered verifier: a revoked certificate is refused at signing
time and nothing is kept. The party collects the result with its token, as a JWE to the key
it registered for ``private_key_jwt``.

This project's choice: the portal does not tie the signing certificate to the account
(J-LIS links only the user-authentication certificate to it); the relying party checks the
certificate's four basic items itself, as any signature verifier does.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jwe
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, select, update

from mynumber.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from mynumber.orgs.portal import store
from mynumber.orgs.portal.clients.jlis import JlisPortalClient
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.model.sign_transactions import JWE_ALG, JWE_ENC, TTL, digest_info
from mynumber.orgs.portal.services.oidc import TokenGrant
from mynumber.pki import Purpose, SignatureInvalid, verify_chain, verify_digest_signature
from mynumber.pki.verify import issuer_of

_JWE = JWERegistry(algorithms=[JWE_ALG, JWE_ENC])
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class ScopeMissing(Forbidden):
    """RFC 6750 ``insufficient_scope``: the token was not granted ``sign``."""

    code = "insufficient_scope"


class NoClientKey(Forbidden):
    """Only a ``private_key_jwt`` client has a key to receive the JWE with."""

    code = "client_key_required"


class SignTransactions:
    """Sign transactions over the portal's database and its J-LIS client."""

    def __init__(
        self,
        *,
        engine: Engine,
        jlis: JlisPortalClient,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.jlis = jlis
        self.clock = clock

    def create(self, grant: TokenGrant, algorithm: str, digest: bytes) -> dict[str, Any]:
        """A pending transaction for the token's person; the token must carry ``sign``."""
        if oidc_model.SIGN not in grant.scopes:
            raise ScopeMissing("the access token was not granted the scope sign")
        if grant.client.jwk is None:
            raise NoClientKey("sign transactions are for private_key_jwt clients")
        now = self.clock()
        tx = {
            "id": str(uuid.uuid4()),
            "client_id": grant.client.client_id,
            "portal_code": grant.portal_code,
            "algorithm": algorithm,
            "digest": digest,
            "created_at": now,
            "expires_at": now + TTL,
            "status": "pending",
        }
        with self.engine.begin() as conn:
            conn.execute(store.oidc_sign_transactions.insert().values(**tx))
        return tx

    def get(self, tx_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(tx_id)
        except ValueError as exc:
            raise NotFound("no such sign transaction", code="transaction_not_found") from exc
        t = store.oidc_sign_transactions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(store.oidc_sign_transactions).where(t.id == tx_id)).first()
        if row is None:
            raise NotFound("no such sign transaction", code="transaction_not_found")
        found = dict(row._mapping)
        if found["status"] == "pending" and found["expires_at"] <= self.clock():
            raise NotFound("the sign transaction expired", code="transaction_expired")
        return found

    @staticmethod
    def digest_info(tx: dict[str, Any]) -> bytes:
        return digest_info(str(tx["algorithm"]), bytes(tx["digest"]))

    def authorize(self, tx_id: str, signature: bytes, certificate_der: bytes) -> dict[str, str]:
        """The card holder's signature over the transaction's DigestInfo; checked against
        the certificate, J-LIS's signing CA and J-LIS's OCSP (revoked: refused)."""
        tx = self.get(tx_id)
        if tx["status"] != "pending":
            raise Conflict("this sign transaction is already signed", code="already_signed")
        try:
            cert = x509.load_der_x509_certificate(certificate_der)
        except ValueError as exc:
            raise InvalidInput("certificate is not DER X.509", field="certificate") from exc
        now = self.clock()
        # either card generation: PKCS#1 v1.5 over the DigestInfo (RSA) or ECDSA (P-384)
        issuer = verify_chain(cert, self.jlis.sign_roots(), now, purpose=Purpose.SIGN)
        try:
            verify_digest_signature(cert, bytes(tx["digest"]), str(tx["algorithm"]), signature)
        except SignatureInvalid as exc:
            raise Unauthorized(
                "the signature is not over this transaction", code="signature_invalid"
            ) from exc
        self.jlis.check_status(cert, issuer, now)  # revoked: refused
        t = store.oidc_sign_transactions.c
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(store.oidc_sign_transactions)
                .where(t.id == tx_id, t.status == "pending")
                .values(status="signed", signature=signature, certificate=certificate_der)
            ).rowcount
        if not changed:
            raise Conflict("this sign transaction is already signed", code="already_signed")
        return {"id": tx_id, "status": "signed"}

    def result(self, tx_id: str, grant: TokenGrant) -> str:
        """The JWE (compact) of the result, encrypted to the client's registered key."""
        tx = self.get(tx_id)
        if tx["client_id"] != grant.client.client_id or tx["portal_code"] != grant.portal_code:
            raise NotFound("no such sign transaction", code="transaction_not_found")
        if oidc_model.SIGN not in grant.scopes or grant.client.jwk is None:
            raise ScopeMissing("the access token was not granted the scope sign")
        if tx["status"] == "pending":
            raise Conflict("the person has not signed yet", code="authorization_pending")
        # the root of the hierarchy that issued the signer's certificate (either generation)
        root = issuer_of(
            x509.load_der_x509_certificate(bytes(tx["certificate"])), self.jlis.sign_roots()
        )
        payload = {
            "sign_transaction_id": tx_id,
            "digest_info": base64.b64encode(self.digest_info(tx)).decode(),
            "signature": base64.b64encode(tx["signature"]).decode(),
            "certificate": base64.b64encode(tx["certificate"]).decode(),
            "certificate_chain": [base64.b64encode(root.public_bytes(Encoding.DER)).decode()],
        }
        return jwe.encrypt_compact(
            {"alg": JWE_ALG, "enc": JWE_ENC, "cty": "json"},
            json.dumps(payload).encode(),
            RSAKey.import_key(json.loads(grant.client.jwk)),
            registry=_JWE,
        )
