"""Signed requests between organisations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mynumber.errors import Unauthorized
from mynumber.platform.signing import HEADER_SIGNATURE, HEADER_TIME, KeyFolder, RequestVerifier


@pytest.fixture
def keys(tmp_path: Path) -> KeyFolder:
    return KeyFolder(tmp_path / "keys")


def sign(keys: KeyFolder, org: str = "municipality-131016", body: bytes = b"{}") -> dict[str, str]:
    from mynumber.platform.signing import Identity

    return Identity(org, keys.private_key(org)).sign("POST", "/jlis/numbers", body)


def test_a_signed_request_names_its_sender(keys: KeyFolder) -> None:
    headers = sign(keys)
    org = RequestVerifier(keys).verify(
        method="POST", path="/jlis/numbers", headers=headers, body=b"{}"
    )
    assert org == "municipality-131016"


def test_keys_are_kept_as_demo_values_with_private_permissions(keys: KeyFolder) -> None:
    keys.private_key("jlis")
    path = keys.folder / "jlis.pem"
    assert path.read_bytes().startswith(b"# DEMO KEY")
    assert path.stat().st_mode & 0o077 == 0
    assert keys.public_key("jlis") == keys.public_key("jlis")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/jlis/numbers", b"{}"),
        ("POST", "/jlis/other", b"{}"),
        ("POST", "/jlis/numbers", b"[]"),
    ],
)
def test_any_change_breaks_the_signature(
    keys: KeyFolder, method: str, path: str, body: bytes
) -> None:
    with pytest.raises(Unauthorized) as caught:
        RequestVerifier(keys).verify(method=method, path=path, headers=sign(keys), body=body)
    assert caught.value.code == "bad_signature"


def test_a_replay_is_refused(keys: KeyFolder) -> None:
    verifier, headers = RequestVerifier(keys), sign(keys)
    verifier.verify(method="POST", path="/jlis/numbers", headers=headers, body=b"{}")
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(method="POST", path="/jlis/numbers", headers=headers, body=b"{}")
    assert caught.value.code == "replay"


def test_an_old_request_is_refused(keys: KeyFolder) -> None:
    headers = sign(keys)
    with pytest.raises(Unauthorized) as caught:
        RequestVerifier(keys).verify(
            method="POST", path="/jlis/numbers", headers=headers, body=b"{}", now=time.time() + 600
        )
    assert caught.value.code == "stale_request"


def test_unsigned_and_unknown_senders_are_refused(keys: KeyFolder) -> None:
    verifier = RequestVerifier(keys)
    with pytest.raises(Unauthorized, match="not signed"):
        verifier.verify(method="POST", path="/x", headers={}, body=b"")
    other = KeyFolder(keys.folder.parent / "elsewhere")
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(
            method="POST", path="/jlis/numbers", headers=sign(other, "intruder"), body=b"{}"
        )
    assert caught.value.code == "unknown_org"


def test_a_signature_by_another_key_for_a_known_name_is_refused(keys: KeyFolder) -> None:
    keys.private_key("municipality-131016")
    forged = sign(KeyFolder(keys.folder.parent / "forger"))
    with pytest.raises(Unauthorized):
        RequestVerifier(keys).verify(
            method="POST", path="/jlis/numbers", headers=forged, body=b"{}"
        )
    garbled = sign(keys) | {HEADER_SIGNATURE: "not base64!"}
    with pytest.raises(Unauthorized):
        RequestVerifier(keys).verify(
            method="POST", path="/jlis/numbers", headers=garbled, body=b"{}"
        )
    assert HEADER_TIME in garbled
