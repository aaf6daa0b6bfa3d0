"""代理人 on Mynaportal: a resident invites a proxy with a one-time code, the proxy accepts
it after logging in with their own card, acts for them (わたしの情報, お知らせ, やりとり履歴
show the grantor's data), and the grantor sees every proxy action and revokes the right,
which takes effect at once. Real cards, real hub exchanges; runs on SQLite and, with
``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from test_portal_login import issue, log_in

from mynumber import jst
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.portal import store as portal_store
from mynumber.orgs.portal.model.proxies import ProxyRefused
from mynumber.platform.deliveries import send
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
API = f"/municipality/{CHIYODA}/api"


def resident(fed, http, income: int) -> dict[str, Any]:
    """A resident with a card, enrolled at the municipality, with income at the tax office."""
    card = issue(fed, http)
    rid = card["resident"]["id"]
    with fed.municipality(CHIYODA).engine.connect() as conn:
        number = str(
            conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": rid}
            ).scalar_one()
        )
    filing = {"my_number": number, "year": 2024, "income_yen": income}
    assert http.post("/tax/api/filings", json={"filings": [filing]}).status_code == 200
    assert http.post(f"{API}/linkage/enrol", json={"resident_ids": [rid]}).status_code == 200
    tax_code = fed.agency("tax").agency.server.codes([number])[number]
    name = f"{card['resident']['family_name']}\u3000{card['resident']['given_name']}"
    return card | {"number": number, "tax_code": tax_code, "name": name, "income": income}


def browser(fed) -> httpx.Client:
    return httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    )


@pytest.fixture(scope="module")
def grantor(fed, http) -> dict[str, Any]:
    return resident(fed, http, 3_210_000)


@pytest.fixture(scope="module")
def grantee(fed, http) -> dict[str, Any]:
    return resident(fed, http, 5_670_000)


@pytest.fixture(scope="module")
def third(fed, http) -> dict[str, Any]:
    return resident(fed, http, 1_230_000)


def logged_in_browser(fed, http, person) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-csrf"] = log_in(client, http, person)
        yield client


@pytest.fixture(scope="module")
def alice(fed, http, grantor) -> Iterator[httpx.Client]:
    yield from logged_in_browser(fed, http, grantor)


@pytest.fixture(scope="module")
def bob(fed, http, grantee) -> Iterator[httpx.Client]:
    yield from logged_in_browser(fed, http, grantee)


@pytest.fixture(scope="module")
def carol(fed, http, third) -> Iterator[httpx.Client]:
    yield from logged_in_browser(fed, http, third)


def invite(client: httpx.Client, scope: str, until: str = "") -> str:
    page = client.post(
        "/portal/proxies/invite",
        data={"scope": scope, "until": until, "csrf": client.headers["x-csrf"]},
    )
    assert page.status_code == 200, page.text
    found = re.search(r'id="invitation-code">([A-Z0-9-]+)<', page.text)
    assert found is not None
    return found.group(1)


def accept(client: httpx.Client, code: str) -> httpx.Response:
    return client.post(
        "/portal/proxies/accept", data={"code": code, "csrf": client.headers["x-csrf"]}
    )


def proxy_ids(client: httpx.Client) -> list[str]:
    page = client.get("/portal/proxies").text
    principals = page.split('id="principals"')[1].split("</table>")[0]
    return re.findall(r'name="principal" value="([0-9a-f]{16})"', principals)


def act(client: httpx.Client, principal: str) -> httpx.Response:
    return client.post(
        "/portal/proxies/act", data={"principal": principal, "csrf": client.headers["x-csrf"]}
    )


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


def codes_of(fed) -> dict[str, tuple[str, str]]:
    """principal → agent portal codes of every proxy right, newest first."""
    p = portal_store.proxies.c
    with fed.services("portal").engine.connect() as conn:
        rows = conn.execute(
            select(p.id, p.principal_code, p.agent_code).order_by(p.created_at.desc())
        ).all()
    return {r.id: (r.principal_code, r.agent_code) for r in rows}


def test_grant_accept_act_and_revoke(fed, http, grantor, grantee, alice, bob) -> None:
    keys = KeyFolder(fed.settings.data_dir / "keys")
    title = f"国税庁からのお知らせ {secrets.token_hex(3)}"
    sent = send(
        ServiceClient(fed.directory, "hub", Identity("tax", keys.private_key("tax"))),
        EncryptionKeys(fed.settings.data_dir / "keys"),
        procedure="tax_notice",
        recipient="portal",
        items=["notice"],
        codes=[grantor["tax_code"]],
        messages=[{"title": title, "body": "本文 / body"}],
    )
    assert sent.accepted == [True]
    assert title not in bob.get("/portal/notices").text

    code = invite(alice, "view")
    accepted = accept(bob, code)
    assert accepted.status_code == 200 and 'id="done"' in accepted.text
    assert grantor["name"] in accepted.text  # the name the municipality gives
    (proxy_id,) = proxy_ids(bob)
    switcher = bob.get("/portal/home").text.split('id="proxy-switch"')[1].split("</form>")[0]
    assert "ご本人" in switcher.split('id="acting-as">')[1] and grantor["name"] in switcher

    switched = act(bob, proxy_id)
    assert switched.status_code == 303 and switched.headers["location"].endswith("/information")
    information = bob.get("/portal/information")
    assert information.status_code == 200
    assert grantor["name"] in information.text.split('id="acting-as">')[1].split("<")[0]
    assert f"{grantor['income']:,}" in section(information.text, "self-tax")
    assert f"{grantee['income']:,}" not in information.text
    assert grantor["resident"]["address"] in section(information.text, "self-municipality")
    notices = bob.get("/portal/notices").text
    assert title in notices and "既読にする" not in notices.split(title)[0].rsplit("<tr", 1)[1]
    records = bob.get("/portal/records/export").json()["records"]
    assert sent.delivery_id in {r["exchange_id"] for r in records}

    mine = alice.get("/portal/proxies").text
    log = mine.split('id="proxy-actions"')[1].split("</table>")[0]
    assert grantee["name"] in log
    for label in ("わたしの情報を閲覧", "お知らせを閲覧", "やりとり履歴をダウンロード"):
        assert label in log
    assert grantee["name"] in mine.split('id="granted"')[1].split("</table>")[0]

    granted_id = re.search(r'/portal/proxies/([0-9a-f]{16})/revoke"', mine.split('id="granted"')[1])
    assert granted_id is not None and granted_id.group(1) == proxy_id
    revoked = alice.post(
        f"/portal/proxies/{proxy_id}/revoke", data={"csrf": alice.headers["x-csrf"]}
    )
    assert revoked.status_code == 200 and "取消済" in revoked.text

    # at once: the session acting for the grantor shows the proxy's own data again …
    own = bob.get("/portal/information")
    assert own.status_code == 200 and f"{grantee['income']:,}" in section(own.text, "self-tax")
    assert 'id="proxy-switch"' not in own.text
    # … and switching back is refused
    again = act(bob, proxy_id)
    assert again.status_code == 403 and again.json()["title"] == "proxy_refused"
    assert title not in bob.get("/portal/notices").text


def test_acting_when_the_right_ends_between_requests_is_refused(
    fed, grantor, grantee, alice, bob
) -> None:
    accept(bob, invite(alice, "view"))
    (proxy_id,) = proxy_ids(bob)
    assert act(bob, proxy_id).status_code == 303
    # the right is revoked behind the session's back (another server, say): the next page
    # checks the right itself
    with fed.services("portal").engine.begin() as conn:
        conn.execute(
            portal_store.proxies.update()
            .where(portal_store.proxies.c.id == proxy_id)
            .values(revoked_at=fed.portal().proxies.clock())
        )
    refused = bob.get("/portal/information")
    assert refused.status_code == 403 and refused.json()["title"] == "proxy_refused"
    assert f"{grantee['income']:,}" in bob.get("/portal/information").text  # back to self


def test_a_view_only_proxy_cannot_apply_and_an_apply_proxy_can(
    fed, grantor, grantee, third, alice, bob, carol
) -> None:
    service = fed.portal().proxies
    accept(bob, invite(alice, "view"))
    accept(carol, invite(alice, "apply"))
    codes = codes_of(fed)
    (viewer,) = [c for pid, c in codes.items() if pid in proxy_ids(bob)]
    (applier,) = [c for pid, c in codes.items() if pid in proxy_ids(carol)]
    principal = viewer[0]
    assert applier[0] == principal

    with pytest.raises(ProxyRefused, match="view only"):
        service.require(
            UnitOfWork(fed.portal().engine),
            viewer[1],
            principal,
            "apply",
            action="apply:child_allowance_claim",
        )
    assert (
        service.require(UnitOfWork(fed.portal().engine), viewer[1], principal, "view") is not None
    )
    proxy = service.require(
        UnitOfWork(fed.portal().engine),
        applier[1],
        principal,
        "apply",
        action="apply:nursery_admission",
    )
    assert proxy is not None and proxy.scope == "apply"
    assert (
        service.require(UnitOfWork(fed.portal().engine), principal, principal, "apply") is None
    )  # the person themself
    with pytest.raises(ProxyRefused):
        service.require(
            UnitOfWork(fed.portal().engine), applier[1], viewer[1], "view"
        )  # no right the other way round

    log = alice.get("/portal/proxies").text.split('id="proxy-actions"')[1]
    assert "申請" in log and "nursery_admission" in log
    assert "child_allowance_claim" not in log  # refused acts are not someone's action


def test_an_invitation_code_works_once(alice, bob, carol) -> None:
    code = invite(alice, "view")
    assert accept(bob, code).status_code == 200

    twice = accept(carol, code)

    assert twice.status_code == 409 and "invitation_used" in twice.text


def test_a_person_cannot_accept_their_own_invitation(alice, bob) -> None:
    code = invite(alice, "apply")

    own = accept(alice, code)

    assert own.status_code == 409 and "own_invitation" in own.text
    assert accept(bob, code.lower().replace("-", " ")).status_code == 200  # still usable


def test_unknown_and_bad_input_change_nothing(fed, alice, bob, carol) -> None:
    assert accept(bob, invite(alice, "view")).status_code == 200
    before = codes_of(fed)
    assert accept(bob, "AAAA-BBBB-CCCC").status_code == 409
    no_csrf = bob.post("/portal/proxies/accept", data={"code": invite(alice, "view")})
    assert no_csrf.status_code == 403
    bad_scope = alice.post(
        "/portal/proxies/invite", data={"scope": "admin", "csrf": alice.headers["x-csrf"]}
    )
    past = alice.post(
        "/portal/proxies/invite",
        data={"scope": "view", "until": "2001-01-01", "csrf": alice.headers["x-csrf"]},
    )
    assert bad_scope.status_code == 422 and past.status_code == 422
    assert codes_of(fed) == before
    # someone else's right can be neither used nor revoked
    (bobs,) = proxy_ids(bob)
    assert act(carol, bobs).status_code == 404
    stolen = carol.post(f"/portal/proxies/{bobs}/revoke", data={"csrf": carol.headers["x-csrf"]})
    assert stolen.status_code == 404


def test_a_right_with_an_end_date_shows_it(alice, bob) -> None:
    day = (jst.today() + dt.timedelta(days=30)).isoformat()
    far = (jst.today() + dt.timedelta(days=6 * 366)).isoformat()
    assert accept(bob, invite(alice, "view", until=day)).status_code == 200

    page = alice.get("/portal/proxies").text.split('id="granted"')[1].split("</table>")[0]
    too_long = alice.post(
        "/portal/proxies/invite",
        data={"scope": "view", "until": far, "csrf": alice.headers["x-csrf"]},
    )

    assert f"until {day}" in page
    assert too_long.status_code == 422 and "five years" in too_long.text


def test_the_portal_database_holds_no_my_number(fed, grantor, grantee, bob) -> None:
    with fed.services("portal").engine.connect() as conn:
        dump = " ".join(
            str(v)
            for name in ("accounts", "proxies", "proxy_actions", "proxy_invitations", "sessions")
            for row in conn.execute(text(f'SELECT * FROM "{name}"'))
            for v in row
        )
    assert grantor["number"] not in dump and grantee["number"] not in dump


def test_the_grantors_name_follows_the_municipalitys_record(fed, grantor, alice, bob) -> None:
    accept(bob, invite(alice, "view"))
    (proxy_id,) = proxy_ids(bob)
    rename = text("UPDATE residents SET family_name = :name WHERE id = :id")
    new_family = f"改姓{secrets.choice('一二三四五')}"
    registry = fed.municipality(CHIYODA).engine
    with registry.begin() as conn:  # 婚姻: the registry's record changes
        conn.execute(rename, {"name": new_family, "id": grantor["resident"]["id"]})
    try:
        act(bob, proxy_id)

        shown = bob.get("/portal/home").text.split('id="acting-as">')[1].split("<")[0]
        assert shown.startswith(new_family)
    finally:
        with registry.begin() as conn:
            family = grantor["resident"]["family_name"]
            conn.execute(rename, {"name": family, "id": grantor["resident"]["id"]})
        act(bob, proxy_id)  # and back, for the tests that follow
        act(bob, "self")


@pytest.fixture(scope="module")
def acting_proxy(fed, http) -> Iterator[tuple[dict[str, Any], httpx.Client, httpx.Client]]:
    """(the principal, their browser, a proxy's browser acting for them with an apply right)."""
    principal, agent = resident(fed, http, 2_000_000), resident(fed, http, 3_000_000)
    with browser(fed) as theirs, browser(fed) as mine:
        theirs.headers["x-csrf"] = log_in(theirs, http, principal)
        mine.headers["x-csrf"] = log_in(mine, http, agent)
        assert accept(mine, invite(theirs, "apply")).status_code == 200
        (proxy_id,) = proxy_ids(mine)
        assert act(mine, proxy_id).status_code == 303
        yield principal, theirs, mine


def refused_to_a_proxy(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert "代理人としては利用できません。ご本人としてログインしてください" in response.text
    assert "not available to a proxy" in response.text.lower()
    back = response.text.split('id="back-to-self"')[1].split("</form>")[0]
    assert 'name="principal" value="self"' in back and 'id="switch-to-self"' in back


def test_own_money_and_consent_pages_refuse_a_proxy_and_change_nothing(
    fed, http, acting_proxy
) -> None:
    principal, theirs, mine = acting_proxy
    csrf = mine.headers["x-csrf"]
    made = http.post(
        "/benefits/api/programmes",
        json={
            "name": f"代理不可の給付 {secrets.token_hex(3)}",
            "amount": 1000,
            "municipalities": [CHIYODA],
        },
    )
    assert made.status_code == 201, made.text
    programme = made.json()["id"]
    kana = f"{principal['resident']['family_name_kana']} {principal['resident']['given_name_kana']}"
    # a real account in the principal's own name: registering it would succeed for them
    bank = fed.bank("bank-0001")
    (number,) = bank.bank.open_accounts(
        UnitOfWork(bank.engine), [{"branch_code": "001", "deposit_type": "1", "holder_kana": kana}]
    )
    account = {
        "bank_code": "0001",
        "branch_code": "001",
        "deposit_type": "1",
        "account_number": number,
        "holder_kana": kana,
    }
    assert 'id="none"' in theirs.get("/portal/account").text

    for path in (
        "/portal/account",
        f"/portal/benefits/{programme}",
        "/portal/oidc/services",
        "/portal/oidc/consent?request=anything",
        "/portal/oidc/release?request=anything",
    ):
        refused_to_a_proxy(mine.get(path))
    for path, form in (
        ("/portal/account/register", account),
        (f"/portal/benefits/{programme}", {"choice": "account", **account}),
        ("/portal/oidc/services/some-client/withdraw", {}),
        ("/portal/oidc/consent", {"request": "anything", "decision": "allow"}),
    ):
        refused_to_a_proxy(mine.post(path, data={"csrf": csrf, **form}))

    # nothing was registered for the principal; back to oneself, the pages are one's own
    assert 'id="none"' in theirs.get("/portal/account").text
    assert act(mine, "self").status_code == 303
    assert mine.get("/portal/account").status_code == 200
    assert mine.get("/portal/oidc/services").status_code == 200
    assert mine.get(f"/portal/benefits/{programme}").status_code == 200
    # the same form from the principal themself registers the account
    mine_too = theirs.post(
        "/portal/account/register", data={"csrf": theirs.headers["x-csrf"], **account}
    )
    assert mine_too.status_code == 200 and number in mine_too.text, mine_too.text
    # and acting for them again, the pages they share are still theirs to show
    assert "/portal/information" in act(mine, proxy_ids(mine)[0]).headers["location"]


def test_guessing_invitation_codes_is_refused_after_five_wrong_ones(
    fed, http, alice, monkeypatch
) -> None:
    from mynumber.orgs.portal.services.invitation_attempts import BLOCKED, WRONG

    proxies = fed.portal().proxies
    guesser_person = resident(fed, http, 1_000_000)
    with browser(fed) as guesser:
        guesser.headers["x-csrf"] = log_in(guesser, http, guesser_person)
        portal_code = proxies_codes_of(fed, guesser)
        real = invite(alice, "view")
        before = codes_of(fed)

        wrong = [accept(guesser, f"AAAA-BBBB-{n:04d}") for n in range(5)]
        blocked = accept(guesser, real)  # even the right code, while blocked

        assert [r.status_code for r in wrong] == [409] * 5
        assert all("invitation_unknown" in r.text for r in wrong)
        assert blocked.status_code == 429, blocked.text
        assert "too_many_attempts" in blocked.text
        assert "15分後にもう一度お試しください" in blocked.text and "15 minutes" in blocked.text
        assert 14 * 60 < int(blocked.headers["retry-after"]) <= 15 * 60
        assert codes_of(fed) == before  # nothing accepted
        assert proxies.attempts.count(UnitOfWork(fed.portal().engine), portal_code, WRONG) == 5
        assert proxies.attempts.count(UnitOfWork(fed.portal().engine), portal_code, BLOCKED) == 1
        # another person is not blocked by it
        assert accept(alice, "AAAA-BBBB-9999").status_code == 409

        # a quarter of an hour after the first wrong code, one more try is allowed
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15, seconds=5)
        monkeypatch.setattr(proxies, "clock", lambda: later)
        assert accept(guesser, real).status_code == 200
        assert proxies.attempts.count(UnitOfWork(fed.portal().engine), portal_code, BLOCKED) == 1


def proxies_codes_of(fed, client: httpx.Client) -> str:
    """The portal code of the person logged in on ``client`` (read from their session)."""
    token = client.cookies.get("portal_session")
    assert token is not None
    return str(fed.portal().portal.session(UnitOfWork(fed.portal().engine), token).portal_code)
