"""Sealed answers as large as a bulk exchange's open; other algorithms do not."""

from __future__ import annotations

import secrets

import pytest
from joserfc import jwe

from mynumber.errors import InvalidInput
from mynumber.platform.encryption import EncryptionKeys, open_sealed, open_signed, seal, seal_signed


@pytest.fixture
def keys(tmp_path) -> EncryptionKeys:
    folder = EncryptionKeys(tmp_path)
    folder.ensure("benefits")
    return folder


def test_an_answer_about_a_hundred_thousand_people_opens(keys) -> None:
    results = [{"number": f"{n:07d}", "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"} for n in range(100_000)]
    token = seal(keys, "benefits", {"results": results}, exchange_id="x")
    assert len(token) > 4 * 1024 * 1024
    assert open_sealed(keys, "benefits", token, exchange_id="x") == {"results": results}


def test_a_signed_answer_about_a_hundred_thousand_people_opens(keys) -> None:
    results = [{"number": f"{n:07d}", "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"} for n in range(100_000)]
    bound = {"exchange_id": "x", "procedure": "benefit_payment"}
    token = seal_signed(
        keys, {"results": results}, signer="accounts", recipient="benefits", **bound
    )
    assert len(token) > 4 * 1024 * 1024
    data = open_signed(keys, token, recipient="benefits", signer="accounts", **bound)
    assert data == {"results": results}


def test_a_token_with_another_algorithm_is_refused(keys) -> None:
    header = {"alg": "ECDH-ES", "enc": "A128GCM"}
    token = jwe.encrypt_compact(header, b'{"exchange": "", "data": 1}', keys.public_key("benefits"))
    with pytest.raises(InvalidInput):
        open_sealed(keys, "benefits", token)


def test_a_tampered_large_answer_is_refused(keys) -> None:
    token = seal(keys, "benefits", {"blob": secrets.token_hex(100_000)})
    parts = token.split(".")
    parts[3] = parts[3][:-8] + ("A" * 8 if not parts[3].endswith("A" * 8) else "B" * 8)
    with pytest.raises(InvalidInput):
        open_sealed(keys, "benefits", ".".join(parts))
