"""Deliveries through the hub: an agency's notice reaches the person's お知らせ on
Mynaportal, addressed by the agency's own code; the hub converts codes, relays a JWE it
cannot read, records one entry per person in the hash chain, and refuses what the table
does not permit. Every hop is a real signed HTTP request carried in-process; runs on SQLite
and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, select, text
from test_portal_login import issue, log_in

from mynumber import errors
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.hub import chain
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.deliveries import DeliveryResult, send
from mynumber.platform.encryption import EncryptionKeys, seal, seal_signed
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"


def signed(http: httpx.Client, keys: KeyFolder, org: str, path: str, body: Any) -> httpx.Response:
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, content))
    return http.post(path, content=content, headers=headers)


def stored_text(engine: Engine) -> str:
    """Everything a database holds: the raw bytes of a SQLite file (and its journal), or
    every value of every table on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        files = [path, path.with_name(path.name + "-wal")]
        return "\n".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())
    parts = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def enc(fed) -> EncryptionKeys:
    return EncryptionKeys(fed.settings.data_dir / "keys")


def hub_client(fed, keys: KeyFolder, org: str) -> ServiceClient:
    return ServiceClient(fed.directory, "hub", Identity(org, keys.private_key(org)))


def my_number(fed, resident_id: str) -> str:
    with fed.municipality(CHIYODA).engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        )


def agency_code(fed, agency: str, number: str) -> str:
    """The agency's own code for a My Number it holds (J-LIS → hub, as its enrolment does)."""
    code = fed.agency(agency).agency.server.codes([number])[number]
    assert code is not None
    return str(code)


def browser(fed) -> httpx.Client:
    return httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    )


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    """A resident with a card who has logged in to the portal once, known to the tax office."""
    card = issue(fed, http)
    number = my_number(fed, card["resident"]["id"])
    return card | {"number": number, "tax_code": agency_code(fed, "tax", number)}


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-csrf"] = log_in(client, http, holder)
        yield client


@pytest.fixture(scope="module")
def stranger(fed, http) -> dict[str, Any]:
    """A resident with a card who never logged in to the portal, known to the tax office."""
    card = issue(fed, http)
    number = my_number(fed, card["resident"]["id"])
    return card | {"number": number, "tax_code": agency_code(fed, "tax", number)}


def notice(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "body": f"{title} の本文です。 / The body.", **extra}


def tax_notice(fed, keys, enc, codes: list[str], messages: list[Any]) -> DeliveryResult:
    return send(
        hub_client(fed, keys, "tax"),
        enc,
        procedure="tax_notice",
        recipient="portal",
        items=["notice"],
        codes=codes,
        messages=messages,
    )


def inbox_rows(fed) -> list[dict[str, Any]]:
    with fed.services("portal").engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(portal_store.notices))]


def hub_entries(fed, delivery_id: str) -> list[dict[str, Any]]:
    log = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=10_000)
    return [e for e in log if e["exchange_id"] == delivery_id]


def test_the_portal_has_its_hub_code_from_the_first_login(fed, pc) -> None:
    with fed.services("portal").engine.connect() as conn:
        codes = list(conn.scalars(select(portal_store.accounts.c.hub_code)))
    assert codes and all(c and re.fullmatch(r"[a-z2-7]{26}", c) for c in codes)


def test_a_tax_notice_reaches_the_inbox_and_is_read_there(fed, keys, enc, holder, pc) -> None:
    title = f"確定申告のお知らせ {secrets.token_hex(4)}"
    result = tax_notice(
        fed, keys, enc, [holder["tax_code"]], [notice(title, link="/portal/records")]
    )

    assert result.accepted == [True] and result.answers is None
    page = pc.get("/portal/notices")
    assert page.status_code == 200
    row = page.text.split(title)[0].rsplit("<tr", 1)[1]
    assert "未読" in row and "国税庁" in row
    notice_id = re.search(r'/portal/notices/([0-9a-f]{16})"', page.text.split(title)[0])
    assert notice_id is not None
    opened = pc.get(f"/portal/notices/{notice_id.group(1)}")
    assert opened.status_code == 200
    assert title in opened.text and 'href="/portal/records"' in opened.text
    assert "国税庁" in opened.text.split('id="sender"')[1]
    again = pc.get("/portal/notices").text
    assert "既読" in again.split(title)[0].rsplit("<tr", 1)[1]
    entries = hub_entries(fed, result.delivery_id)
    assert [(e["requester"], e["provider"], e["outcome"]) for e in entries] == [
        ("tax", "portal", "delivered")
    ]


def test_the_delivery_is_in_the_persons_exchange_records(fed, keys, enc, holder, pc) -> None:
    result = tax_notice(fed, keys, enc, [holder["tax_code"]], [notice("住民税の通知")])

    records = pc.get("/portal/records/export").json()["records"]

    mine = [r for r in records if r["exchange_id"] == result.delivery_id]
    assert [(r["requester"], r["provider"], r["outcome"]) for r in mine] == [
        ("tax", "portal", "delivered")
    ]
    assert mine[0]["procedure_name"] == "国税庁からのお知らせ (マイナポータル)"
    assert "国税庁からのお知らせ" in pc.get("/portal/records").text


def test_codes_are_aligned_and_each_person_is_recorded(
    fed, keys, enc, holder, stranger, pc
) -> None:
    before = len(inbox_rows(fed))
    result = tax_notice(
        fed,
        keys,
        enc,
        [stranger["tax_code"], holder["tax_code"], "a" * 26],
        [notice("未登録の方へ"), notice("登録済みの方へ"), notice("だれでもない")],
    )

    assert result.accepted == [False, True, False]
    assert len(inbox_rows(fed)) == before + 1
    outcomes = sorted(
        (e["outcome"], e["person"] != "") for e in hub_entries(fed, result.delivery_id)
    )
    assert outcomes == [("delivered", True), ("not_delivered", True), ("refused", False)]
    log = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)
    assert chain.verify(log).hash == fed.hub().hub.head(UnitOfWork(fed.hub().engine)).hash


def test_another_agencys_code_reaches_nobody(fed, keys, enc, holder, pc) -> None:
    before = len(inbox_rows(fed))
    result = send(
        hub_client(fed, keys, "pension"),
        enc,
        procedure="pension_notice",
        recipient="portal",
        items=["notice"],
        codes=[holder["tax_code"]],  # the tax office's code, sent by the pension service
        messages=[notice("年金のお知らせ")],
    )

    assert result.accepted == [False]
    assert len(inbox_rows(fed)) == before
    (entry,) = hub_entries(fed, result.delivery_id)
    assert (entry["requester"], entry["outcome"], entry["person"]) == ("pension", "refused", "")


def test_a_malformed_message_is_refused_and_the_rest_delivered(fed, keys, enc, holder, pc) -> None:
    before = len(inbox_rows(fed))
    bad = [
        {"title": "", "body": "x"},
        notice("外部リンク", link="https://evil.example/"),
        notice("抜け道", link="/portal/../jlis/"),
        notice("別のホスト", link="/portal//evil.example/"),
        notice("改行", link="/portal/records\n"),
        {"title": "件名\n二行目", "body": "y"},
        {"title": "x", "body": "y", "script": "z"},
        "not an object",
    ]
    codes = [holder["tax_code"]] * (len(bad) + 1)

    result = tax_notice(fed, keys, enc, codes, [*bad, notice("正しいお知らせ")])

    assert result.accepted == [False] * len(bad) + [True]
    assert len(inbox_rows(fed)) == before + 1


def test_a_procedure_outside_the_table_is_refused_and_recorded(fed, keys, enc, holder) -> None:
    with pytest.raises(errors.Forbidden, match="may not ask"):
        send(
            hub_client(fed, keys, "pension"),
            enc,
            procedure="tax_notice",  # the tax office's procedure, not the pension service's
            recipient="portal",
            items=["notice"],
            codes=[agency_code(fed, "pension", holder["number"])],
            messages=[notice("なりすまし")],
        )
    last = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)[-1]
    assert (last["requester"], last["procedure"], last["outcome"]) == (
        "pension",
        "tax_notice",
        "refused",
    )
    assert last["reason"].startswith("not_permitted") and last["person"]


def test_a_tampered_jwe_is_refused_and_the_inbox_is_unchanged(
    fed, http, keys, enc, holder, pc
) -> None:
    before = inbox_rows(fed)
    sealed = seal_signed(
        enc,
        {"messages": [notice("改ざん")]},
        signer="tax",
        recipient="portal",
        exchange_id="delivery:tax:tax_notice",
        procedure="tax_notice",
    )
    parts = sealed.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]  # flip the ciphertext
    body = {
        "procedure": "tax_notice",
        "recipient": "portal",
        "items": ["notice"],
        "codes": [holder["tax_code"]],
        "sealed": ".".join(parts),
    }

    response = signed(http, keys, "tax", "/hub/api/deliveries", body)

    assert response.status_code == 422, response.text
    assert response.json()["title"] == "delivery_refused"
    assert "bad_ciphertext" in response.json()["detail"]
    assert inbox_rows(fed) == before
    last = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)[-1]
    assert last["outcome"] == "refused" and "bad_ciphertext" in last["reason"]


def test_a_payload_bound_to_another_procedure_is_refused(fed, http, keys, enc, holder, pc) -> None:
    # sealed by the tax office for tax_notice, replayed under another procedure: the binding
    # inside the ciphertext does not match, so the portal refuses it
    sealed = seal_signed(
        enc,
        {"messages": [notice("すり替え")]},
        signer="tax",
        recipient="portal",
        exchange_id="delivery:tax:other",
        procedure="other",
    )
    body = {
        "procedure": "tax_notice",
        "recipient": "portal",
        "items": ["notice"],
        "codes": [holder["tax_code"]],
        "sealed": sealed,
    }
    response = signed(http, keys, "tax", "/hub/api/deliveries", body)
    assert response.status_code == 422 and "another exchange" in response.json()["detail"]


@pytest.mark.parametrize("forger", ["hub", None])
def test_a_payload_not_signed_by_the_sender_is_refused(
    fed, http, keys, enc, holder, pc, forger
) -> None:
    # made by someone holding only the portal's public key: signed by the hub, or unsigned
    before = inbox_rows(fed)
    message = {"messages": [notice("なりすまし")]}
    bound = {"exchange_id": "delivery:tax:tax_notice", "procedure": "tax_notice"}
    sealed = (
        seal(enc, "portal", message, exchange_id=bound["exchange_id"])
        if forger is None
        else seal_signed(enc, message, signer=forger, recipient="portal", **bound)
    )
    body = {
        "procedure": "tax_notice",
        "recipient": "portal",
        "items": ["notice"],
        "codes": [holder["tax_code"]],
        "sealed": sealed,
    }

    response = signed(http, keys, "tax", "/hub/api/deliveries", body)

    assert response.status_code == 422, response.text
    assert "bad_answer_signature" in response.json()["detail"]
    assert inbox_rows(fed) == before


def test_a_payload_sealed_to_another_organisation_is_refused(fed, http, keys, enc, holder) -> None:
    sealed = seal_signed(
        enc,
        {"messages": [notice("宛先違い")]},
        signer="tax",
        recipient="tax",
        exchange_id="delivery:tax:tax_notice",
        procedure="tax_notice",
    )
    body = {
        "procedure": "tax_notice",
        "recipient": "portal",
        "items": ["notice"],
        "codes": [holder["tax_code"]],
        "sealed": sealed,
    }
    response = signed(http, keys, "tax", "/hub/api/deliveries", body)
    assert response.status_code == 422 and response.json()["title"] == "sealed_to_another"


def test_only_the_hub_may_deliver_to_the_portal(http, keys) -> None:
    body = {
        "delivery_id": "0" * 16,
        "sender": "tax",
        "procedure": "tax_notice",
        "items": ["notice"],
        "codes": [None],
        "sealed": "e.e.e.e.e",
    }
    assert http.post("/portal/api/deliveries", json=body).status_code == 401
    assert signed(http, keys, "tax", "/portal/api/deliveries", body).status_code == 403


def test_a_recipient_that_is_down_gives_503_and_a_record(
    fed, keys, enc, holder, monkeypatch, pc
) -> None:
    def down(delivery: Any) -> Any:
        raise ConnectionError("the portal is down")

    receivers = fed.portal().receivers
    monkeypatch.setitem(receivers.handlers, "*_notice", down)
    with pytest.raises(errors.Unavailable, match="did not answer"):
        tax_notice(fed, keys, enc, [holder["tax_code"]], [notice("届かない")])
    monkeypatch.undo()
    last = fed.hub().hub.log(UnitOfWork(fed.hub().engine), after=0, limit=100_000)[-1]
    assert (last["provider"], last["outcome"]) == ("portal", "recipient_unavailable")


def test_a_kind_recipient_delivers_only_where_the_person_lives_now(
    fed, http, keys, enc, holder, pc
) -> None:
    http.post(
        f"/municipality/{CHIYODA}/api/linkage/enrol",
        json={"resident_ids": [holder["resident"]["id"]]},
    ).raise_for_status()
    with fed.services("portal").engine.connect() as conn:
        (portal_code,) = conn.scalars(
            select(portal_store.accounts.c.hub_code).where(
                portal_store.accounts.c.hub_code.is_not(None)
            )
        ).all()[:1]
    result = send(
        hub_client(fed, keys, "portal"),
        enc,
        procedure="child_allowance_claim",
        recipient="municipality",
        seal_to="municipality-131041",  # Shinjuku: the person lives in Chiyoda
        items=["application"],
        codes=[portal_code],
        messages=[{"form": "child_allowance_claim"}],
    )
    assert result.accepted == [False]
    (entry,) = hub_entries(fed, result.delivery_id)
    assert entry["outcome"] == "not_delivered"
    assert "municipality-131016" in entry["reason"]


def test_the_hub_and_the_portal_store_no_my_number_and_no_notice_text(
    fed, keys, enc, holder, stranger, pc
) -> None:
    secret = f"所得税の還付 {secrets.token_hex(6)}"
    body = f"還付金 {secrets.randbelow(10**9)} 円をお振り込みします。"
    result = tax_notice(fed, keys, enc, [holder["tax_code"]], [{"title": secret, "body": body}])
    assert result.accepted == [True]
    assert secret in pc.get("/portal/notices").text  # the person reads it …

    for org in ("hub", "portal"):  # … but neither database holds it in clear
        stored = stored_text(fed.services(org).engine)
        # what each is meant to keep is there: the scan does see the rows
        assert {"hub": "tax_notice", "portal": "National Tax Agency"}[org] in stored
        for value in (holder["number"], stranger["number"], secret, body):
            assert value not in stored, (org, value)
        assert secret.encode().hex() not in stored


def test_the_tax_office_sends_notices_by_its_own_codes(
    fed, http, keys, holder, stranger, pc
) -> None:
    title = f"予定納税のお知らせ {secrets.token_hex(3)}"
    body = {
        "codes": [holder["tax_code"], stranger["tax_code"]],
        "messages": [notice(title, link="/portal/information"), notice(title)],
    }

    unsigned = http.post("/tax/api/notices", json=body)
    by_another = signed(http, keys, "pension", "/tax/api/notices", body)
    sent = signed(http, keys, "tax", "/tax/api/notices", body)

    assert unsigned.status_code == 401 and by_another.status_code == 403
    assert sent.status_code == 200, sent.text
    assert sent.json()["accepted"] == [True, False] and sent.json()["delivered"] == 1
    page = pc.get("/portal/notices").text
    assert (
        page.count(f"<strong>{title}</strong>") == 1
        and "国税庁" in page.split(title)[0].rsplit("<tr", 1)[1]
    )
    mismatched = signed(
        http, keys, "tax", "/tax/api/notices", body | {"messages": body["messages"][:1]}
    )
    assert mismatched.status_code == 422
    outside = signed(
        http,
        keys,
        "tax",
        "/tax/api/notices",
        body | {"messages": [notice(title, link="https://evil.example/"), notice(title)]},
    )
    assert outside.status_code == 422


def test_pension_and_insurer_send_notices_by_their_own_codes(fed, http, keys, holder, pc) -> None:
    for agency, name in (("pension", "日本年金機構"), ("insurer", "医療保険者")):
        title = f"{agency} のお知らせ {secrets.token_hex(3)}"
        body = {"codes": [agency_code(fed, agency, holder["number"])], "messages": [notice(title)]}
        sent = signed(http, keys, agency, f"/{agency}/api/notices", body)
        assert sent.status_code == 200, sent.text
        assert sent.json()["accepted"] == [True]
        page = pc.get("/portal/notices").text
        assert name in page.split(title)[0].rsplit("<tr", 1)[1]


def test_the_municipality_sends_notices_by_resident_id(fed, http, keys, holder, pc) -> None:
    org = f"municipality-{CHIYODA}"
    title = f"住民税決定通知のお知らせ {secrets.token_hex(3)}"
    body = {
        "resident_ids": [holder["resident"]["id"], "0000000000000000"],
        "messages": [notice(title), notice(title)],
    }

    sent = signed(http, keys, org, f"/municipality/{CHIYODA}/api/notices", body)
    by_another = signed(
        http, keys, "municipality-131041", f"/municipality/{CHIYODA}/api/notices", body
    )

    assert sent.status_code == 200, sent.text
    assert sent.json()["accepted"] == [True, False]
    assert by_another.status_code == 403
    page = pc.get("/portal/notices").text
    assert "千代田区" in page.split(title)[0].rsplit("<tr", 1)[1]
    records = pc.get("/portal/records/export").json()["records"]
    assert (org, "portal", "municipality_notice", "delivered") in {
        (r["requester"], r["provider"], r["procedure"], r["outcome"]) for r in records
    }


def test_another_persons_notice_cannot_be_read(fed, http, keys, enc, holder) -> None:
    other = issue(fed, http)
    other_code = agency_code(fed, "tax", my_number(fed, other["resident"]["id"]))
    with browser(fed) as theirs:
        csrf = log_in(theirs, http, other)
        title = f"他人宛て {secrets.token_hex(3)}"
        result = tax_notice(fed, keys, enc, [other_code], [notice(title)])
        assert result.accepted == [True]
        found = re.search(r'/portal/notices/([0-9a-f]{16})"', theirs.get("/portal/notices").text)
        assert found is not None and title in theirs.get("/portal/notices").text
        notice_id = found.group(1)
    with browser(fed) as mine:
        my_csrf = log_in(mine, http, holder)
        assert mine.get(f"/portal/notices/{notice_id}").status_code == 404
        marked = mine.post(f"/portal/notices/{notice_id}/read", data={"csrf": my_csrf})
        assert marked.status_code == 404
        assert title not in mine.get("/portal/notices").text
    assert csrf


def test_a_reply_the_hub_forged_is_refused_by_the_sender(
    fed, keys, enc, holder, pc, monkeypatch
) -> None:
    # the hub swaps the portal's reply for one it sealed to the tax office itself
    deliveries = fed.hub().deliveries
    genuine = deliveries.forward

    def forge(recipient: str, body: dict[str, Any]) -> Any:
        answer = dict(genuine(recipient, body))
        answer["sealed"] = seal_signed(
            enc,
            {"answers": [{"read": True}]},
            signer="hub",
            recipient=body["sender"],
            exchange_id=body["delivery_id"],
            procedure=body["procedure"],
        )
        return answer

    monkeypatch.setattr(deliveries, "forward", forge)
    with pytest.raises(errors.InvalidInput, match="signed by 'hub', not by portal") as refused:
        tax_notice(fed, keys, enc, [holder["tax_code"]], [notice("返信のすり替え")])
    assert refused.value.code == "bad_answer_signature"


def test_a_batch_sent_again_with_refs_leaves_one_notice_each(
    fed, http, keys, enc, holder, stranger, pc
) -> None:
    """A sender that sends a batch again (a retry after a crash) with the same refs: every
    notice is accepted both times and the inbox holds one of each."""
    tag = secrets.token_hex(3)
    titles = [f"還付のお知らせ {tag}", f"督促のお知らせ {tag}"]
    codes = [holder["tax_code"], holder["tax_code"], stranger["tax_code"]]
    messages = [
        notice(titles[0], ref=f"refund:{tag}"),
        notice(titles[1], ref=f"reminder:{tag}"),
        notice(titles[0], ref=f"refund:{tag}"),
    ]
    before = len(inbox_rows(fed))

    first = tax_notice(fed, keys, enc, codes, messages)
    again = tax_notice(fed, keys, enc, codes, messages)
    within = tax_notice(fed, keys, enc, codes[:1] * 2, messages[:1] * 2)

    assert first.accepted == again.accepted == [True, True, False]
    assert within.accepted == [True, True]
    assert len(inbox_rows(fed)) == before + 2
    page = pc.get("/portal/notices").text
    assert [page.count(f"<strong>{t}</strong>") for t in titles] == [1, 1]
    # the same ref from another sender is another notice
    by_pension = signed(
        http,
        keys,
        "pension",
        "/pension/api/notices",
        {
            "codes": [agency_code(fed, "pension", holder["number"])],
            "messages": [notice(titles[0], ref=f"refund:{tag}")],
        },
    )
    assert by_pension.status_code == 200 and by_pension.json()["accepted"] == [True]
    assert pc.get("/portal/notices").text.count(f"<strong>{titles[0]}</strong>") == 2


@pytest.mark.parametrize("ref", ["", "x" * 65, "a b", "a/b", "日本", 7])
def test_a_bad_ref_is_refused_by_the_sender_and_by_the_portal(
    fed, http, keys, enc, holder, pc, ref
) -> None:
    before = len(inbox_rows(fed))
    body = {"codes": [holder["tax_code"]], "messages": [notice("参照番号", ref=ref)]}

    assert signed(http, keys, "tax", "/tax/api/notices", body).status_code == 422
    with pytest.raises(ValueError, match="ref"):
        tax_notice(fed, keys, enc, body["codes"], body["messages"])
    # sealed by hand past the sender's check: the portal refuses it and keeps nothing
    answer = signed(
        http,
        keys,
        "hub",
        "/portal/api/deliveries",
        {
            "delivery_id": secrets.token_hex(8),
            "sender": "tax",
            "procedure": "tax_notice",
            "items": ["notice"],
            "codes": [portal_hub_code(fed)],
            "sealed": seal_signed(
                enc,
                {"messages": body["messages"]},
                signer="tax",
                recipient="portal",
                exchange_id="delivery:tax:tax_notice",
                procedure="tax_notice",
            ),
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == [False]
    assert len(inbox_rows(fed)) == before


def portal_hub_code(fed) -> str:
    """Some person's code at the portal (what the hub would put in a delivery)."""
    with fed.services("portal").engine.connect() as conn:
        code = conn.scalar(
            select(portal_store.accounts.c.hub_code).where(
                portal_store.accounts.c.hub_code.is_not(None)
            )
        )
    assert code is not None
    return str(code)
