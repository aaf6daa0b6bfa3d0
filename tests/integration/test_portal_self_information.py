"""Mynaportal on the linkage hub: J-LIS links a login certificate to the portal's hub code,
わたしの情報 (自己情報) from the agencies, やりとり履歴 and its export, 公金受取口座 from
the portal — with a real card, and no My Number in the hub's or the portal's database.
Runs on SQLite and, with ``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, select, text
from test_portal_login import issue, log_in

from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.http import InProcessTransport
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork

CHIYODA = "131016"
API = f"/municipality/{CHIYODA}/api"


def signed(http: httpx.Client, keys: KeyFolder, org: str, path: str, body: Any) -> httpx.Response:
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, content))
    return http.post(path, content=content, headers=headers)


def dump(engine: Engine) -> str:
    """Every value in every table of a database, as one string."""
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
def holder(fed, http) -> dict[str, Any]:
    """A resident of Chiyoda with a card, income filed at the tax office, a pension record,
    health insurance and resident tax assessed by the municipality (each agency enrolled the
    person for its own code from the My Number it holds, as ``seed_linkage`` does; the
    municipality at registration, with no enrolment asked for)."""
    card = issue(fed, http)
    resident_id = card["resident"]["id"]
    with fed.municipality(CHIYODA).engine.connect() as conn:
        number = conn.execute(
            text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
        ).scalar_one()
    filings = [
        {"my_number": number, "year": 2023, "income_yen": 4_100_000},
        {"my_number": number, "year": 2024, "income_yen": 4_350_000},
    ]
    assert http.post("/tax/api/filings", json={"filings": filings}).status_code == 200
    pension = {"my_number": number, "category": "1", "contribution_months": 372}
    members = http.post("/pension/api/members", json={"members": [pension]})
    assert members.json() == {"enrolled": 1, "unknown": 0}, members.text
    insured = {"my_number": number, "symbol": "4711", "number": "80423", "valid_from": "2019-04-01"}
    members = http.post("/insurer/api/members", json={"members": [insured]})
    assert members.json() == {"enrolled": 1, "unknown": 0}, members.text
    taxes = {"records": [{"resident_id": resident_id, "year": 2024, "amount_yen": 215_300}]}
    assert http.post(f"{API}/linkage/resident-taxes", json=taxes).status_code == 200
    kana = f"{card['resident']['family_name_kana']} {card['resident']['given_name_kana']}"
    return card | {"number": str(number), "kana": kana}


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    """A PC browser logged in with the holder's card."""
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        client.headers["x-csrf"] = log_in(client, http, holder)
        yield client


def account_row(fed) -> dict[str, Any]:
    with fed.services("portal").engine.connect() as conn:
        rows = conn.execute(select(portal_store.accounts)).mappings().all()
    assert len(rows) == 1
    return dict(rows[0])


def latest_serial(fed) -> str:
    g = portal_store.logins.c
    with fed.services("portal").engine.connect() as conn:
        return str(
            conn.scalar(
                select(g.serial).where(g.result == "success").order_by(g.at.desc()).limit(1)
            )
        )


def test_jlis_gives_only_the_portal_its_hub_code_from_the_login_serial(fed, http, keys, pc):
    serial = latest_serial(fed)
    by_portal = signed(http, keys, "portal", "/jlis/portal/codes", {"serial": serial})
    again = signed(http, keys, "portal", "/jlis/portal/codes", {"serial": serial})
    by_agency = signed(http, keys, "tax", "/jlis/portal/codes", {"serial": serial})
    unknown = signed(http, keys, "portal", "/jlis/portal/codes", {"serial": "abcdef0123"})

    assert by_portal.status_code == 200, by_portal.text
    code = by_portal.json()["hub_code"]
    assert again.json()["hub_code"] == code  # deterministic: the same person, the same code
    assert by_agency.status_code == 403
    assert unknown.status_code == 404 and unknown.json()["title"] == "unknown_serial"
    # the portal asks once, on first need, and keeps it on the account
    assert pc.get("/portal/records").status_code == 200
    assert account_row(fed)["hub_code"] == code


def section(page: str, provider: str) -> str:
    return page.split(f'id="self-{provider}"')[1].split("</section>")[0]


def seen(html: str) -> str:
    """What a reader sees of some HTML: the text, without the tags."""
    return re.sub(r"<[^>]+>", "", html)


def test_my_information_shows_every_agency_through_the_hub(pc, holder) -> None:
    page = pc.get("/portal/information")

    assert page.status_code == 200, page.text
    assert "わたしの情報" in page.text
    tax = page.text.split('id="self-tax"')[1].split("</section>")[0]
    assert "4,350,000" in tax and "2024" in tax
    municipality = page.text.split('id="self-municipality"')[1].split("</section>")[0]
    assert "215,300" in municipality
    # the four basic items, as the municipality's registry records them
    assert holder["resident"]["family_name"] in municipality
    assert holder["resident"]["address"] in municipality
    pension = seen(section(page.text, "pension"))
    assert "372" in pension and "年金 Pension" in pension
    assert "納付月数 Months paid" in pension and "contribution_months" not in pension
    assert "No record held" not in pension
    # 被保険者種別 by its name, not its code; a benefit not yet paid reads as none
    assert "第1号被保険者" in pension
    assert "年金額（年額・円） Annual benefit (yen)なし none" in pension
    insurance = seen(section(page.text, "insurer"))
    assert "4711" in insurance and "80423" in insurance and "2019-04-01" in insurance
    assert "06139994" in insurance  # the insurer's 保険者番号
    assert "保険者番号 Insurer number" in insurance and "valid_from" not in insurance
    assert "資格喪失日 Valid toなし none" in insurance  # no end date
    assert "None" not in seen(page.text)
    household = municipality.split('data-field="household"')[1]
    assert "世帯人数" in household and "18歳未満の子" in household
    size = household.split('data-field="household_size">')[1].split("<")[0]
    children = household.split('data-field="children_under_18">')[1].split("<")[0]
    assert (size, children) == ("1", "0")  # an adult registered alone: a household of one


def test_the_exchanges_show_in_the_records_and_the_export(pc) -> None:
    pc.get("/portal/information")
    page = pc.get("/portal/records")
    exported = pc.get("/portal/records/export")

    assert page.status_code == 200 and "やりとり履歴" in page.text
    assert "自己情報提供 (マイナポータル)" in page.text
    # what a resident reads: organisations and items by name, outcomes in Japanese, JST
    shown = seen(page.text)
    assert "マイナポータル Mynaportal" in shown and "国税庁 National Tax Agency" in shown
    assert "東京都千代田区 Chiyoda City" in shown and "基本4情報 The four basic items" in shown
    assert "提供 provided" in shown and "Time (JST)" in shown
    for internal in (f"municipality-{CHIYODA}", "basic_items", "resident_tax", "UTC"):
        assert internal not in shown, internal
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    records = document["records"]
    provided = {(r["provider"], r["outcome"]) for r in records if r["requester"] == "portal"}
    assert ("tax", "provided") in provided
    assert (f"municipality-{CHIYODA}", "provided") in provided
    assert document["chain_head"]["seq"] >= records[-1]["seq"]


def test_logged_out_pages_send_to_login(fed) -> None:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as stranger:
        for path in ("/portal/information", "/portal/records", "/portal/account"):
            response = stranger.get(path)
            assert response.status_code == 303 and "/login" in response.headers["location"]
        posted = stranger.post("/portal/account/delete", data={"csrf": "x"})
        assert posted.status_code in (401, 403)


def open_account(fed, holder_kana: str, *, at: str = "0001", branch: str = "001") -> dict:
    bank = fed.bank(f"bank-{at}")
    (number,) = bank.bank.open_accounts(
        UnitOfWork(bank.engine),
        [{"branch_code": branch, "deposit_type": "1", "holder_kana": holder_kana}],
    )
    return {
        "bank_code": at,
        "branch_code": branch,
        "deposit_type": "1",
        "account_number": number,
        "holder_kana": holder_kana,
    }


def test_register_change_and_delete_the_public_fund_account_from_the_portal(
    fed, pc, holder
) -> None:
    csrf = pc.headers["x-csrf"]
    empty = pc.get("/portal/account")
    assert empty.status_code == 200 and 'id="none"' in empty.text

    mine = open_account(fed, holder["kana"], at="9900", branch="019")
    no_token = pc.post("/portal/account/register", data=mine)
    made = pc.post("/portal/account/register", data=mine | {"csrf": csrf})
    assert no_token.status_code == 403
    assert made.status_code == 200 and 'id="done"' in made.text, made.text
    assert mine["account_number"] in made.text

    family = open_account(fed, f"{holder['resident']['family_name_kana']} チチオヤ")
    refused = pc.post(
        "/portal/account/change", data=family | {"holder_kana": holder["kana"], "csrf": csrf}
    )
    assert refused.status_code == 422 and "holder_name_mismatch" in refused.text
    assert "ご家族" in refused.text
    unknown_bank = pc.post(
        "/portal/account/change", data=mine | {"bank_code": "0999", "csrf": csrf}
    )
    assert unknown_bank.status_code == 422 and "unknown_bank" in unknown_bank.text

    other = open_account(fed, holder["kana"])
    changed = pc.post("/portal/account/change", data=other | {"csrf": csrf})
    assert changed.status_code == 200 and other["account_number"] in changed.text
    unconfirmed = pc.post("/portal/account/delete", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "確認のチェック" in unconfirmed.text
    assert other["account_number"] in pc.get("/portal/account").text  # still registered
    deleted = pc.post("/portal/account/delete", data={"csrf": csrf, "confirm": "yes"})
    assert deleted.status_code == 200 and 'id="none"' in deleted.text

    records = pc.get("/portal/records/export").json()["records"]
    assert any(r["procedure"] == "public_fund_account_self_service" for r in records)


def test_the_hub_and_the_portal_hold_no_my_number(fed, holder, pc) -> None:
    pc.get("/portal/information")
    number = holder["number"]
    for org in ("hub", "portal"):
        assert number not in dump(fed.services(org).engine), org
