"""The shared check of a card's signature across both generations (:func:`verify_signed`):
the chain to either generation's root, the key that root's hierarchy certifies (RSA-2048
under generation 1, P-384 under generation 2), then the scheme of that key — RSA PKCS#1 v1.5
with SHA-256 or ECDSA with SHA-384 — also over a ready digest (sign transactions)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pkikit import BIRTH_DATE, CRL_URL, NOW, OCSP_URL

from mynumber.pki import (
    CertificateAuthority,
    Purpose,
    SignatureInvalid,
    create_root,
    generate_gen2_key,
    generation_of,
    verify_digest_signature,
    verify_signed,
)


@pytest.fixture(scope="module")
def g2_ca() -> CertificateAuthority:
    return create_root(Purpose.AUTH, NOW.replace(year=NOW.year - 1), generation=2)


@pytest.fixture(scope="module")
def g2_key() -> ec.EllipticCurvePrivateKey:
    return generate_gen2_key()


def _auth(
    ca: CertificateAuthority, key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
) -> x509.Certificate:
    return ca.issue_auth(
        key,
        birth_date=BIRTH_DATE,
        now=NOW,
        ocsp_url=OCSP_URL[Purpose.AUTH],
        crl_url=CRL_URL[Purpose.AUTH],
    )


def test_each_generation_verifies_by_its_own_scheme(
    auth_ca, auth_key, auth_cert, g2_ca, g2_key
) -> None:
    roots = [auth_ca.certificate, g2_ca.certificate]
    data = b"a login challenge"
    g2_cert = _auth(g2_ca, g2_key.public_key())
    rsa_signature = auth_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    ec_signature = g2_key.sign(data, ec.ECDSA(hashes.SHA384()))
    assert verify_signed(auth_cert, data, rsa_signature, roots, NOW, purpose=Purpose.AUTH) == (
        auth_ca.certificate
    )
    anchor = verify_signed(g2_cert, data, ec_signature, roots, NOW, purpose=Purpose.AUTH)
    assert anchor == g2_ca.certificate and generation_of(anchor) == 2
    assert generation_of(auth_ca.certificate) == 1
    # ECDSA over SHA-256 is not the generation-2 scheme
    sha256 = g2_key.sign(data, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SignatureInvalid):
        verify_signed(g2_cert, data, sha256, roots, NOW, purpose=Purpose.AUTH)
    with pytest.raises(SignatureInvalid):
        verify_signed(g2_cert, data + b"!", ec_signature, roots, NOW, purpose=Purpose.AUTH)


def test_a_hierarchy_vouches_only_for_the_key_it_certifies(auth_ca, g2_ca, g2_key) -> None:
    """A P-384 certificate under the generation-1 root (or RSA under generation 2) is
    refused even though that root signed it."""
    data = b"challenge"
    misfit = _auth(auth_ca, g2_key.public_key())
    signature = g2_key.sign(data, ec.ECDSA(hashes.SHA384()))
    roots = [auth_ca.certificate, g2_ca.certificate]
    with pytest.raises(SignatureInvalid, match="generation-1 hierarchy"):
        verify_signed(misfit, data, signature, roots, NOW, purpose=Purpose.AUTH)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = _auth(g2_ca, rsa_key.public_key())
    rsa_signature = rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(SignatureInvalid, match="generation-2 hierarchy"):
        verify_signed(other, data, rsa_signature, roots, NOW, purpose=Purpose.AUTH)


def test_a_signature_over_a_ready_digest_by_either_key(auth_key, auth_cert, g2_ca, g2_key) -> None:
    digest = hashlib.sha384(b"a document").digest()
    g2_cert = _auth(g2_ca, g2_key.public_key())
    ec_signature = g2_key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA384())))
    verify_digest_signature(g2_cert, digest, "sha384", ec_signature)
    sha256 = hashlib.sha256(b"a document").digest()
    rsa_signature = auth_key.sign(sha256, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    verify_digest_signature(auth_cert, sha256, "sha256", rsa_signature)
    with pytest.raises(SignatureInvalid):
        verify_digest_signature(g2_cert, bytes(48), "sha384", ec_signature)
    with pytest.raises(SignatureInvalid):
        verify_digest_signature(auth_cert, sha256, "md5", rsa_signature)
