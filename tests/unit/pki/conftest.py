"""Shared fixtures for the pki tests: keys, two JPKI hierarchies, user certificates, responders.

RSA key generation costs ~60 ms, so keys come from ``tests/assets/demo-keys/*.pem`` when that
folder exists (demo values) and are generated once per session otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkikit import (
    ADDRESS,
    BIRTH_DATE,
    CRL_URL,
    DEMO_KEYS,
    KEY_COUNT,
    NAME,
    NOW,
    OCSP_URL,
    StatusTable,
)

from mynumber.pki import (
    BasicItems,
    CertificateAuthority,
    Gender,
    LocalSigner,
    OCSPResponder,
    Purpose,
    create_root,
    generate_key,
)


@pytest.fixture(scope="session")
def keys() -> list[rsa.RSAPrivateKey]:
    """KEY_COUNT distinct RSA-2048 keys: demo keys first, generated ones to make up the count."""
    loaded: list[rsa.RSAPrivateKey] = []
    for path in sorted(DEMO_KEYS.glob("*.pem")) if DEMO_KEYS.is_dir() else []:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048:
            loaded.append(key)
    while len(loaded) < KEY_COUNT:
        loaded.append(generate_key())
    return loaded[:KEY_COUNT]


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return NOW


@pytest.fixture(scope="session")
def items() -> BasicItems:
    return BasicItems(name=NAME, gender=Gender.FEMALE, birth_date=BIRTH_DATE, address=ADDRESS)


@pytest.fixture(scope="session")
def sign_ca(keys: list[rsa.RSAPrivateKey]) -> CertificateAuthority:
    return create_root(Purpose.SIGN, NOW - dt.timedelta(days=30), signer=LocalSigner(keys[0]))


@pytest.fixture(scope="session")
def auth_ca(keys: list[rsa.RSAPrivateKey]) -> CertificateAuthority:
    return create_root(Purpose.AUTH, NOW - dt.timedelta(days=30), signer=LocalSigner(keys[1]))


@pytest.fixture(scope="session")
def rogue_auth_ca(keys: list[rsa.RSAPrivateKey]) -> CertificateAuthority:
    """Same DN as the real user-authentication CA, another key: an impostor."""
    return create_root(Purpose.AUTH, NOW - dt.timedelta(days=30), signer=LocalSigner(keys[2]))


@pytest.fixture(scope="session")
def auth_key(keys: list[rsa.RSAPrivateKey]) -> rsa.RSAPrivateKey:
    """The user's authentication key (on the chip in real life)."""
    return keys[3]


@pytest.fixture(scope="session")
def sign_key(keys: list[rsa.RSAPrivateKey]) -> rsa.RSAPrivateKey:
    return keys[4]


@pytest.fixture(scope="session")
def auth_cert(auth_ca: CertificateAuthority, auth_key: rsa.RSAPrivateKey) -> x509.Certificate:
    return auth_ca.issue_auth(
        auth_key.public_key(),
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )


@pytest.fixture(scope="session")
def sign_cert(
    sign_ca: CertificateAuthority, sign_key: rsa.RSAPrivateKey, items: BasicItems
) -> x509.Certificate:
    return sign_ca.issue_sign(
        sign_key.public_key(),
        items=items,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.SIGN],
        crl_url=CRL_URL[Purpose.SIGN],
    )


@pytest.fixture(scope="session")
def auth_responder_key(keys: list[rsa.RSAPrivateKey]) -> rsa.RSAPrivateKey:
    return keys[5]


@pytest.fixture(scope="session")
def auth_responder_cert(
    auth_ca: CertificateAuthority, auth_responder_key: rsa.RSAPrivateKey
) -> x509.Certificate:
    return auth_ca.issue_ocsp_responder(
        auth_responder_key.public_key(), now=NOW - dt.timedelta(days=1)
    )


@pytest.fixture(scope="session")
def sign_responder_key(keys: list[rsa.RSAPrivateKey]) -> rsa.RSAPrivateKey:
    return keys[6]


@pytest.fixture(scope="session")
def sign_responder_cert(
    sign_ca: CertificateAuthority, sign_responder_key: rsa.RSAPrivateKey
) -> x509.Certificate:
    return sign_ca.issue_ocsp_responder(
        sign_responder_key.public_key(), now=NOW - dt.timedelta(days=1)
    )


@pytest.fixture
def table() -> StatusTable:
    return StatusTable()


@pytest.fixture
def make_responder(
    auth_ca: CertificateAuthority,
    auth_responder_cert: x509.Certificate,
    auth_responder_key: rsa.RSAPrivateKey,
    table: StatusTable,
) -> Iterator[Callable[..., OCSPResponder]]:
    """An OCSP responder for the user-authentication CA over ``table``; options as kwargs."""

    def make(**options: object) -> OCSPResponder:
        return OCSPResponder(
            issuer=auth_ca.certificate,
            certificate=auth_responder_cert,
            signer=LocalSigner(auth_responder_key),
            status_of=table,
            **options,  # type: ignore[arg-type]
        )

    yield make
