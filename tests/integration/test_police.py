"""The police (東京都公安委員会, ``/police``): licence records at the counter with their fees,
the licence written to the card from those records (J-LIS's grant to an approved
commission only), the link with the signing certificate (J-LIS's OCSP) that opens
Mynaportal's licence view, the online renewal course and the one-stop address change a
move-in sends through the hub."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from sqlalchemy import text, update
from test_portal_login import SIGN_PASSWORD, issue, log_in

from mynumber import jst
from mynumber import licence as rules
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.jlis import store as jlis_store
from mynumber.orgs.police.model import COURSE_CHAPTERS
from mynumber.platform.http import InProcessTransport
from mynumber.reader import JPKIClient
from mynumber.reader.cms import sign_detached
from mynumber.reader.freearea import FreeApp, FreeAreaSession, read_licence, verify_licence

API = "/police/api"
COMMISSION = "東京都公安委員会"
CHIYODA, SHINJUKU = "131016", "131041"
PHOTO = bytes(range(256)) * 8  # a synthetic licence photo


def licence_body(name: str, birth_date: str, address: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "birth_date": birth_date,
        "address": address,
        "types": ["普通"],
        "conditions": ["眼鏡等"],
        "photo": base64.b64encode(PHOTO).decode("ascii"),
        **extra,
    }


def issue_licence(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(f"{API}/licences", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def signed(card: dict[str, Any], document: dict[str, Any]) -> dict[str, str]:
    """An application signed with the card's signing key (its password)."""
    data = json.dumps(document, ensure_ascii=False).encode()
    client: JPKIClient = card["client"]
    cms = sign_detached(client, data, password=SIGN_PASSWORD)
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "cms": base64.b64encode(cms).decode("ascii"),
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    """A resident with a card and a card-only licence in the same name and birth date."""
    card = issue(fed, http)
    r = card["resident"]
    name = f"{r['family_name']} {r['given_name']}"
    issued = issue_licence(http, licence_body(name, r["birth_date"], r["address"]))
    return card | {"licence": issued["licence"], "fee": issued["fee"]}


def test_the_counter_issues_a_licence_with_its_number_and_fee(http, anonymous, as_staff) -> None:
    body = licence_body("運転 一郎", "1990-01-02", "東京都千代田区霞が関1番", holding="both")
    issued = issue_licence(http, body)
    lic = issued["licence"]
    assert rules.is_valid_number(lic["number"]) and lic["number"].startswith("30")
    assert lic["category"] == "初回" and lic["holding"] == "both"
    assert lic["commission"] == COMMISSION and lic["linked"] is False
    assert issued["fee"] == {
        "number": lic["number"],
        "kind": "first",
        "holding": "both",
        "amount": 2450,
    }
    assert dt.date.fromisoformat(lic["valid_until"]).month == 2  # a month after the birthday

    # staff only: nobody anonymous, an enquiry clerk reads but does not issue
    assert anonymous.post(f"{API}/licences", json=body).status_code == 401
    enquiry = as_staff("police", ["enquiry"])
    assert anonymous.post(f"{API}/licences", json=body, headers=enquiry).status_code == 403
    shown = anonymous.get(f"{API}/licences/{lic['number']}", headers=enquiry)
    assert shown.status_code == 200 and shown.json()["name"] == "運転 一郎"
    # bad input changes nothing
    assert http.post(f"{API}/licences", json=body | {"holding": "wallet"}).status_code == 422
    assert http.post(f"{API}/licences", json=body | {"photo": "!!"}).status_code == 422
    assert http.get(f"{API}/licences/12345").status_code == 422
    assert http.get(f"{API}/licences/300000000000").status_code == 404


def test_holding_changes_and_renewal_take_the_fees_of_the_holding(http) -> None:
    plastic = issue_licence(
        http, licence_body("運転 二郎", "1980-05-05", "東京都千代田区1番", holding="plastic")
    )
    number = plastic["licence"]["number"]
    assert plastic["fee"]["amount"] == 2350
    # plastic only: nothing to write onto a card
    refused = http.post(f"{API}/licences/{number}/card-data")
    assert refused.status_code == 409 and refused.json()["title"] == "not_on_card"
    added = http.post(f"{API}/licences/{number}/holding", json={"holding": "both"})
    assert added.status_code == 200 and added.json()["amount"] == 1500  # added to the card
    again = http.post(f"{API}/licences/{number}/holding", json={"holding": "both"})
    assert again.status_code == 409 and again.json()["title"] == "same_holding"
    renewed = http.post(f"{API}/licences/{number}/renew", json={"category": "優良"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["fee"]["amount"] == 2950  # both, renewal
    lic = renewed.json()["licence"]
    assert lic["category"] == "優良" and lic["card_pending"] is True
    card_only = http.post(f"{API}/licences/{number}/renew", json={"holding": "card"})
    assert card_only.json()["fee"]["amount"] == 2100


def test_the_licence_is_written_from_the_records_with_an_approved_commissions_grant(
    fed, http, holder, as_staff, anonymous
) -> None:
    mfg = holder["summary"]["manufacture_number"]
    grant = f"/jlis/cards/{mfg}/free-area/licence"
    # no standing approval: no session key
    refused = http.post(grant, json={"issuer": COMMISSION})
    assert refused.status_code == 403 and refused.json()["title"] == "not_approved"
    approval = http.post(
        "/jlis/free-area/approvals", json={"issuer": COMMISSION, "application": "licence"}
    )
    assert approval.status_code == 201, approval.text
    desk = as_staff("jlis", ["desk"])
    listed = anonymous.get("/jlis/free-area/approvals", headers=desk)
    assert listed.status_code == 403
    assert any(a["issuer"] == COMMISSION for a in http.get("/jlis/free-area/approvals").json())
    granted = http.post(grant, json={"issuer": COMMISSION})
    assert granted.status_code == 200, granted.text

    number = holder["licence"]["number"]
    signed_data = http.post(f"{API}/licences/{number}/card-data")
    assert signed_data.status_code == 200, signed_data.text
    data = base64.b64decode(signed_data.json()["data"])
    signature = base64.b64decode(signed_data.json()["signature"])
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    transport = ChipTransport(Chip.from_image(holder["image"].encode(), seal_key=seal))
    session = FreeAreaSession.open(
        transport, FreeApp.LICENCE, base64.b64decode(granted.json()["session_key"])
    )
    session.write_licence(data, signature, "4321")
    root = fed.settings.data_dir / "police" / "police-root.pem"
    shown = verify_licence(
        *read_licence(transport, "4321"), x509.load_pem_x509_certificate(root.read_bytes())
    )
    assert shown.number == number and shown.photo == PHOTO and shown.commission == COMMISSION
    assert http.get(f"{API}/licences/{number}").json()["card_pending"] is False


def test_no_licence_is_written_to_an_expired_card(fed, http) -> None:
    card = issue(fed, http)
    mfg = card["summary"]["manufacture_number"]
    if not any(
        a["issuer"] == COMMISSION and a["active"]
        for a in http.get("/jlis/free-area/approvals").json()
    ):
        http.post(
            "/jlis/free-area/approvals", json={"issuer": COMMISSION, "application": "licence"}
        )
    c = jlis_store.cards.c
    with fed.jlis().engine.begin() as conn:
        conn.execute(
            update(jlis_store.cards)
            .where(c.manufacture_number == mfg)
            .values(expires_on=jst.today() - dt.timedelta(days=1))
        )
    refused = http.post(f"/jlis/cards/{mfg}/free-area/licence", json={"issuer": COMMISSION})
    assert refused.status_code == 409 and refused.json()["title"] == "card_expired"


def test_an_employer_without_a_standing_approval_gets_no_session(http, holder) -> None:
    mfg = holder["summary"]["manufacture_number"]
    grant = f"/jlis/cards/{mfg}/free-area/employee"
    employer = f"DEMO 株式会社デモ{secrets.randbelow(10**6)} (社員証)"
    assert http.post(grant, json={"issuer": employer}).status_code == 403
    approved = http.post(
        "/jlis/free-area/approvals", json={"issuer": employer, "application": "employee"}
    ).json()
    assert http.post(grant, json={"issuer": employer}).status_code == 200
    # the licence application is another approval
    assert (
        http.post(f"/jlis/cards/{mfg}/free-area/licence", json={"issuer": employer}).status_code
        == 403
    )
    withdrawn = http.post(f"/jlis/free-area/approvals/{approved['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    refused = http.post(grant, json={"issuer": employer})
    assert refused.status_code == 403 and refused.json()["title"] == "not_approved"
    assert http.post(f"/jlis/free-area/approvals/{approved['id']}/withdraw").status_code == 409
    active = http.get("/jlis/free-area/approvals", params={"active": "true"}).json()
    assert all(a["issuer"] != employer for a in active)


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        client.headers["x-csrf"] = log_in(client, http, holder)
        yield client


def test_linking_with_the_signing_certificate_opens_the_portal_view(fed, http, holder, pc) -> None:
    number = holder["licence"]["number"]
    before = pc.get("/portal/licence")
    assert before.status_code == 200 and "連携されていません" in before.text

    # someone else's licence: the certificate names another person
    other = issue_licence(http, licence_body("別人 三郎", "1970-03-03", "東京都千代田区2番"))
    mismatch = http.post(
        f"{API}/links",
        json=signed(
            holder, {"kind": "licence_link", "number": other["licence"]["number"], "at": now()}
        ),
    )
    assert mismatch.status_code == 403 and mismatch.json()["title"] == "signer_mismatch"
    # a signature over other bytes fails; a stale application too
    forged = signed(holder, {"kind": "licence_link", "number": number, "at": now()})
    forged["data"] = base64.b64encode(
        json.dumps({"kind": "licence_link", "number": number, "at": now(), "x": 1}).encode()
    ).decode()
    assert http.post(f"{API}/links", json=forged).status_code == 403
    stale = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    old = http.post(
        f"{API}/links", json=signed(holder, {"kind": "licence_link", "number": number, "at": stale})
    )
    assert old.status_code == 422 and old.json()["title"] == "stale_application"

    linked = http.post(
        f"{API}/links", json=signed(holder, {"kind": "licence_link", "number": number, "at": now()})
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["linked"] is True
    assert http.get(f"{API}/licences/{number}").json()["linked"] is True

    page = pc.get("/portal/licence")
    assert page.status_code == 200
    assert number in page.text and COMMISSION in page.text and "眼鏡等" in page.text
    assert "免許証番号" in page.text and "有効期限" in page.text
    # the police's database holds no My Number, the hub's code only
    with fed.police().engine.connect() as conn:
        rows = conn.execute(text("SELECT number, hub_code FROM licences")).all()
    assert all(len(code or "") in (0, 26) for _, code in rows)


def test_the_online_course_renews_a_linked_holders_licence(http, holder) -> None:
    number = holder["licence"]["number"]

    def start(score: float) -> httpx.Response:
        document = {"kind": "online_course", "number": number, "at": now(), "face_score": score}
        return http.post(f"{API}/online-course", json=signed(holder, document))

    # a 初回 licence is not eligible; make it 一般 (renewed once at the counter)
    first = start(0.99)
    assert first.status_code == 403 and first.json()["title"] == "not_eligible"
    http.post(f"{API}/licences/{number}/renew", json={"category": "一般"})
    before = http.get(f"{API}/licences/{number}").json()

    low = start(0.42)
    assert low.status_code == 403 and low.json()["title"] == "face_mismatch"
    started = start(0.97)
    assert started.status_code == 201, started.text
    course = started.json()
    assert course["chapters"] == list(COURSE_CHAPTERS)
    path = f"{API}/online-course/{course['course_id']}/complete"
    partial = http.post(path, json={"watched": list(COURSE_CHAPTERS[:2])})
    assert partial.status_code == 422
    done = http.post(path, json={"watched": list(COURSE_CHAPTERS)})
    assert done.status_code == 200, done.text
    assert done.json()["valid_until"] > before["valid_until"]
    assert done.json()["card_pending"] is True
    assert http.post(path, json={"watched": list(COURSE_CHAPTERS)}).status_code == 409
    assert http.post(
        f"{API}/online-course/nosuchcourse/complete", json={"watched": []}
    ).status_code in (404, 422)


def test_a_move_in_reaches_the_police_for_a_card_only_holder(fed, http, holder) -> None:
    number = holder["licence"]["number"]
    new_address = f"東京都新宿区西新宿2丁目{secrets.randbelow(10**6)}番"
    moved = http.post(
        f"/municipality/{CHIYODA}/api/residents/{holder['resident']['id']}/move",
        json={"to": SHINJUKU, "address": new_address},
    )
    assert moved.status_code == 200, moved.text
    record = http.get(f"{API}/licences/{number}").json()
    assert record["address"] == new_address and record["card_pending"] is True
    # the move revoked the card's signing certificate: J-LIS's OCSP refuses it now
    again = http.post(
        f"{API}/links", json=signed(holder, {"kind": "licence_link", "number": number, "at": now()})
    )
    assert again.status_code == 403 and again.json()["title"] == "signature_refused"


def test_a_plastic_holder_is_told_to_go_to_the_police(fed, http) -> None:
    card = issue(fed, http)
    r = card["resident"]
    name = f"{r['family_name']} {r['given_name']}"
    lic = issue_licence(http, licence_body(name, r["birth_date"], r["address"], holding="both"))[
        "licence"
    ]
    linked = http.post(
        f"{API}/links",
        json=signed(card, {"kind": "licence_link", "number": lic["number"], "at": now()}),
    )
    assert linked.status_code == 200, linked.text
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as browser:
        log_in(browser, http, card)  # a Mynaportal account, for the police's notice
        moved = http.post(
            f"/municipality/{CHIYODA}/api/residents/{r['id']}/move",
            json={"to": SHINJUKU, "address": "東京都新宿区歌舞伎町1番"},
        )
        assert moved.status_code == 200, moved.text
        record = http.get(f"{API}/licences/{lic['number']}").json()
        assert record["address"] == r["address"]  # no one-stop for a plastic licence
        inbox = browser.get("/portal/notices")
        assert inbox.status_code == 200
        assert "運転免許証の住所変更のお願い" in inbox.text and "公安委員会" in inbox.text


def test_the_online_course_on_the_phone_checks_the_face_against_the_licence_photo(
    fed, http
) -> None:
    card = issue(fed, http)
    r = card["resident"]
    lic = issue_licence(
        http, licence_body(f"{r['family_name']} {r['given_name']}", r["birth_date"], r["address"])
    )["licence"]
    number = lic["number"]
    http.post(f"{API}/licences/{number}/renew", json={"category": "優良"})
    # the card in the phone's wallet, with the licence written by the police desk
    wallet = fed.settings.data_dir / "wallet"
    wallet.mkdir(exist_ok=True)
    path = wallet / "driver.card"
    CardFile(path).save(card["image"].encode())
    (wallet / "driver.json").write_text(json.dumps({"holder": "driver"}), encoding="utf-8")
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(path.read_bytes(), seal_key=seal, store=CardFile(path))
    http.post("/jlis/free-area/approvals", json={"issuer": COMMISSION, "application": "licence"})
    mfg = card["summary"]["manufacture_number"]
    key = http.post(f"/jlis/cards/{mfg}/free-area/licence", json={"issuer": COMMISSION})
    signed_data = http.post(f"{API}/licences/{number}/card-data").json()
    FreeAreaSession.open(
        ChipTransport(chip), FreeApp.LICENCE, base64.b64decode(key.json()["session_key"])
    ).write_licence(
        base64.b64decode(signed_data["data"]), base64.b64decode(signed_data["signature"]), "1357"
    )
    linked = http.post(
        f"{API}/links", json=signed(card, {"kind": "licence_link", "number": number, "at": now()})
    )
    assert linked.status_code == 200, linked.text
    before = http.get(f"{API}/licences/{number}").json()["valid_until"]

    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as phone:
        page = phone.get("/phone/licence-course")
        assert page.status_code == 200 and "driver" in page.text
        form = {"csrf": fresh(page.text), "card": "driver", "number": number, "licence_pin": "1357"}
        form["password"] = SIGN_PASSWORD
        stranger = phone.post("/phone/licence-course", data=form | {"camera": "other"})
        assert stranger.status_code == 403 and "does not match" in stranger.text
        form["csrf"] = fresh(stranger.text)  # each page sets a new form token
        wrong_pin = phone.post("/phone/licence-course", data=form | {"licence_pin": "0000"})
        assert wrong_pin.status_code == 401 and "2 tries left" in wrong_pin.text
        form["csrf"] = fresh(wrong_pin.text)
        done = phone.post("/phone/licence-course", data=form | {"camera": "holder"})
        assert done.status_code == 200 and 'id="done"' in done.text, done.text
    after = http.get(f"{API}/licences/{number}").json()
    assert after["valid_until"] > before and after["card_pending"] is True


def fresh(page: str) -> str:
    [csrf] = re.findall(r'name="csrf" value="([^"]+)"', page)
    return csrf
