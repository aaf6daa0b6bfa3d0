"""One privacy scan after every resident-facing flow, in one federation: a card login,
わたしの情報 through the hub, an agency's notice, a public-fund account registered from the
portal, an e-application and an OpenID Connect sign-in — then every table of the hub's and the
portal's databases (and, on SQLite, the raw database files, free pages included) is searched
for every resident's My Number. Neither may hold one. And no organisation's API takes a
number in a URL. Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, inspect, text
from test_applications import start, status_of
from test_deliveries import agency_code, signed
from test_portal_login import issue, log_in
from test_portal_self_information import open_account

from mynumber.federation import INTERNAL_BASE
from mynumber.platform.http import InProcessTransport
from mynumber.platform.signing import KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
API = f"/municipality/{CHIYODA}/api"
CALLBACK = "https://shop.example/callback"


def every_my_number(fed: Any) -> set[str]:
    """Every My Number the municipalities hold, current and retired."""
    numbers: set[str] = set()
    for code in fed.settings.municipalities:
        with fed.municipality(code).engine.connect() as conn:
            numbers.update(
                str(n)
                for n in conn.execute(text("SELECT my_number FROM residents")).scalars()
                if n is not None
            )
    return numbers


def dump(engine: Engine) -> tuple[set[str], str]:
    """(the tables, every value of every row of every table as one string)."""
    parts = []
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        for name in sorted(tables):
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                parts.append(" ".join(str(v) for v in row))
    return tables, "\n".join(parts)


def raw_files(fed: Any, org: str) -> bytes:
    """The bytes of an organisation's SQLite database: the file, its WAL and journal."""
    files = sorted(p for p in fed.settings.data_dir.glob(f"{org}.db*") if p.is_file())
    assert fed.settings.data_dir / f"{org}.db" in files
    return b"".join(p.read_bytes() for p in files)


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    """A resident of Chiyoda with a card, whose income the tax office holds."""
    card = issue(fed, http)
    resident_id = card["resident"]["id"]
    with fed.municipality(CHIYODA).engine.connect() as conn:
        number = str(
            conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        )
    filing = {"my_number": number, "year": 2024, "income_yen": 3_600_000}
    assert http.post("/tax/api/filings", json={"filings": [filing]}).status_code == 200
    kana = f"{card['resident']['family_name_kana']} {card['resident']['given_name_kana']}"
    return card | {"number": number, "kana": kana}


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        token = log_in(client, http, holder)
        client.headers["x-csrf"] = client.headers["x-test-csrf"] = token
        yield client


def sign_in_with_oidc(fed, pc: httpx.Client) -> dict[str, Any]:
    """Authorization code with PKCE for a confidential relying party, by hand over HTTP."""
    made = fed.portal().oidc.clients.add(
        UnitOfWork(fed.portal().engine),
        name="さくら商店 (Sakura Shop)",
        redirect_uris=[CALLBACK],
        public=False,
    )
    client_id, secret = made.client.client_id, made.secret
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    asked = pc.get(
        "/portal/oidc/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert asked.status_code == 303, asked.text
    page = pc.get(asked.headers["location"])
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'name="(csrf|request)" value="([^"]+)"', page.text))
    answer = pc.post("/portal/oidc/consent", data=form | {"decision": "allow"})
    assert answer.status_code == 303, answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [state]
    token = pc.post(
        "/portal/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client_id, secret or ""),
    )
    assert token.status_code == 200, token.text
    userinfo = pc.get(
        "/portal/oidc/userinfo",
        headers={"authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert userinfo.status_code == 200, userinfo.text
    return dict(userinfo.json())


def test_no_my_number_in_the_hub_or_the_portal_after_every_flow(fed, http, pc, holder) -> None:
    keys = KeyFolder(fed.settings.data_dir / "keys")
    # わたしの情報 through the hub
    information = pc.get("/portal/information")
    assert information.status_code == 200 and "3,600,000" in information.text
    # a notice from the tax office, addressed by its own code
    title = f"還付のお知らせ {secrets.token_hex(3)}"
    body = {
        "codes": [agency_code(fed, "tax", holder["number"])],
        "messages": [{"title": title, "body": "本文 / The body."}],
    }
    sent = signed(http, keys, "tax", "/tax/api/notices", body)
    assert sent.status_code == 200 and sent.json()["accepted"] == [True], sent.text
    assert title in pc.get("/portal/notices").text
    # 公金受取口座 registered from the portal
    account = open_account(fed, holder["kana"], at="9900", branch="019")
    registered = pc.post("/portal/account/register", data=account | {"csrf": pc.headers["x-csrf"]})
    assert registered.status_code == 200 and 'id="done"' in registered.text, registered.text
    # an e-application sent to the municipality
    application_id, sign_code = start(fed, pc, "pregnancy_notification", holder)
    assert sign_code is None and "審査中" in status_of(pc, application_id)
    # a sign-in at a private service through the portal's OpenID Connect provider
    claims = sign_in_with_oidc(fed, pc)
    assert claims["sub"] and holder["number"] not in str(claims)
    # the exchange records list what went through the hub
    records = pc.get("/portal/records/export").json()["records"]
    assert {r["provider"] for r in records} >= {"tax"}

    numbers = every_my_number(fed)
    assert holder["number"] in numbers
    # the scan finds a My Number where one belongs: the municipality's registry
    _, registry = dump(fed.municipality(CHIYODA).engine)
    assert holder["number"] in registry
    if fed.settings.database_url is None:
        assert holder["number"].encode() in raw_files(fed, f"municipality-{CHIYODA}")
    expected = {
        "hub": {"persons", "records"},
        "portal": {"accounts", "logins", "notices", "applications", "oidc_codes"},
    }
    for org in ("hub", "portal"):
        tables, stored = dump(fed.services(org).engine)
        assert expected[org] <= tables, (org, tables)
        assert stored  # the scan does see the rows it searches
        found = [n for n in numbers if n in stored]
        assert not found, f"{org} holds a My Number"
        if fed.settings.database_url is None:  # SQLite: the files themselves
            raw = raw_files(fed, org)
            leaked = [n for n in numbers if n.encode() in raw]
            assert not leaked, f"{org}'s database file holds a My Number"
