"""The デジタル認証アプリ-style signing API at the platform operator: a provider creates a
sign transaction (private_key_jwt), the person authorises it with the card, the provider
collects the signature and certificate as a JWE it opens and verifies; the refusals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwe, jwt
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from test_portal_login import SIGN_PASSWORD, issue

from mynumber.cli.contract import authorize_sign_transaction
from mynumber.federation import INTERNAL_BASE
from mynumber.platform.http import InProcessTransport
from mynumber.reader import PinIncorrect

ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT = "securities"


@pytest.fixture(scope="module")
def web(fed) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE)


@pytest.fixture(scope="module")
def client_key(http) -> RSAKey:
    """The provider's key pair; its public half registered by the platform's clerk."""
    key = RSAKey.generate_key(2048)
    put = http.put(
        f"/trustplatform/api/providers/{CLIENT}/client-key",
        json={"jwk": key.as_dict(private=False)},
    )
    assert put.status_code == 200, put.text
    return key


def assertion(fed, key: RSAKey, endpoint: str, *, client: str = CLIENT, **over: Any) -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": client,
        "sub": client,
        "aud": f"{fed.settings.base_url.rstrip('/')}/trustplatform{endpoint}",
        "exp": now + 120,
        "iat": now,
        "jti": secrets.token_hex(12),
        **over,
    }
    return jwt.encode({"alg": "RS256"}, claims, key)


def create(web, fed, key: RSAKey, digest: bytes, **over: Any) -> httpx.Response:
    return web.post(
        "/trustplatform/sign-transactions",
        json={
            "client_assertion_type": ASSERTION,
            "client_assertion": assertion(fed, key, "/sign-transactions", **over),
            "hash": base64.b64encode(digest).decode(),
        },
    )


def result(web, fed, key: RSAKey, tx_id: str) -> httpx.Response:
    endpoint = f"/sign-transactions/{tx_id}/result"
    token = assertion(fed, key, endpoint)
    return web.get(f"/trustplatform{endpoint}", headers={"authorization": f"Bearer {token}"})


def test_the_result_is_a_jwe_the_client_opens_and_verifies(fed, http, web, client_key) -> None:
    person = issue(fed, http)
    document = "口座開設申込書 (demo)".encode()
    created = create(web, fed, client_key, hashlib.sha256(document).digest())
    assert created.status_code == 201, created.text
    tx_id = created.json()["sign_transaction_id"]
    assert result(web, fed, client_key, tx_id).status_code == 409  # not signed yet
    assert authorize_sign_transaction(web, person["client"], tx_id, password=SIGN_PASSWORD) == {
        "id": tx_id,
        "status": "signed",
    }
    got = result(web, fed, client_key, tx_id)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/jose")
    opened = jwe.decrypt_compact(
        got.text, client_key, registry=JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
    )
    payload = json.loads(opened.plaintext)
    cert = x509.load_der_x509_certificate(base64.b64decode(payload["certificate"]))
    root = x509.load_der_x509_certificate(base64.b64decode(payload["certificate_chain"][0]))
    cert.verify_directly_issued_by(root)
    assert root == x509.load_der_x509_certificate(web.get("/jlis/ca/sign.der").content)
    cert.public_key().verify(  # type: ignore[union-attr]
        base64.b64decode(payload["signature"]), document, padding.PKCS1v15(), hashes.SHA256()
    )
    assert f"{cert.serial_number:x}" in [
        c["serial"] for c in person["summary"]["certificates"] if c["hierarchy"] == "sign"
    ]
    # another key cannot open it
    with pytest.raises(Exception):  # noqa: B017 - joserfc's decryption error
        jwe.decrypt_compact(
            got.text,
            RSAKey.generate_key(2048),
            registry=JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"]),
        )


def test_client_authentication_refusals(fed, web, client_key) -> None:
    digest = hashlib.sha256(b"x").digest()
    other = RSAKey.generate_key(2048)
    assert create(web, fed, other, digest).status_code == 401  # not the registered key
    assert create(web, fed, client_key, digest, aud="https://elsewhere").status_code == 401
    stale = int(dt.datetime.now(dt.UTC).timestamp()) - 10
    assert create(web, fed, client_key, digest, exp=stale).status_code == 401
    token = assertion(fed, client_key, "/sign-transactions")
    body = {
        "client_assertion_type": ASSERTION,
        "client_assertion": token,
        "hash": base64.b64encode(digest).decode(),
    }
    assert web.post("/trustplatform/sign-transactions", json=body).status_code == 201
    replay = web.post("/trustplatform/sign-transactions", json=body)
    assert replay.status_code == 401 and replay.json()["title"] == "invalid_client"
    # a provider with no key registered is not a client
    assert create(web, fed, other, digest, client="realestate").status_code == 401


def test_a_wrong_password_or_a_revoked_certificate_signs_nothing(fed, http, web, client_key):
    person = issue(fed, http)
    created = create(web, fed, client_key, hashlib.sha256(b"y").digest()).json()
    tx_id = created["sign_transaction_id"]
    with pytest.raises(PinIncorrect):
        authorize_sign_transaction(web, person["client"], tx_id, password="WRONG99")
    suspended = http.post(
        f"/jlis/cards/{person['summary']['manufacture_number']}/suspend",
        json={"reason": "keyCompromise"},
    )
    assert suspended.status_code == 200
    from mynumber import errors

    with pytest.raises(errors.Unauthorized) as refused:
        authorize_sign_transaction(web, person["client"], tx_id, password=SIGN_PASSWORD)
    assert refused.value.code == "certificate_revoked"
    assert web.get(f"/trustplatform/sign-transactions/{tx_id}").json()["status"] == "pending"
