"""Signed answers (sign-then-encrypt): only the signer can have written what opens."""

from __future__ import annotations

import json

import pytest
from joserfc import jwe, jws

from mynumber.errors import InvalidInput
from mynumber.platform.encryption import (
    EncryptionKeys,
    open_answer,
    open_signed,
    seal,
    seal_signed,
)

PROVIDER = "tax"
REQUESTER = "municipality-131016"
INCOME = {"income": [{"year": 2025, "amount_yen": 4_200_000}]}


@pytest.fixture
def keys(tmp_path) -> EncryptionKeys:
    folder = EncryptionKeys(tmp_path)
    for org in (PROVIDER, REQUESTER, "hub"):
        folder.ensure(org)
        folder.signing.private_key(org)  # each organisation's signing key, as on first start
    return folder


def sealed(keys: EncryptionKeys, **changes: str) -> str:
    bound = {"signer": PROVIDER, "recipient": REQUESTER, "exchange_id": "e1"} | changes
    return seal_signed(keys, INCOME, procedure="child_allowance_claim", **bound)


def opened(keys: EncryptionKeys, token: str, **changes: str) -> object:
    expected = {
        "recipient": REQUESTER,
        "signer": PROVIDER,
        "exchange_id": "e1",
        "procedure": "child_allowance_claim",
    } | changes
    return open_signed(keys, token, **expected)


def test_a_genuine_answer_opens(keys) -> None:
    assert opened(keys, sealed(keys)) == INCOME


def test_the_answer_is_a_jws_nested_in_a_jwe(keys) -> None:
    token = sealed(keys)
    obj = jwe.decrypt_compact(token, keys.private_key(REQUESTER))
    assert obj.protected["cty"] == "JWT" and obj.protected["kid"] == REQUESTER
    inner = jws.deserialize_compact(
        obj.plaintext or b"", keys.checker(PROVIDER), algorithms=["Ed25519"]
    )
    assert inner.protected["alg"] == "Ed25519" and inner.protected["kid"] == PROVIDER
    claims = json.loads(inner.payload)
    assert (claims["iss"], claims["aud"], claims["exchange"], claims["procedure"]) == (
        PROVIDER,
        REQUESTER,
        "e1",
        "child_allowance_claim",
    )


def test_an_unsigned_answer_is_refused(keys) -> None:
    # what anyone holding the requester's public key can make
    token = seal(keys, REQUESTER, INCOME, exchange_id="e1")
    with pytest.raises(InvalidInput, match="not signed") as refused:
        opened(keys, token)
    assert refused.value.code == "bad_answer_signature"


def test_an_answer_signed_by_the_hub_is_refused(keys) -> None:
    forged = sealed(keys, signer="hub")
    with pytest.raises(InvalidInput, match="signed by 'hub', not by tax"):
        opened(keys, forged)


def test_a_hub_signature_under_the_providers_name_does_not_verify(keys) -> None:
    claims = {
        "iss": PROVIDER,
        "aud": REQUESTER,
        "exchange": "e1",
        "procedure": "child_allowance_claim",
        "data": INCOME,
    }
    inner = jws.serialize_compact(
        {"alg": "Ed25519", "kid": PROVIDER},
        json.dumps(claims),
        keys.signer("hub"),
        algorithms=["Ed25519"],
    )
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT"}
    token = jwe.encrypt_compact(header, inner.encode(), keys.public_key(REQUESTER))
    with pytest.raises(InvalidInput, match="does not verify"):
        opened(keys, token)


def test_an_answer_for_another_exchange_is_refused(keys) -> None:
    with pytest.raises(InvalidInput, match="another exchange"):
        opened(keys, sealed(keys), exchange_id="e2")


def test_an_answer_for_another_procedure_is_refused(keys) -> None:
    with pytest.raises(InvalidInput, match="another procedure"):
        opened(keys, sealed(keys), procedure="self_information")


def test_an_answer_for_another_requester_is_refused(keys) -> None:
    # signed for the hub, then encrypted to us by someone who saw it
    token = sealed(keys, recipient="hub")
    obj = jwe.decrypt_compact(token, keys.private_key("hub"))
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "cty": "JWT"}
    moved = jwe.encrypt_compact(header, obj.plaintext or b"", keys.public_key(REQUESTER))
    with pytest.raises(InvalidInput, match="another party"):
        opened(keys, moved)


def test_an_unknown_signer_is_refused_and_gets_no_key(keys) -> None:
    with pytest.raises(InvalidInput, match="no signing key"):
        keys.checker("nobody")
    assert not keys.signing.knows("nobody")


def test_a_hub_answer_names_the_organisation_of_the_kind_asked(keys) -> None:
    token = sealed(keys, signer="municipality-131016", recipient="tax")
    answer = {"exchange_id": "e1", "provider": "municipality-131016", "jwe": token}
    data = open_answer(
        keys, answer, requester="tax", provider="municipality", procedure="child_allowance_claim"
    )
    assert data == INCOME
    with pytest.raises(InvalidInput, match="'pension' was asked"):
        open_answer(
            keys, answer, requester="tax", provider="pension", procedure="child_allowance_claim"
        )
