"""A sealed answer as large as a bulk exchange or an eligibility page opens (joserfc's
default registry refuses ciphertexts over 64 KiB), and a tampered one still does not."""

from __future__ import annotations

import pytest

from mynumber.errors import InvalidInput
from mynumber.platform.encryption import EncryptionKeys, open_sealed, seal


def test_a_sealed_payload_of_megabytes_opens_for_its_recipient_only(tmp_path):
    keys = EncryptionKeys(tmp_path)
    keys.ensure("benefits")
    keys.ensure("portal")
    payload = {"results": [{"bank_code": "0001", "number": f"{n:07d}"} for n in range(20_000)]}

    token = seal(keys, "benefits", payload, exchange_id="x")

    assert len(token) > 1_000_000
    assert open_sealed(keys, "benefits", token, exchange_id="x") == payload
    with pytest.raises(InvalidInput):
        open_sealed(keys, "portal", token, exchange_id="x")
    head, key, iv, body, tag = token.split(".")
    flipped = body[:100] + ("A" if body[100] != "A" else "B") + body[101:]
    with pytest.raises(InvalidInput):
        open_sealed(keys, "benefits", ".".join((head, key, iv, flipped, tag)), exchange_id="x")
