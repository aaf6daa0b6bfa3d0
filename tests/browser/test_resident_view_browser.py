"""What a resident reads on Mynaportal, in Chromium: organisations by name rather than
internal codes, labelled items and outcomes, JST times, no ``None``, English readable inside
buttons, a confirmation before the public-fund account is deleted, and the root index in
the shared look."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import text

from mynumber import jst
from mynumber.orgs.bank.app import Bank
from mynumber.platform.db import create_org_engine
from mynumber.platform.uow import UnitOfWork

pytestmark = pytest.mark.browser

PIN = "1234"  # the demo cards' PIN (printed by mynumber run)
WAIT = 30_000  # generous: the machine running the suite may be busy
JST = dt.timezone(dt.timedelta(hours=9))
#: What must never reach a resident's eyes on these pages.
INTERNAL = ("municipality-131016", "basic_items", "resident_tax", "not_found", "None", "UTC")


def chiyoda_card(server: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in server["wallet"] if c["municipality"] == "131016")


def log_in(server: dict[str, Any], context: BrowserContext) -> Page:
    """The PC logged in by the QR code, approved on the phone app with Chiyoda's demo card."""
    context.set_default_timeout(WAIT)
    pc = context.new_page()
    pc.goto(server["url"] + "/portal/login")
    phone_url = pc.locator("#login a[target=_blank]").get_attribute("href")
    assert phone_url
    phone = context.browser.new_context().new_page()  # type: ignore[union-attr]
    phone.set_default_timeout(WAIT)
    phone.goto(phone_url)
    phone.select_option("#card", chiyoda_card(server)["card"].removesuffix(".card"))
    phone.fill("#pin", PIN)
    phone.click("#approve-button")
    pc.wait_for_url("**/portal/home")
    phone.context.close()
    return pc


def own_account(server: dict[str, Any]) -> dict[str, str]:
    """An open account at a demo bank in the Chiyoda card holder's own name."""
    card = chiyoda_card(server)
    town = create_org_engine(server["settings"], "municipality-131016")
    with town.connect() as conn:
        family, given = conn.execute(
            text("SELECT family_name_kana, given_name_kana FROM residents WHERE id = :id"),
            {"id": card["resident_id"]},
        ).one()
    town.dispose()
    engine = create_org_engine(server["settings"], "bank-0001")
    (number,) = Bank(code="0001").open_accounts(
        UnitOfWork(engine),
        [{"branch_code": "001", "deposit_type": "1", "holder_kana": f"{family} {given}"}],
    )
    engine.dispose()
    return {"bank_code": "0001", "branch_code": "001", "number": number, "kana": family + given}


def test_home_names_the_municipality_and_is_not_my_information(
    server: dict[str, Any], context: BrowserContext
) -> None:
    pc = log_in(server, context)

    expect(pc.locator("h1")).to_contain_text("ホーム")
    expect(pc.locator("#municipality")).to_have_text("東京都千代田区 Chiyoda City")
    for internal in INTERNAL:
        expect(pc.locator("main")).not_to_contain_text(internal)


def test_records_show_names_labels_and_jst(server: dict[str, Any], context: BrowserContext) -> None:
    pc = log_in(server, context)
    pc.goto(server["url"] + "/portal/information")  # the portal asks every agency once
    expect(pc.locator("#self-pension")).to_contain_text("被保険者種別")
    category = pc.locator('#self-pension td[data-field="category"]').inner_text().strip()
    assert any(name in category for name in ("被保険者", "年金受給者")), category
    for internal in INTERNAL:
        expect(pc.locator("main")).not_to_contain_text(internal)

    pc.goto(server["url"] + "/portal/records")
    records = pc.locator("#records")
    expect(records).to_contain_text("マイナポータル")
    expect(records).to_contain_text("日本年金機構")
    expect(records).to_contain_text("東京都千代田区")
    expect(records).to_contain_text("基本4情報")
    expect(records).to_contain_text("Time (JST)")
    # raw codes never show; the outcomes' English words ("delivered") are part of their labels
    for internal in (*INTERNAL, "portal", "pension", "oqs", "eligibility_copy", "not_delivered"):
        expect(records).not_to_contain_text(re.compile(rf"\b{internal}\b"))
    expect(records).not_to_contain_text("holds no record")
    outcomes = records.locator("td.outcome").all_inner_texts()
    assert outcomes and all(re.match(r"[\u3000-\u9fff]", o) for o in outcomes), outcomes
    # the newest record was made moments ago: read in JST, it is near the JST clock (UTC
    # would be nine hours off)
    shown = records.locator("td.at").first.inner_text()
    at = dt.datetime.strptime(shown, "%Y-%m-%d %H:%M:%S").replace(tzinfo=JST)
    assert abs(jst.now() - at) < dt.timedelta(hours=1), shown


def test_deleting_the_public_fund_account_needs_a_confirmation(
    server: dict[str, Any], context: BrowserContext
) -> None:
    account = own_account(server)
    pc = log_in(server, context)
    pc.goto(server["url"] + "/portal/account")
    form = pc.locator("#account-form")
    form.locator("input[name=bank_code]").fill(account["bank_code"])
    form.locator("input[name=branch_code]").fill(account["branch_code"])
    form.locator("input[name=account_number]").fill(account["number"])
    form.locator("input[name=holder_kana]").fill(account["kana"])
    form.locator("button[type=submit]").click()
    expect(pc.locator("#account-number")).to_have_text(account["number"])
    # the English inside a primary button is as readable as the Japanese beside it
    button = form.locator("button[type=submit]")
    label = button.locator(".en")
    assert label.evaluate("e => getComputedStyle(e).color") == button.evaluate(
        "e => getComputedStyle(e).color"
    )

    # the delete button is not on the page until the resident opens the step
    expect(pc.locator("#delete")).to_be_hidden()
    pc.click("#delete-open")
    expect(pc.locator("#delete")).to_be_visible()
    assert "danger" in (pc.locator("#delete").get_attribute("class") or "")
    # without the tick the browser does not send the form
    pc.click("#delete")
    assert pc.locator("#delete-confirm").evaluate("e => e.validity.valueMissing")
    expect(pc.locator("#account-number")).to_have_text(account["number"])
    pc.check("#delete-confirm")
    pc.click("#delete")
    expect(pc.locator("#done")).to_contain_text("登録を抹消しました")
    expect(pc.locator("#none")).to_be_visible()


def test_the_root_index_has_the_shared_look(
    server: dict[str, Any], context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(server["url"] + "/")
    expect(page.locator("header")).to_be_visible()
    expect(page.locator("#orgs")).to_contain_text("マイナポータル")
    page.click("#orgs >> text=マイナポータル")
    page.wait_for_url("**/portal/login")


def test_the_oidc_error_page_speaks_japanese_and_english(
    server: dict[str, Any], context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(server["url"] + "/portal/oidc/authorize?client_id=rp_nobody&response_type=code")
    expect(page.locator("#error")).to_contain_text(
        "このサービスはマイナポータルに登録されていません"
    )
    expect(page.locator("#error")).to_contain_text("This service is not registered")
    expect(page.locator("#error")).not_to_contain_text("does not exist on this server")
