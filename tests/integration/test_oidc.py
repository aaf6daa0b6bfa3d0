"""Log in with Mynaportal (OpenID Connect), driven by an independent relying party:
``requests-oauthlib`` does discovery, the code flow with PKCE S256, state and the token
exchange; ``pyjwt`` checks the ID token against the JWKS; userinfo over HTTP. The portal runs
on a real socket (the RP library speaks ``requests``); the person logs in with a test card
through the phone app's code and answers the consent page like a browser.
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import requests
import uvicorn
from asn1crypto.core import load as asn1_load
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from joserfc import jwe
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError
from requests_oauthlib import OAuth2Session
from sqlalchemy import select

from mynumber import errors, federation
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.contract import authorize_sign_transaction
from mynumber.cli.phone import approve, sign, sign_request
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.settings import Settings
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import JPKIClient, KeyKind, PinIncorrect, PinRef

POSTGRES_URL = os.environ.get(
    "MYNUMBER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
AUTH_PIN = "1234"  # demo values
SIGN_PASSWORD = "ABC123"
BANK_CB = "https://bank.example/callback"
SHOP_CB = "https://shop.example/cb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fed(tmp_path_factory, database_kind, drop_databases) -> Iterator[federation.Federation]:
    """The federation in-process, its root app also served on a free port (the RP's side)."""
    port = _free_port()
    values: dict[str, Any] = {
        "data_dir": tmp_path_factory.mktemp("oidc-data"),
        "seed_residents": 0,
        "port": port,
        "login_rate_per_minute": 0,  # every browser here is 127.0.0.1 (see make_settings)
    }
    if database_kind == "postgres":
        values["database_url"] = POSTGRES_URL
        values["database_prefix"] = f"mnt_{secrets.token_hex(4)}"
    settings = Settings(**values)
    built = federation.build(settings, in_process=True)
    server = uvicorn.Server(
        uvicorn.Config(built.root, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield built
    server.should_exit = True
    thread.join(timeout=10)
    built.close()
    if settings.database_url:
        drop_databases(settings.database_url, settings.database_prefix)


@pytest.fixture(scope="module", autouse=True)
def _plain_http_for_the_loopback(fed) -> Iterator[None]:
    """oauthlib insists on https; the test server is on 127.0.0.1 (http)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def base(fed) -> str:
    return fed.settings.base_url


@pytest.fixture(scope="module")
def discovery(base) -> dict[str, Any]:
    answer = requests.get(f"{base}/portal/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    return dict(answer.json())


@pytest.fixture(scope="module")
def provider(fed):
    return fed.portal().oidc


@pytest.fixture(scope="module")
def work(fed) -> UnitOfWork:
    """A unit of work on the portal's database, for calling its services directly."""
    return UnitOfWork(fed.portal().engine)


def register(
    provider, work: UnitOfWork, name: str, uri: str, *, public: bool = False
) -> dict[str, Any]:
    made = provider.clients.add(work, name=name, redirect_uris=[uri], public=public)
    return {"client_id": made.client.client_id, "secret": made.secret, "redirect_uri": uri}


@pytest.fixture(scope="module")
def bank(provider, work) -> dict[str, Any]:
    return register(provider, work, "みらい銀行 (Mirai Bank)", BANK_CB)


@pytest.fixture(scope="module")
def shop(provider, work) -> dict[str, Any]:
    return register(provider, work, "さくら商店 (Sakura Shop)", SHOP_CB, public=True)


def issue(http: httpx.Client, fed, generation: int = 1) -> JPKIClient:
    """A new adult resident of 千代田区 with a card (of ``generation``), enrolled on the
    linkage network; the JPKI client talks to its chip."""
    body = {
        "family_name": "連携",
        "given_name": "花子",
        "family_name_kana": "レンケイ",
        "given_name_kana": "ハナコ",
        "birth_date": "1985-06-15",
        "sex": "2",
        "address": f"東京都千代田区丸の内1丁目{secrets.randbelow(10**6)}番"
        f"{secrets.randbelow(10**6)}号",
    }
    resident = http.post("/municipality/131016/api/residents", json=body)
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/131016/api/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD, "generation": generation},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(answer.json()["card_image"].encode(), seal_key=seal)
    return JPKIClient(ChipTransport(chip))


@pytest.fixture(scope="module")
def card(fed, http) -> JPKIClient:
    return issue(http, fed)


@pytest.fixture(scope="module")
def other_card(fed, http) -> JPKIClient:
    return issue(http, fed)


@pytest.fixture
def pc(base) -> Iterator[httpx.Client]:
    """The person's browser: its own cookies, redirects looked at one by one."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        yield client


def rp_session(client: dict[str, Any], scope: str = "openid") -> OAuth2Session:
    return OAuth2Session(
        client["client_id"], redirect_uri=client["redirect_uri"], scope=scope.split(), pkce="S256"
    )


def log_in_for(pc: httpx.Client, http: httpx.Client, card: JPKIClient, login_url: str) -> str:
    """The portal's login page (reached from the authorization endpoint), completed by the
    phone app with the card; returns where the page sends the browser next."""
    page = pc.get(login_url)
    assert page.status_code == 200
    found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
    next_url = re.search(r'data-next="([^"]+)"', page.text)
    assert found is not None and next_url is not None
    approve(http, found.group(2), card, pin=AUTH_PIN)
    status = pc.get("/portal/login/status", params={"id": found.group(1)})
    assert status.json()["state"] == "done"
    return next_url.group(1).replace("&amp;", "&")


def to_consent(
    pc: httpx.Client, http: httpx.Client, card: JPKIClient, authorization_url: str
) -> httpx.Response:
    """Follow the RP's authorization URL to the consent page (logging in when needed)."""
    answer = pc.get(authorization_url)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    if location.startswith("/portal/login"):
        assert "oidc=" in location
        location = log_in_for(pc, http, card, location)
    assert location.startswith("/portal/oidc/consent?request=")
    return pc.get(location)


def consent_form(page: httpx.Response) -> dict[str, str]:
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert csrf is not None and request_id is not None
    return {"csrf": csrf.group(1), "request": request_id.group(1)}


def authorize(
    pc: httpx.Client,
    http: httpx.Client,
    card: JPKIClient,
    rp: OAuth2Session,
    discovery: dict[str, Any],
    *,
    decision: str = "allow",
    **extra: str,
) -> tuple[str, str, str]:
    """The front channel: returns (callback URL with code or error, state, nonce)."""
    nonce = secrets.token_urlsafe(16)
    url, state = rp.authorization_url(discovery["authorization_endpoint"], nonce=nonce, **extra)
    page = to_consent(pc, http, card, url)
    if page.status_code == 303:  # consent remembered: straight back to the RP
        return page.headers["location"], state, nonce
    answer = pc.post("/portal/oidc/consent", data={**consent_form(page), "decision": decision})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"], state, nonce


def fetch_token(rp: OAuth2Session, client: dict[str, Any], discovery, callback: str) -> dict:
    if client["secret"] is None:
        return dict(
            rp.fetch_token(
                discovery["token_endpoint"], authorization_response=callback, include_client_id=True
            )
        )
    return dict(
        rp.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback,
            client_secret=client["secret"],
        )
    )


def verify_id_token(id_token: str, client: dict[str, Any], discovery, nonce: str) -> dict:
    """What a relying party does: the signature against the JWKS, iss, aud, exp, nonce."""
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(
        id_token,
        key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=client["client_id"],
        issuer=discovery["issuer"],
    )
    assert claims["nonce"] == nonce
    return dict(claims)


def sign_in(pc, http, card, client, discovery, scope: str = "openid") -> dict[str, Any]:
    """The whole flow as a relying party runs it; returns tokens, ID token claims, userinfo."""
    rp = rp_session(client, scope)
    callback, state, nonce = authorize(pc, http, card, rp, discovery)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = fetch_token(rp, client, discovery, callback)
    claims = verify_id_token(token["id_token"], client, discovery, nonce)
    info = rp.get(discovery["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200, info.text
    return {"token": token, "claims": claims, "userinfo": info.json(), "callback": callback}


def code_of(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["code"][0]


# --- discovery and keys -------------------------------------------------------------------


def test_discovery_names_the_endpoints_and_the_jwks_holds_the_signing_key(base, discovery):
    assert discovery["issuer"] == f"{base}/portal"
    for name in ("authorization", "token", "userinfo"):
        assert discovery[f"{name}_endpoint"].startswith(f"{base}/portal/oidc/")
    assert discovery["subject_types_supported"] == ["pairwise"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "profile_basic4" in discovery["scopes_supported"]
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["kid"]
    assert "d" not in keys[0] and "p" not in keys[0]  # public only


# --- the flow -----------------------------------------------------------------------------


def test_a_confidential_client_signs_a_person_in_with_pkce_and_nonce(
    fed, http, pc, card, bank, discovery
):
    done = sign_in(pc, http, card, bank, discovery)
    claims, info = done["claims"], done["userinfo"]
    assert claims["sub"] == info["sub"] and set(info) == {"sub"}
    assert claims["aud"] == bank["client_id"] or claims["aud"] == [bank["client_id"]]
    assert claims["amr"] == ["hwk", "pin"] and "auth_time" in claims
    header = jwt.get_unverified_header(done["token"]["id_token"])
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    assert header["alg"] == "RS256" and header["kid"] == keys[0]["kid"]
    # the portal's own code for the person is not what the bank sees
    with fed.services("portal").engine.connect() as conn:
        codes = set(conn.scalars(select(portal_store.accounts.c.portal_code)))
    assert claims["sub"] not in codes
    # codes and tokens are kept only as hashes
    with fed.services("portal").engine.connect() as conn:
        kept = set(conn.scalars(select(portal_store.oidc_codes.c.code_hash)))
        tokens = set(conn.scalars(select(portal_store.oidc_tokens.c.token_hash)))
    assert code_of(done["callback"]) not in kept
    assert done["token"]["access_token"] not in tokens


def test_a_public_client_signs_in_with_pkce_and_no_secret(http, pc, card, shop, discovery):
    done = sign_in(pc, http, card, shop, discovery)
    assert done["userinfo"]["sub"] == done["claims"]["sub"]


def test_a_generation_2_card_signs_a_person_in(fed, http, pc, shop, discovery):
    """The next-generation card (P-384, the auth-g2 hierarchy) logs in the same way."""
    g2 = issue(http, fed, generation=2)
    assert g2.generation == 2
    done = sign_in(pc, http, g2, shop, discovery)
    assert done["userinfo"]["sub"] == done["claims"]["sub"]
    assert done["claims"]["amr"] == ["hwk", "pin"]


def test_sub_is_pairwise_a_bank_and_a_shop_cannot_correlate_one_person(
    http, pc, card, other_card, bank, shop, discovery
):
    at_bank = sign_in(pc, http, card, bank, discovery)["claims"]["sub"]
    at_shop = sign_in(pc, http, card, shop, discovery)["claims"]["sub"]
    again_at_bank = sign_in(pc, http, card, bank, discovery)["claims"]["sub"]
    assert at_bank != at_shop
    assert again_at_bank == at_bank  # stable per relying party
    with httpx.Client(base_url=pc.base_url, follow_redirects=False) as someone_else:
        theirs = sign_in(someone_else, http, other_card, bank, discovery)["claims"]["sub"]
    assert theirs != at_bank


def test_remembered_consent_goes_straight_back_to_the_service(http, pc, card, bank, discovery):
    sign_in(pc, http, card, bank, discovery)  # consents (or already had)
    rp = rp_session(bank)
    url, state = rp.authorization_url(discovery["authorization_endpoint"], nonce="n-remembered")
    consent = pc.get(pc.get(url).headers["location"])
    assert consent.status_code == 303
    assert consent.headers["location"].startswith(BANK_CB + "?code=")
    assert parse_qs(urlsplit(consent.headers["location"]).query)["state"] == [state]
    # prompt=consent asks again
    url, _ = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-prompt", prompt="consent"
    )
    asked = pc.get(pc.get(url).headers["location"])
    assert asked.status_code == 200 and "同意する" in asked.text


# --- refusals -----------------------------------------------------------------------------


def test_an_unknown_client_is_told_to_the_person_not_redirected(pc, discovery):
    rp = rp_session({"client_id": "rp_nobody", "redirect_uri": BANK_CB})
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n")
    answer = pc.get(url)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "invalid_client" in answer.text
    # the person reads what it means, in Japanese and English, not the library's message
    assert "このサービスはマイナポータルに登録されていません" in answer.text
    assert "This service is not registered with Mynaportal" in answer.text


def test_an_oversized_request_is_refused_and_not_kept(pc, bank, discovery):
    rp = rp_session(bank)
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n" * 5000)
    answer = pc.get(url)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "too long" in answer.text


def test_an_unregistered_redirect_uri_is_never_redirected_to(pc, bank, discovery):
    rp = rp_session({**bank, "redirect_uri": "https://evil.example/steal"})
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n")
    answer = pc.get(url)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "evil.example" not in answer.headers.get("location", "")


def test_pkce_is_required_even_of_a_confidential_client(pc, bank, discovery):
    plain = OAuth2Session(bank["client_id"], redirect_uri=BANK_CB, scope=["openid"])
    url, state = plain.authorization_url(discovery["authorization_endpoint"], nonce="n")
    answer = pc.get(url)
    assert answer.status_code == 303
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.headers["location"].startswith(BANK_CB)
    assert back["error"] == ["invalid_request"] and back["state"] == [state]
    # and plain (not S256) is refused too
    url, _ = plain.authorization_url(
        discovery["authorization_endpoint"],
        nonce="n",
        code_challenge="a" * 43,
        code_challenge_method="plain",
    )
    back = parse_qs(urlsplit(pc.get(url).headers["location"]).query)
    assert back["error"] == ["invalid_request"]


def test_a_wrong_pkce_verifier_gets_no_token(http, pc, card, bank, discovery):
    rp = rp_session(bank)
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": BANK_CB,
            "code_verifier": "x" * 50,
        },
        auth=(bank["client_id"], bank["secret"]),
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    # no verifier at all
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": BANK_CB,
        },
        auth=(bank["client_id"], bank["secret"]),
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] in {
        "invalid_request",
        "invalid_grant",
    }


def test_a_code_is_bound_to_its_client_and_redirect_uri(
    http, pc, card, bank, shop, provider, discovery
):
    rp = rp_session(bank)
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    # the shop presents the bank's code: no
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": SHOP_CB,
            "client_id": shop["client_id"],
            "code_verifier": rp._code_verifier,
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    # the bank with another redirect_uri: no
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": "https://bank.example/other",
            "code_verifier": rp._code_verifier,
        },
        auth=(bank["client_id"], bank["secret"]),
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    # a wrong secret: no
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": BANK_CB,
            "code_verifier": rp._code_verifier,
        },
        auth=(bank["client_id"], "not-the-secret"),
        timeout=10,
    )
    assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"


def test_a_code_used_twice_is_refused_and_revokes_what_it_gave(http, pc, card, bank, discovery):
    rp = rp_session(bank)
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    token = fetch_token(rp, bank, discovery, callback)
    assert rp.get(discovery["userinfo_endpoint"], timeout=10).status_code == 200
    replay = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code_of(callback),
            "redirect_uri": BANK_CB,
            "code_verifier": rp._code_verifier,
        },
        auth=(bank["client_id"], bank["secret"]),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    revoked = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_a_code_expires_after_sixty_seconds(http, pc, card, bank, provider, discovery):
    rp = rp_session(bank)
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    real = provider.clock
    provider.clock = lambda: real() + dt.timedelta(seconds=61)
    try:
        with pytest.raises(Exception) as refused:
            fetch_token(rp, bank, discovery, callback)
    finally:
        provider.clock = real
    assert "invalid_grant" in str(refused.value)


def test_a_tampered_state_is_caught_by_the_relying_party(http, pc, card, bank, discovery):
    rp = rp_session(bank)
    callback, state, _ = authorize(pc, http, card, rp, discovery)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]  # echoed exactly
    tampered = callback.replace(f"state={state}", "state=forged")
    with pytest.raises(MismatchingStateError):
        fetch_token(rp, bank, discovery, tampered)
    # and a tampered request id on the consent form finds nothing to answer
    url, _ = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-tamper", prompt="consent"
    )
    form = consent_form(to_consent(pc, http, card, url))
    answer = pc.post(
        "/portal/oidc/consent",
        data={**form, "request": form["request"][:-2] + "xx", "decision": "allow"},
    )
    assert answer.status_code == 404 and "location" not in answer.headers


def test_consent_denied_sends_access_denied_to_the_service(http, pc, card, shop, discovery):
    rp = rp_session(shop)
    callback, state, _ = authorize(pc, http, card, rp, discovery, decision="deny", prompt="consent")
    assert callback.startswith(SHOP_CB)
    back = parse_qs(urlsplit(callback).query)
    assert back["error"] == ["access_denied"] and back["state"] == [state]
    assert "code" not in back


def test_the_consent_form_needs_its_csrf_token(http, pc, card, bank, discovery):
    rp = rp_session(bank)
    url, _ = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-csrf", prompt="consent"
    )
    form = consent_form(to_consent(pc, http, card, url))
    missing = pc.post(
        "/portal/oidc/consent", data={"request": form["request"], "decision": "allow"}
    )
    assert missing.status_code == 403 and "location" not in missing.headers
    wrong = pc.post(
        "/portal/oidc/consent",
        data={"request": form["request"], "decision": "allow", "csrf": "forged"},
    )
    assert wrong.status_code == 403
    # the request is still there for the real form, and is answered once only
    real = pc.post("/portal/oidc/consent", data={**form, "decision": "allow"})
    assert real.status_code == 303 and "code=" in real.headers["location"]
    again = pc.post("/portal/oidc/consent", data={**form, "decision": "allow"})
    assert again.status_code == 404 and "location" not in again.headers


def test_withdrawn_consent_stops_the_services_token_at_userinfo(
    http, pc, card, bank, discovery, anonymous
):
    # without a session the services page sends the person to log in
    away = anonymous.get("/portal/oidc/services")
    assert away.status_code == 303 and away.headers["location"].startswith("/portal/login")
    rp = rp_session(bank)
    callback, _, _ = authorize(pc, http, card, rp, discovery, prompt="consent")
    token = fetch_token(rp, bank, discovery, callback)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(discovery["userinfo_endpoint"], headers=bearer, timeout=10).ok
    listed = pc.get("/portal/oidc/services")
    assert listed.status_code == 200 and bank["client_id"] in listed.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', listed.text)
    assert csrf is not None
    refused = pc.post(f"/portal/oidc/services/{bank['client_id']}/withdraw")
    assert refused.status_code == 403  # CSRF here too
    done = pc.post(
        f"/portal/oidc/services/{bank['client_id']}/withdraw", data={"csrf": csrf.group(1)}
    )
    assert done.status_code == 303
    after = requests.get(discovery["userinfo_endpoint"], headers=bearer, timeout=10)
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"
    assert bank["client_id"] not in pc.get("/portal/oidc/services").text
    # the next sign-in asks again
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n-after")
    assert to_consent(pc, http, card, url).status_code == 200


def test_userinfo_refuses_a_missing_or_unknown_token(discovery):
    none = requests.get(discovery["userinfo_endpoint"], timeout=10)
    assert none.status_code == 401
    forged = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": "Bearer forged"}, timeout=10
    )
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"


def test_a_nonce_is_required_and_good_for_one_sign_in(http, pc, card, bank, discovery):
    rp = rp_session(bank)
    url, state = rp.authorization_url(discovery["authorization_endpoint"])
    back = parse_qs(urlsplit(pc.get(url).headers["location"]).query)
    assert back["error"] == ["invalid_request"] and back["state"] == [state]
    callback, _, nonce = authorize(pc, http, card, rp, discovery, prompt="consent")
    assert "code=" in callback
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce=nonce)
    answer = pc.get(url)
    assert answer.headers["location"].startswith(BANK_CB)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]


def test_prompt_none_without_consent_answers_consent_required(
    http, pc, card, provider, work, discovery
):
    newcomer = register(provider, work, "はじめて書店 (First Books)", "https://books.example/cb")
    rp = rp_session(newcomer)
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n-first")
    form = consent_form(to_consent(pc, http, card, url))  # logs in; consent not given
    assert form["request"]
    url, state = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-none", prompt="none"
    )
    consent = pc.get(pc.get(url).headers["location"])
    assert consent.status_code == 303
    back = parse_qs(urlsplit(consent.headers["location"]).query)
    assert consent.headers["location"].startswith("https://books.example/cb")
    assert back["error"] == ["consent_required"] and back["state"] == [state]


# --- the four basic items, proven by the signing key ---------------------------------------

NAME, BIRTH, GENDER, ADDRESS = (f"1.2.392.200149.8.5.5.{n}" for n in (1, 4, 3, 5))


def release_with(
    pc,
    http,
    card,
    signer,
    rp,
    discovery,
    scope: str = "profile_basic4",
    items: str = "氏名・住所・生年月日・性別",
) -> tuple[httpx.Response, str, str]:
    """Ask for ``scope`` (the rp's), allow, sign the release of ``items`` on the phone with
    ``signer``'s card; returns the answer of the page the signing page continues to, the
    state and nonce."""
    nonce = secrets.token_urlsafe(16)
    url, state = rp.authorization_url(discovery["authorization_endpoint"], nonce=nonce)
    page = to_consent(pc, http, card, url)
    assert f'data-scope="{scope}"' in page.text and "署名" in page.text
    asked = pc.post("/portal/oidc/consent", data={**consent_form(page), "decision": "allow"})
    assert asked.status_code == 303 and asked.headers["location"].startswith("/portal/sign/")
    waiting = pc.get(asked.headers["location"])
    assert waiting.status_code == 200
    code = re.search(r'id="code">([A-Z0-9]{4})-([A-Z0-9]{4})<', waiting.text)
    assert code is not None
    shown = sign_request(http, code.group(1) + code.group(2))
    assert f"{items}（" in shown["summary"]
    # too early: the release page sends the browser back to wait for the phone
    early = pc.get(f"/portal/oidc/release?request={consent_form(page)['request']}")
    assert early.status_code == 303 and early.headers["location"].startswith("/portal/sign/")
    # the phone signs in a thread of its own: pyHanko runs its own event loop, and the test
    # process may already have one running (Playwright's, when browser tests ran first)
    with ThreadPoolExecutor(1) as phone:
        phone.submit(
            sign, http, code.group(1) + code.group(2), signer, password=SIGN_PASSWORD
        ).result()
    status = pc.get(asked.headers["location"] + "/status").json()
    assert status["state"] == "signed" and status["next"].startswith("/portal/oidc/release?")
    return pc.get(status["next"]), state, nonce


def other_names(cert_der: bytes) -> dict[str, str]:
    """The SAN otherNames of a certificate, decoded with asn1crypto (not the portal's code)."""
    cert = x509.load_der_x509_certificate(cert_der)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {
        general.type_id.dotted_string: asn1_load(general.value).native
        for general in san
        if isinstance(general, x509.OtherName)
    }


def test_the_four_basic_items_come_with_a_jpki_proof_the_service_checks_itself(
    fed, http, pc, card, bank, base, discovery, tmp_path
):
    rp = rp_session(bank, "openid profile_basic4")
    back, state, nonce = release_with(pc, http, card, card, rp, discovery)
    assert back.status_code == 303, back.text
    assert back.headers["location"].startswith(BANK_CB + "?code=")
    assert parse_qs(urlsplit(back.headers["location"]).query)["state"] == [state]
    token = fetch_token(rp, bank, discovery, back.headers["location"])
    claims = verify_id_token(token["id_token"], bank, discovery, nonce)
    info = rp.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert info["sub"] == claims["sub"]
    assert info["name"] == "連携\u3000花子" and info["birthdate"] == "1985-06-15"
    assert info["gender"] == "female" and info["address"].startswith("東京都千代田区丸の内")

    # the bank checks the proof with tools of its own: the statement names it and its nonce
    statement = base64.b64decode(info["jpki_statement"])
    said = json.loads(statement)
    assert said["client_id"] == bank["client_id"] and said["nonce"] == nonce
    assert said["iss"] == discovery["issuer"]
    assert set(said["claims"]) == {"name", "address", "birthdate", "gender"}
    # openssl verifies the CMS over exactly those bytes, chained to J-LIS's signing root
    (tmp_path / "statement.json").write_bytes(statement)
    (tmp_path / "sig.der").write_bytes(base64.b64decode(info["jpki_signature"]))
    (tmp_path / "ca.pem").write_bytes(requests.get(f"{base}/jlis/ca/sign.pem", timeout=10).content)
    cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any"]
    files = ["-in", "sig.der", "-content", "statement.json", "-CAfile", "ca.pem"]
    verified = subprocess.run(
        [*cmd, *files, "-out", "/dev/null"], cwd=tmp_path, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stderr
    changed = statement.replace(bank["client_id"].encode(), b"rp_someone_else")
    (tmp_path / "statement.json").write_bytes(changed)
    forged = subprocess.run(
        [*cmd, *files, "-out", "/dev/null"], cwd=tmp_path, capture_output=True, text=True
    )
    assert forged.returncode != 0
    # and the claims are what the signing certificate states
    names = other_names(base64.b64decode(info["jpki_sign_cert"]))
    assert names[NAME] == info["name"] and names[ADDRESS] == info["address"]
    assert names[BIRTH][1:] == info["birthdate"].replace("-", "") and names[GENDER] == "2"
    # a sign-in without profile_basic4 releases none of it, consent or not
    plain = sign_in(pc, http, card, bank, discovery)
    assert set(plain["userinfo"]) == {"sub"} and plain["userinfo"]["sub"] == info["sub"]


def test_item_scopes_release_only_their_items_without_the_proof(http, pc, card, shop, discovery):
    rp = rp_session(shop, "openid name birthdate")
    back, _, nonce = release_with(
        pc, http, card, card, rp, discovery, scope="name", items="氏名・生年月日"
    )
    assert back.status_code == 303, back.text
    token = fetch_token(rp, shop, discovery, back.headers["location"])
    verify_id_token(token["id_token"], shop, discovery, nonce)
    info = rp.get(discovery["userinfo_endpoint"], timeout=10).json()
    # the certificate in the proof would show the address and sex: no proof, two items
    assert set(info) == {"sub", "name", "birthdate"}
    assert info["name"] == "連携\u3000花子" and info["birthdate"] == "1985-06-15"
    assert {"name", "address", "birthdate", "gender"} <= set(discovery["scopes_supported"])


def test_a_signature_with_another_persons_card_releases_nothing(
    http, pc, card, other_card, shop, discovery
):
    rp = rp_session(shop, "openid profile_basic4")
    back, _, _ = release_with(pc, http, card, other_card, rp, discovery)
    assert back.status_code == 403 and "location" not in back.headers
    assert "signer_not_account_holder" in back.text


def oidc_state(fed) -> dict[str, list[Any]]:
    """Everything the provider keeps about sign-ins: codes, tokens, consents, requests."""
    tables = {
        "codes": portal_store.oidc_codes,
        "tokens": portal_store.oidc_tokens,
        "consents": portal_store.oidc_consents,
        "requests": portal_store.oidc_requests,
    }
    with fed.services("portal").engine.connect() as conn:
        return {
            name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for name, table in tables.items()
        }


def test_a_forged_request_id_on_the_consent_form_is_404_and_creates_nothing(
    fed, http, pc, card, bank, discovery
):
    rp = rp_session(bank)
    url, _ = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-forged", prompt="consent"
    )
    form = consent_form(to_consent(pc, http, card, url))
    before = oidc_state(fed)

    for forged in (secrets.token_urlsafe(24), "", "../" + form["request"]):
        answer = pc.post(
            "/portal/oidc/consent", data={**form, "request": forged, "decision": "allow"}
        )
        assert answer.status_code in (404, 422), answer.text
        assert "location" not in answer.headers
    unknown = pc.post(
        "/portal/oidc/consent",
        data={**form, "request": secrets.token_urlsafe(24), "decision": "allow"},
    )
    assert unknown.status_code == 404 and "location" not in unknown.headers

    assert oidc_state(fed) == before


def test_a_consent_posted_for_another_persons_request_is_404_and_creates_nothing(
    fed, http, pc, card, other_card, bank, discovery, base
):
    rp = rp_session(bank)
    url, state = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-theirs", prompt="consent"
    )
    theirs = consent_form(to_consent(pc, http, card, url))  # bound to the card's holder
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as intruder:
        mine_url, _ = rp.authorization_url(
            discovery["authorization_endpoint"], nonce="n-mine", prompt="consent"
        )
        mine = consent_form(to_consent(intruder, http, other_card, mine_url))
        before = oidc_state(fed)

        for decision in ("allow", "deny"):
            posted = intruder.post(
                "/portal/oidc/consent",
                data={"csrf": mine["csrf"], "request": theirs["request"], "decision": decision},
            )
            assert posted.status_code == 404, posted.text
            assert "location" not in posted.headers
        page = intruder.get("/portal/oidc/consent", params={"request": theirs["request"]})
        assert page.status_code == 404

        assert oidc_state(fed) == before
    # the holder's own request is untouched and still answered by the holder
    answer = pc.post("/portal/oidc/consent", data={**theirs, "decision": "allow"})
    assert answer.status_code == 303, answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [state] and back["code"]


def test_a_request_opened_in_another_browser_gives_no_code_even_to_someone_who_consented(
    fed, http, pc, card, other_card, bank, discovery, base
):
    """The party that starts a request cannot hand its consent URL to someone else: their
    browser, logged in and having allowed the service before, gets an error page and no
    code, and the request stays the first browser's."""
    sign_in(pc, http, card, bank, discovery)  # the victim has allowed the bank before
    rp = rp_session(bank)
    url, _ = rp.authorization_url(discovery["authorization_endpoint"], nonce="n-lure")
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as starter:
        started = starter.get(url)  # not logged in: sent to the login page
        assert started.status_code == 303, started.text
        request_id = parse_qs(urlsplit(started.headers["location"]).query)["oidc"][0]
        lure = f"/portal/oidc/consent?request={request_id}"
        before = oidc_state(fed)

        opened = pc.get(lure)

        assert opened.status_code == 403, opened.text
        assert "location" not in opened.headers
        assert "別のブラウザー" in opened.text and "code=" not in opened.text
        assert oidc_state(fed) == before  # no code, and the request is bound to nobody

        # the browser that started it still finishes it, as whoever logs in there
        location = log_in_for(starter, http, other_card, started.headers["location"])
        assert location == lure
        finished = starter.get(location)  # the consent page, or back if allowed before
        assert finished.status_code == 200 or finished.headers["location"].startswith(
            BANK_CB + "?code="
        ), finished.text


def test_the_consent_answer_and_the_release_also_need_the_starting_browser(
    fed, http, pc, card, bank, discovery
):
    rp = rp_session(bank)
    url, _ = rp.authorization_url(
        discovery["authorization_endpoint"], nonce="n-answer", prompt="consent"
    )
    form = consent_form(to_consent(pc, http, card, url))
    cookie = f"oidc_{form['request']}"
    assert cookie in pc.cookies
    held = pc.cookies[cookie]
    pc.cookies.delete(cookie)
    before = oidc_state(fed)

    answer = pc.post("/portal/oidc/consent", data={**form, "decision": "allow"})
    assert answer.status_code == 403 and "location" not in answer.headers
    release = pc.get("/portal/oidc/release", params={"request": form["request"]})
    assert release.status_code == 403 and "location" not in release.headers
    pc.cookies.set(cookie, held + "0", path="/portal/oidc")
    forged = pc.post("/portal/oidc/consent", data={**form, "decision": "allow"})
    assert forged.status_code == 403
    assert oidc_state(fed) == before

    pc.cookies.delete(cookie)
    pc.cookies.set(cookie, held, path="/portal/oidc")
    allowed = pc.post("/portal/oidc/consent", data={**form, "decision": "allow"})
    assert allowed.status_code == 303 and "code=" in allowed.headers["location"]


# --- private_key_jwt and sign transactions (the デジタル認証アプリ-style API) ----------------

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SECURITIES_CB = "https://securities.example/cb"
JWE_REGISTRY = JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])


@pytest.fixture(scope="module")
def securities(http) -> dict[str, Any]:
    """A private_key_jwt client: its key pair made by the RP, the public half registered by
    the portal's operator through the API."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    made = http.post(
        "/portal/api/oidc/clients",
        json={
            "name": "ひかり証券 (Hikari Securities)",
            "redirect_uris": [SECURITIES_CB],
            "jwk": public_jwk,
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["client_secret"] is None
    assert made.json()["token_endpoint_auth_method"] == "private_key_jwt"
    return {
        "client_id": made.json()["client_id"],
        "secret": None,
        "key": key,
        "redirect_uri": SECURITIES_CB,
    }


def client_assertion(client: dict[str, Any], audience: str, key: Any = None, **over: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": client["client_id"],
        "sub": client["client_id"],
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        **over,
    }
    return jwt.encode(claims, key or client["key"], algorithm="RS256")


def code_for(pc, http, card, client, discovery, scope: str) -> tuple[OAuth2Session, str]:
    rp = rp_session(client, scope)
    callback, _, _ = authorize(pc, http, card, rp, discovery)
    return rp, callback


def token_by_assertion(rp: OAuth2Session, discovery, callback: str, assertion: str) -> dict:
    return dict(
        rp.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback,
            include_client_id=True,
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
    )


def test_a_private_key_jwt_client_signs_with_the_persons_card_and_opens_the_jwe(
    http, pc, base, card, securities, discovery
):
    assert "private_key_jwt" in discovery["token_endpoint_auth_methods_supported"]
    assert "sign" in discovery["scopes_supported"]
    rp, callback = code_for(pc, http, card, securities, discovery, "openid sign")
    token = token_by_assertion(
        rp, discovery, callback, client_assertion(securities, discovery["token_endpoint"])
    )
    assert "sign" in token["scope"]
    document = "口座開設申込書 (demo)".encode()
    created = rp.post(
        f"{base}/portal/sign-transactions",
        json={"hash": base64.b64encode(hashlib.sha256(document).digest()).decode()},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    tx_id = created.json()["sign_transaction_id"]
    assert rp.get(f"{base}/portal/sign-transactions/{tx_id}/result", timeout=10).status_code == 409
    with httpx.Client(base_url=base, timeout=30) as device:  # the person's phone
        done = authorize_sign_transaction(device, card, tx_id, password=SIGN_PASSWORD)
    assert done == {"id": tx_id, "status": "signed"}
    got = rp.get(f"{base}/portal/sign-transactions/{tx_id}/result", timeout=10)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/jose")
    private = RSAKey.import_key(
        securities["key"].private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    payload = json.loads(jwe.decrypt_compact(got.text, private, registry=JWE_REGISTRY).plaintext)
    cert = x509.load_der_x509_certificate(base64.b64decode(payload["certificate"]))
    root = x509.load_der_x509_certificate(base64.b64decode(payload["certificate_chain"][0]))
    cert.verify_directly_issued_by(root)
    assert (
        root.public_bytes(Encoding.DER)
        == requests.get(f"{base}/jlis/ca/sign.der", timeout=10).content
    )
    cert.public_key().verify(  # type: ignore[union-attr]
        base64.b64decode(payload["signature"]), document, padding.PKCS1v15(), hashes.SHA256()
    )
    assert cert.public_bytes(Encoding.DER) == card.read_certificate(KeyKind.SIGN)
    with pytest.raises(Exception):  # noqa: B017 - another key cannot open it
        jwe.decrypt_compact(got.text, RSAKey.generate_key(2048), registry=JWE_REGISTRY)


def test_a_wrong_client_assertion_gets_no_token(http, pc, card, securities, discovery):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    endpoint = discovery["token_endpoint"]
    for bad in (
        client_assertion(securities, endpoint, key=other),  # not the registered key
        client_assertion(securities, "https://elsewhere.example/token"),  # another audience
        client_assertion(securities, endpoint, exp=int(time.time()) - 5),  # expired
        client_assertion(securities, endpoint, exp=int(time.time()) + 3600),  # lives too long
    ):
        rp, callback = code_for(pc, http, card, securities, discovery, "openid sign")
        with pytest.raises(Exception) as refused:
            token_by_assertion(rp, discovery, callback, bad)
        assert "invalid_client" in str(refused.value) or "invalid_grant" in str(refused.value)
    # a good assertion works once; its replay is refused
    good = client_assertion(securities, endpoint)
    rp, callback = code_for(pc, http, card, securities, discovery, "openid sign")
    token_by_assertion(rp, discovery, callback, good)
    rp, callback = code_for(pc, http, card, securities, discovery, "openid sign")
    with pytest.raises(Exception, match="invalid_client"):
        token_by_assertion(rp, discovery, callback, good)
    # nor may this client fall back to having no authentication at all
    rp, callback = code_for(pc, http, card, securities, discovery, "openid sign")
    with pytest.raises(Exception, match="invalid_client"):
        rp.fetch_token(endpoint, authorization_response=callback, include_client_id=True)


def test_a_token_without_sign_creates_no_transaction(http, pc, base, card, securities, discovery):
    rp, callback = code_for(pc, http, card, securities, discovery, "openid")
    token_by_assertion(
        rp, discovery, callback, client_assertion(securities, discovery["token_endpoint"])
    )
    body = {"hash": base64.b64encode(hashlib.sha256(b"x").digest()).decode()}
    refused = rp.post(f"{base}/portal/sign-transactions", json=body, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    anonymous = requests.post(f"{base}/portal/sign-transactions", json=body, timeout=10)
    assert anonymous.status_code == 401


def test_a_wrong_password_or_a_revoked_certificate_signs_nothing(
    http, pc, base, fed, securities, discovery
):
    holder = issue(http, fed)
    rp, callback = code_for(pc, http, holder, securities, discovery, "openid sign")
    token_by_assertion(
        rp, discovery, callback, client_assertion(securities, discovery["token_endpoint"])
    )
    body = {"hash": base64.b64encode(hashlib.sha256(b"y").digest()).decode()}
    tx_id = rp.post(f"{base}/portal/sign-transactions", json=body, timeout=10).json()[
        "sign_transaction_id"
    ]
    with httpx.Client(base_url=base, timeout=30) as device:
        with pytest.raises(PinIncorrect):
            authorize_sign_transaction(device, holder, tx_id, password="WRONG99")
        holder.verify_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)  # the signing certificate is read
        serial = x509.load_der_x509_certificate(holder.read_certificate(KeyKind.SIGN)).serial_number
        revoked = http.post(
            f"/jlis/certificates/{serial:x}/revoke", json={"reason": "keyCompromise"}
        )
        assert revoked.status_code == 200, revoked.text
        with pytest.raises(errors.Unauthorized) as refused:
            authorize_sign_transaction(device, holder, tx_id, password=SIGN_PASSWORD)
        assert refused.value.code == "certificate_revoked"
        assert device.get(f"/portal/sign-transactions/{tx_id}").json()["status"] == "pending"
    assert rp.get(f"{base}/portal/sign-transactions/{tx_id}/result", timeout=10).status_code == 409


def test_a_private_key_jwt_client_too_needs_pkce_s256(pc, securities, discovery):
    plain = OAuth2Session(securities["client_id"], redirect_uri=SECURITIES_CB, scope=["openid"])
    for extra in ({}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"}):
        url, _ = plain.authorization_url(discovery["authorization_endpoint"], nonce="n", **extra)
        answer = pc.get(url)
        assert answer.status_code == 303 and answer.headers["location"].startswith(SECURITIES_CB)
        assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]
