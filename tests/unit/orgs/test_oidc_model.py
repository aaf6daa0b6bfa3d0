"""The OpenID Connect provider's pure rules: pairwise sub, redirect URIs, sectors, scopes,
the release statement, secrets kept as hashes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.errors import InvalidInput
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.pki import BasicItems, Gender

KEY = bytes(range(32))


def test_pairwise_sub_is_the_documented_hmac():
    expected = hmac.new(KEY, b"mynaportal-oidc-sub\x00bank.example\x00abc123", hashlib.sha256)
    want = base64.urlsafe_b64encode(expected.digest()).rstrip(b"=").decode()
    assert oidc_model.pairwise_sub(KEY, "bank.example", "abc123") == want


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_pairwise_sub_differs_between_sectors_and_people(sector, person):
    sub = oidc_model.pairwise_sub(KEY, sector, person)
    assert sub == oidc_model.pairwise_sub(KEY, sector, person)
    assert sub != oidc_model.pairwise_sub(KEY, sector + "x", person)
    assert sub != oidc_model.pairwise_sub(KEY, sector, person + "x")
    assert sub != oidc_model.pairwise_sub(secrets.token_bytes(32), sector, person)
    assert len(sub) == 43 and "=" not in sub


@pytest.mark.parametrize(
    "uri",
    ["https://bank.example/cb", "http://127.0.0.1:9000/cb", "http://localhost/cb?x=1"],
)
def test_safe_redirect_uris_are_accepted(uri):
    assert oidc_model.check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://bank.example/cb",
        "https://bank.example/cb#f",
        "javascript:alert(1)",
        "https:///cb",
        "/relative",
        "https://bank.example/" + "a" * 600,
    ],
)
def test_unsafe_redirect_uris_are_refused(uri):
    with pytest.raises(InvalidInput):
        oidc_model.check_redirect_uri(uri)


def test_the_sector_is_the_one_host_or_given():
    uris = ["https://Bank.example/a", "https://bank.example/b"]
    assert oidc_model.sector_of(uris, "rp_1") == "bank.example"
    with pytest.raises(InvalidInput):
        oidc_model.sector_of(["https://a.example/cb", "https://b.example/cb"], "rp_1")
    assert oidc_model.sector_of(["https://a.example/cb"], "rp_1", "Group.Example") == (
        "group.example"
    )


def test_two_loopback_apps_are_sectors_of_their_own():
    uris = ["http://127.0.0.1:9000/cb", "http://localhost:9001/cb"]
    assert oidc_model.sector_of(uris, "rp_1") == "client:rp_1"
    assert oidc_model.sector_of(uris[:1], "rp_2") == "client:rp_2"


def test_scope_needs_openid_and_keeps_only_what_is_supported():
    assert oidc_model.allowed_scope("email profile") is None
    assert oidc_model.allowed_scope(None) is None
    assert oidc_model.allowed_scope("email openid") == "openid"
    assert oidc_model.allowed_scope("profile_basic4 openid") == "openid profile_basic4"


def test_the_release_statement_is_canonical_json_naming_party_nonce_and_claims():
    at = dt.datetime(2026, 11, 26, 1, 2, 3, tzinfo=dt.UTC)
    made = oidc_model.release_statement(
        issuer="http://127.0.0.1:8000/portal",
        client_id="rp_x",
        client_name="みらい銀行",
        nonce="n-1",
        at=at,
    )
    body = json.loads(made)
    assert body == {
        "type": "mynaportal-basic4-release",
        "iss": "http://127.0.0.1:8000/portal",
        "client_id": "rp_x",
        "client_name": "みらい銀行",
        "nonce": "n-1",
        "claims": ["name", "address", "birthdate", "gender"],
        "iat": int(at.timestamp()),
    }
    assert (
        made == json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )


def test_basic_items_become_openid_claims():
    items = BasicItems(
        name="試験\u3000花子",
        gender=Gender.FEMALE,
        birth_date=dt.date(1985, 6, 15),
        address="東京都千代田区丸の内1丁目1番1号",
    )
    assert oidc_model.basic4_claims(items) == {
        "name": "試験\u3000花子",
        "address": "東京都千代田区丸の内1丁目1番1号",
        "birthdate": "1985-06-15",
        "gender": "female",
    }
    assert oidc_model.gender_claim(Gender.NOT_APPLICABLE) == "not_applicable"


def test_a_secret_is_kept_only_as_its_hash():
    secret = oidc_model.new_secret()
    kept = oidc_model.hash_secret(secret)
    assert secret not in kept and len(kept) == 64
    assert oidc_model.check_secret(secret, kept)
    assert not oidc_model.check_secret(secret + "x", kept)
    assert not oidc_model.check_secret(secret, None)
