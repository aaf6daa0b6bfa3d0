"""本人確認情報の提供状況の開示: a staff read of a resident's record shows on that resident's
Mynaportal (住民票の閲覧・変更の記録), with the role, the purpose and the time in JST — sent by
the municipality through the hub by its own codes, stored once, never with a My Number."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from test_deliveries import browser
from test_portal_login import issue, log_in
from test_privacy_scan import dump, every_my_number, raw_files

from mynumber.jst import JST
from mynumber.orgs.municipality.app import MunicipalityServices
from mynumber.orgs.municipality.services.disclosure import PROCEDURE
from mynumber.orgs.portal import store as portal_store
from mynumber.platform import store as platform_store
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
ORG = f"municipality-{CHIYODA}"
API = f"/municipality/{CHIYODA}/api"


def enrolled(fed, http) -> dict[str, Any]:
    """A resident of Chiyoda with a card, enrolled in the linkage (the municipality's code)."""
    card = issue(fed, http)
    answer = http.post(f"{API}/linkage/enrol", json={"resident_ids": [card["resident"]["id"]]})
    assert answer.status_code == 200, answer.text
    return card


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    return enrolled(fed, http)


@pytest.fixture(scope="module")
def other(fed, http) -> dict[str, Any]:
    return enrolled(fed, http)


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-csrf"] = log_in(client, http, holder)
        yield client


@pytest.fixture(scope="module")
def other_pc(fed, http, other) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-csrf"] = log_in(client, http, other)
        yield client


def municipality(fed):
    return fed.services(ORG, MunicipalityServices)


def send_pending(fed, persons: list[str] | None = None):
    """The disclosure's run, as the ``audit disclose`` command makes it."""
    services = municipality(fed)
    return services.disclosure.send_pending(UnitOfWork(services.engine), persons)


def drain(fed) -> None:
    """The sends after staff requests are done when the request returns (in-process)."""


def log_rows(fed, person: str) -> list[dict[str, Any]]:
    a = platform_store.access_log.c
    with fed.municipality(CHIYODA).engine.connect() as conn:
        query = select(platform_store.access_log).where(a.person == person).order_by(a.seq)
        return [dict(r._mapping) for r in conn.execute(query)]


def portal_rows(fed) -> list[dict[str, Any]]:
    with fed.services("portal").engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(portal_store.record_accesses))]


def shown(page: str) -> list[dict[str, str]]:
    """The rows of the record-access table as the person reads them."""
    rows = []
    for row in re.findall(r'<tr class="record-access">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r'<td class="(\w+)">(.*?)</td>', row, re.S))
        rows.append(cells)
    return rows


def test_a_staff_read_shows_on_the_persons_portal_with_role_purpose_and_jst(
    fed, pc, holder, as_staff
) -> None:
    resident_id = holder["resident"]["id"]
    clerk = as_staff(ORG, ["clerk"])
    read = fed.directory.http.get(
        f"{API}/residents/{resident_id}", params={"purpose": "inquiry"}, headers=clerk
    )
    assert read.status_code == 200, read.text
    drain(fed)

    entry = [e for e in log_rows(fed, resident_id) if e["action"] == "residents.read"][-1]
    assert entry["disclosed"] is True or entry["disclosed"] == 1
    page = pc.get("/portal/record-access")
    assert page.status_code == 200, page.text
    rows = shown(page.text)
    at_jst = dt.datetime.fromisoformat(entry["at"]).astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")
    mine = [r for r in rows if r["at"] == at_jst and "住民票の閲覧" in r["action"]]
    assert mine, rows
    assert "窓口担当" in mine[0]["role"] and "counter clerk" in mine[0]["role"]
    assert "本人からの問い合わせ" in mine[0]["purpose"]
    assert "東京都千代田区" in mine[0]["org"]
    # the role, never the staff member's name
    assert entry["actor_name"] not in page.text
    # newest first
    times = [r["at"] for r in rows]
    assert times == sorted(times, reverse=True)
    # the exchange records link to it
    assert 'href="/portal/record-access"' in pc.get("/portal/records").text


def test_the_disclosure_goes_through_the_hub_as_a_permitted_delivery(fed, holder, pc) -> None:
    log = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)
    sent = [e for e in log if e["procedure"] == PROCEDURE and e["requester"] == ORG]
    assert sent and {e["provider"] for e in sent} == {"portal"}
    assert "delivered" in {e["outcome"] for e in sent}


def test_a_resend_is_stored_once(fed, holder, pc, as_staff) -> None:
    resident_id = holder["resident"]["id"]
    headers = as_staff(ORG, ["supervisor"])
    read = fed.directory.http.get(
        f"{API}/residents/{resident_id}/history", params={"purpose": "correction"}, headers=headers
    )
    assert read.status_code == 200, read.text
    drain(fed)
    before = portal_rows(fed)
    assert any("異動履歴" in r["action"] for r in before)
    # a crash after the hub's answer and before the marking: everything goes again
    with fed.municipality(CHIYODA).engine.begin() as conn:
        conn.execute(
            text("UPDATE access_log SET disclosed = :no WHERE person = :p"),
            {"no": False, "p": resident_id},
        )
    sent = send_pending(fed)
    assert sent.disclosed >= 2
    assert len(portal_rows(fed)) == len(before)
    assert all(e["disclosed"] for e in log_rows(fed, resident_id))


def test_another_persons_disclosures_are_not_shown(fed, pc, other_pc, holder, other) -> None:
    # the other person's card issuance by the administrator is theirs alone
    drain(fed)
    send_pending(fed)
    mine = shown(pc.get("/portal/record-access").text)
    theirs = shown(other_pc.get("/portal/record-access").text)
    assert mine and theirs
    holder_seqs = {e["seq"] for e in log_rows(fed, holder["resident"]["id"])}
    other_seqs = {e["seq"] for e in log_rows(fed, other["resident"]["id"])}
    by_person: dict[str, set[int]] = {}
    for row in portal_rows(fed):
        by_person.setdefault(row["portal_code"], set()).add(int(row["ref"].rsplit(":", 1)[1]))
    assert len(by_person) >= 2
    for seqs in by_person.values():
        assert seqs <= holder_seqs or seqs <= other_seqs
    assert len(theirs) == len(other_seqs) and len(mine) == len(holder_seqs)


def test_entries_of_a_person_without_a_portal_account_are_kept_pending(fed, http, as_staff) -> None:
    stranger = enrolled(fed, http)  # never logged in to Mynaportal
    resident_id = stranger["resident"]["id"]
    read = fed.directory.http.get(
        f"{API}/residents/{resident_id}",
        params={"purpose": "counter"},
        headers=as_staff(ORG, ["clerk"]),
    )
    assert read.status_code == 200
    drain(fed)
    assert not any(e["disclosed"] for e in log_rows(fed, resident_id))
    sent = send_pending(fed, [resident_id])
    assert sent.entries >= 1 and sent.disclosed == 0 and sent.kept == sent.entries


def test_a_malformed_disclosure_is_refused_and_nothing_kept(fed, holder, pc) -> None:
    from mynumber.orgs.portal.services.record_access import valid_message

    good = {
        "ref": f"{ORG}:1",
        "at": "2025-01-01T00:00:00+00:00",
        "role": "r",
        "action": "a",
        "purpose": "p",
    }
    assert valid_message({"accesses": [good]}) is not None
    for bad in (
        {"accesses": []},
        {"accesses": [good | {"ref": "no spaces allowed"}]},
        {"accesses": [good | {"at": "2025-01-01T00:00:00"}]},  # no time zone
        {"accesses": [good | {"role": "x\ny"}]},
        {"accesses": [good | {"name": "職員 花子"}]},
        {"accesses": [good], "more": 1},
        [good],
    ):
        assert valid_message(bad) is None, bad


def test_nothing_sent_holds_a_my_number(fed, holder, pc) -> None:
    drain(fed)
    numbers = every_my_number(fed)
    assert numbers
    for org in ("hub", "portal"):
        tables, stored = dump(fed.services(org).engine)
        if org == "portal":
            assert "record_accesses" in tables
        assert not [n for n in numbers if n in stored], f"{org} holds a My Number"
        if fed.settings.database_url is None:
            raw = raw_files(fed, org)
            assert not [n for n in numbers if n.encode() in raw]


def test_a_proxy_with_the_view_right_sees_the_principals_record_and_it_is_recorded(
    fed, pc, other_pc, holder
) -> None:
    from test_proxies import accept, act, invite, proxy_ids

    send_pending(fed)
    own = shown(pc.get("/portal/record-access").text)
    assert accept(other_pc, invite(pc, "view")).status_code == 200
    (proxy_id,) = proxy_ids(other_pc)
    assert act(other_pc, proxy_id).status_code == 303
    try:
        seen = other_pc.get("/portal/record-access")
        assert seen.status_code == 200
        assert shown(seen.text) == own
        log = pc.get("/portal/proxies").text.split('id="proxy-actions"')[1].split("</table>")[0]
        assert "住民票の閲覧・変更の記録を閲覧" in log
    finally:
        revoked = pc.post(f"/portal/proxies/{proxy_id}/revoke", data={"csrf": pc.headers["x-csrf"]})
        assert revoked.status_code == 200
    # the right revoked, the acting ends at once: the proxy's own record again
    again = other_pc.get("/portal/record-access")
    assert again.status_code == 200 and shown(again.text) and shown(again.text) != own


def test_the_audit_disclose_command_sends_what_is_pending(fed, pc, holder, monkeypatch) -> None:
    from typer.testing import CliRunner

    from mynumber.cli import app

    # the command reaches the same databases as this federation (SQLite files or PostgreSQL)
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    if fed.settings.database_url is not None:
        monkeypatch.setenv("MYNUMBER_DATABASE_URL", fed.settings.database_url)
        monkeypatch.setenv("MYNUMBER_DATABASE_PREFIX", fed.settings.database_prefix)
    resident_id = holder["resident"]["id"]
    drain(fed)
    with fed.municipality(CHIYODA).engine.begin() as conn:  # as after an outage of the hub
        conn.execute(
            text("UPDATE access_log SET disclosed = :no WHERE person = :p"),
            {"no": False, "p": resident_id},
        )
    pending = len(log_rows(fed, resident_id))
    before = len(portal_rows(fed))
    result = CliRunner().invoke(
        app,
        ["audit", "disclose", "--org", ORG, "--data", str(fed.settings.data_dir)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert f"{pending} disclosed to Mynaportal" in result.output
    assert all(e["disclosed"] for e in log_rows(fed, resident_id))
    assert len(portal_rows(fed)) == before  # sent before: stored once
    refused = CliRunner().invoke(
        app, ["audit", "disclose", "--org", "tax", "--data", str(fed.settings.data_dir)]
    )
    assert refused.exit_code != 0
