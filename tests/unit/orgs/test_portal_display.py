"""How the portal's pages name things: organisations, items, outcomes, coded values, JST."""

from __future__ import annotations

import datetime as dt

import jinja2
import pytest

from mynumber.orgs.portal.model import names as display
from mynumber.orgs.portal.web.pages import install_filters


def test_organisations_read_as_their_public_names() -> None:
    assert display.organisation("municipality-131016") == display.Label(
        "東京都千代田区", "Chiyoda City"
    )
    assert display.organisation("tax").ja == "国税庁"
    assert display.organisation("portal").ja == "マイナポータル"
    assert display.municipality("131041").ja == "東京都新宿区"
    # an unknown municipality still reads as a municipality, never as the bare code
    assert display.organisation("municipality-999999").ja == "市区町村 999999"


@pytest.mark.parametrize(
    ("code", "ja"),
    [("basic_items", "基本4情報"), ("decision", "決定"), ("resident_tax", "住民税")],
)
def test_linkage_items_read_in_japanese(code: str, ja: str) -> None:
    assert display.item(code).ja == ja


@pytest.mark.parametrize(
    ("code", "ja"), [("provided", "提供"), ("delivered", "送達"), ("not_found", "該当なし")]
)
def test_every_outcome_has_a_japanese_label(code: str, ja: str) -> None:
    assert display.outcome(code).ja == ja


def test_coded_and_missing_values_are_labelled() -> None:
    assert display.value("category", "R").ja == "年金受給者"
    assert display.value("category", "1").ja == "第1号被保険者"
    assert display.value("valid_to", None) is display.NONE
    assert display.value("symbol", "4711") == "4711"


def test_times_read_in_jst_whatever_form_the_store_gives() -> None:
    aware = dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)
    naive = dt.datetime(2026, 3, 31, 15, 30)  # SQLite gives back UTC without a zone
    assert display.jst(aware) == "2026-04-01 00:30"
    assert display.jst(naive) == "2026-04-01 00:30"
    assert display.jst("2026-03-31T15:30:00.000001+00:00", "%H:%M:%S") == "00:30:00"
    assert display.jst(None) == ""


def test_oauth_errors_are_explained_and_unknown_ones_too() -> None:
    assert "登録されていません" in display.oauth_error("invalid_client").ja
    assert display.oauth_error("made_up") is display.OAUTH_UNKNOWN


def test_a_label_renders_both_languages_and_escapes_them() -> None:
    env = jinja2.Environment(autoescape=True)
    install_filters(env)
    page = env.from_string("{{ 'tax' | org }}|{{ x | item }}|{{ t | jst }}").render(
        x="<b>", t=dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    )
    assert page == '国税庁 <span class="en">National Tax Agency</span>|&lt;b&gt;|2026-01-01 09:00'
    assert str(display.organisation("tax")) == "国税庁 / National Tax Agency"
