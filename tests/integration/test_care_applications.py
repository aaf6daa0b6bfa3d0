"""介護ワンストップ on Mynaportal: 要介護・要支援認定の申請 (signed) and
居宅サービス計画作成依頼届出 go to the municipality as e-applications, are reviewed by its
staff and decided, and the decision comes back to the applicant as a notice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from test_applications import (
    STAFF,
    browser,
    csrf_of,
    open_form,
    own_id_of,
    person_fields,
    staff_csrf,
    status_of,
)
from test_portal_login import SIGN_PASSWORD, issue, log_in

from mynumber import jst
from mynumber.cli.phone import sign
from mynumber.orgs.portal import store as portal_store

TODAY = jst.today()


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    card = issue(fed, http)  # born 1985: a 第2号被保険者 (40-64)
    # the municipality insures them (資格取得 at 40) under the number the forms give
    insured = http.post(
        "/municipality/131016/api/care-insured",
        json={
            "resident_id": card["resident"]["id"],
            "insured_number": "1310160001",
            "qualified_on": "2025-06-15",
        },
    )
    assert insured.status_code == 201, insured.text
    assert insured.json()["category"] == "2"
    return card


def test_the_municipality_insures_from_40_and_each_number_is_one_person(fed, http, holder) -> None:
    young = http.post(
        "/municipality/131016/api/care-insured",
        json={
            "resident_id": holder["resident"]["id"],
            "insured_number": "1310160001",
            "qualified_on": "2025-06-14",  # the day before the 40th birthday
        },
    )
    assert young.status_code == 422 and "40" in young.text
    other = issue(fed, http)
    taken = http.post(
        "/municipality/131016/api/care-insured",
        json={
            "resident_id": other["resident"]["id"],
            "insured_number": "1310160001",
            "qualified_on": "2025-06-15",
        },
    )
    assert taken.status_code == 409 and "insured_number_taken" in taken.text
    for bad in ({"insured_number": "131016000"}, {"resident_id": "nobody"}):
        body = {
            "resident_id": other["resident"]["id"],
            "insured_number": "1310160002",
            "qualified_on": "2025-06-15",
        } | bad
        assert http.post("/municipality/131016/api/care-insured", json=body).status_code in (
            404,
            422,
        )


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-test-csrf"] = log_in(client, http, holder)
        yield client


@pytest.fixture
def staff(fed, as_staff) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers.update(as_staff("municipality-131016", ["reviewer"]))
        yield client


def certification(holder: dict[str, Any]) -> dict[str, str]:
    return person_fields(holder) | {
        "insured_number": "1310160001",
        "request": "new",
        "physician": "主治 一郎",
        "clinic": "みなと内科クリニック",
        "disease": "初老期における認知症",
        "health_insurer": "みなと健康保険組合",
    }


def care_plan(holder: dict[str, Any]) -> dict[str, str]:
    return person_fields(holder) | {
        "insured_number": "1310160001",
        "office": "千代田ケアプランセンター",
        "office_number": "1370000001",
        "start_date": (TODAY + dt.timedelta(days=10)).isoformat(),
    }


def submit(fed, pc: httpx.Client, kind: str, fields: dict[str, str]) -> tuple[str, str | None]:
    form = open_form(pc, kind)
    answer = pc.post(
        f"/portal/applications/new/{kind}", data=fields | {"key": form["key"], "csrf": csrf_of(pc)}
    )
    assert answer.status_code == 303, answer.text
    a, s = portal_store.applications.c, portal_store.submissions.c
    with fed.portal().engine.connect() as conn:
        application_id = conn.scalar(
            select(a.id)
            .select_from(
                portal_store.applications.join(portal_store.submissions, s.application_id == a.id)
            )
            .where(s.key == form["key"])
        )
        code = conn.scalar(
            select(portal_store.sign_requests.c.code).where(
                portal_store.sign_requests.c.id
                == select(a.sign_request_id).where(a.id == application_id).scalar_subquery()
            )
        )
    return str(application_id), code


def test_a_second_insured_person_must_name_the_specified_disease(pc, holder) -> None:
    form = open_form(pc, "care_certification")
    fields = certification(holder) | {"disease": "", "health_insurer": ""}
    answer = pc.post(
        "/portal/applications/new/care_certification",
        data=fields | {"key": form["key"], "csrf": csrf_of(pc)},
    )
    assert answer.status_code != 303  # the form comes back with the errors, nothing sent
    assert "特定疾病の記入が必要" in answer.text and "医療保険者の記入が必要" in answer.text


def test_a_care_certification_is_signed_reviewed_and_approved_into_a_notice(
    fed, http, pc, holder, staff
) -> None:
    application_id, code = submit(fed, pc, "care_certification", certification(holder))
    assert code is not None  # signed with the signing certificate
    assert sign(http, code, holder["client"], password=SIGN_PASSWORD)["result"] == "ok"
    done = pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    assert done.status_code == 303, done.text
    assert "審査中" in status_of(pc, application_id)

    own = own_id_of(fed, application_id)
    listing = staff.get(f"{STAFF}/?status=received&kind=care_certification")
    assert listing.status_code == 200 and own in listing.text
    detail = staff.get(f"{STAFF}/{own}")
    assert "初老期における認知症" in detail.text and "1310160001" in detail.text
    assert 'id="care_level"' in detail.text
    token = staff_csrf(staff, f"{STAFF}/{own}")
    # an approval decides the level: without one, or with a period out of bounds, nothing
    for missing in ({}, {"care_level": "care2", "months": "13"}):
        refused = staff.post(
            f"{STAFF}/{own}/decide",
            data={"csrf": token, "decision": "approved", "reason": ""} | missing,
        )
        assert refused.status_code in (400, 422), refused.text
        assert "審査中" in status_of(pc, application_id)
    decided = staff.post(
        f"{STAFF}/{own}/decide",
        data={"csrf": token, "decision": "approved", "reason": "", "care_level": "care2"},
    )
    assert decided.status_code == 303, decided.text
    assert "承認" in status_of(pc, application_id)
    notices = pc.get("/portal/notices").text
    assert re.search(r"【承認】要介護・要支援認定 申請書", notices)
    # the notice says the 認定: 要介護2 from the application day, 6 months to the month's end
    applied = TODAY
    month = applied.month - 1 + 6
    year, month = applied.year + month // 12, month % 12 + 1
    ends = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    link = re.search(r'href="(/portal/notices/[^"]+)"', notices)
    assert link is not None
    notice = pc.get(link.group(1)).text
    assert "要介護2" in notice and ends.isoformat() in notice
    # the municipality keeps it, and the person sees it on わたしの情報 (through the hub)
    information = pc.get("/portal/information").text
    assert "1310160001" in information and "要介護2" in information
    assert "第2号被保険者" in information and ends.isoformat() in information


def test_a_care_plan_notification_goes_unsigned_and_is_answered(fed, pc, holder, staff) -> None:
    application_id, code = submit(fed, pc, "care_plan_notification", care_plan(holder))
    assert code is None
    assert "審査中" in status_of(pc, application_id)
    own = own_id_of(fed, application_id)
    token = staff_csrf(staff, f"{STAFF}/{own}")
    decided = staff.post(
        f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "approved", "reason": ""}
    )
    assert decided.status_code == 303, decided.text
    notices = pc.get("/portal/notices").text
    assert "【承認】居宅サービス計画作成依頼（変更）届出書" in notices
