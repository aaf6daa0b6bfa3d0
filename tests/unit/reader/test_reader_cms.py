"""Detached CMS made on the card (mynumber.reader.cms) and checked by mynumber.pki.cms:
the card's signing key signs, the password comes first, and pyHanko's trust alone is not
enough — the JPKI rules of mynumber.pki.verify apply on top."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import mynumber_test_cardkit as kit
import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynumber.pki import UnknownIssuer, WrongPurpose
from mynumber.pki.cms import CmsInvalid, verify_detached
from mynumber.reader import InvalidPin, KeyKind, PinIncorrect, PinRef
from mynumber.reader.cms import sign_detached

NOW = dt.datetime.now(dt.UTC)


def test_the_signing_key_signs_a_detached_cms_with_its_certificate(client) -> None:
    signed = sign_detached(client, b"application bytes", password=kit.SIGN_PASSWORD.lower())
    info = cms.ContentInfo.load(signed)
    assert info["content_type"].native == "signed_data"
    content = info["content"]
    assert content["encap_content_info"]["content"].native is None  # detached
    (certificate,) = content["certificates"]
    sign_cert = x509.load_der_x509_certificate(client.read_certificate(KeyKind.SIGN))
    assert certificate.chosen.dump() == sign_cert.public_bytes(Encoding.DER)
    (signer,) = content["signer_infos"]
    assert signer["signature_algorithm"]["algorithm"].native in ("sha256_rsa", "rsassa_pkcs1v15")


def test_the_password_is_checked_before_anything_is_signed(client) -> None:
    with pytest.raises(PinIncorrect) as wrong:
        sign_detached(client, b"x", password="WRONG1")
    assert wrong.value.tries_left == 4
    with pytest.raises(InvalidPin):
        sign_detached(client, b"x", password="ab")
    assert client.pin_status(PinRef.JPKI_SIGN) == 4


def test_a_certificate_without_the_jpki_signing_policy_is_refused(client) -> None:
    """The demo kit's CA issues certificates pyHanko trusts but without the JPKI policy."""
    signed = sign_detached(client, b"data", password=kit.SIGN_PASSWORD)
    with pytest.raises(WrongPurpose):
        verify_detached(signed, b"data", [kit.ca_certificate(KeyKind.SIGN)], NOW)
    with pytest.raises(CmsInvalid):
        verify_detached(signed, b"other data", [kit.ca_certificate(KeyKind.SIGN)], NOW)
    with pytest.raises(UnknownIssuer):  # a CA that did not issue it
        verify_detached(signed, b"data", [kit.ca_certificate(KeyKind.AUTH)], NOW)


def test_signing_and_checking_work_under_a_running_event_loop(client) -> None:
    """An async caller (an async route) gets the same results: pyHanko runs on a thread."""

    async def inside_a_loop() -> None:
        signed = sign_detached(client, b"data", password=kit.SIGN_PASSWORD)
        with pytest.raises(WrongPurpose):
            verify_detached(signed, b"data", [kit.ca_certificate(KeyKind.SIGN)], NOW)

    # a thread of its own: another test in this process (Playwright's sync API) may keep a
    # loop running on the main thread, where asyncio.run() would refuse to start
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, inside_a_loop()).result()
