"""電子申請 end to end: Mynaportal's four child-rearing forms (validation as the real ones),
a sign request signed with a real card, submission as a hub delivery sealed to the
municipality, the municipality's checks (CMS, OCSP as a registered verifier, the four
basic items against the record), staff review with the tax office's income through the hub,
and the decision back in the person's お知らせ. Runs on SQLite and, with
``--database=postgres``, on PostgreSQL."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, inspect, select, text
from test_enrolment import jlis_enrolment_down
from test_portal_login import AUTH_PIN, SIGN_PASSWORD, issue, log_in
from test_proxies import accept, act, invite, proxy_ids

from mynumber import jst
from mynumber.ages import end_of_child_period
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.phone import sign
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.municipality.services.linkage import SWEEP_INTERVAL
from mynumber.orgs.municipality.store import applications as municipality_applications
from mynumber.orgs.portal import store as portal_store
from mynumber.orgs.portal.model.forms import FORMS, validate
from mynumber.platform.deliveries import send
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import JPKIClient
from mynumber.reader.cms import sign_detached

CHIYODA = "131016"
API = f"/municipality/{CHIYODA}/api"
STAFF = f"/municipality/{CHIYODA}/applications"
TODAY = jst.today()


def ago(years: int = 0, days: int = 0) -> str:
    return (TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)).isoformat()


def browser(fed) -> httpx.Client:
    return httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    )


def with_income(fed, http, card: dict[str, Any]) -> dict[str, Any]:
    """The tax office has the person's income, and the municipality enrolled them."""
    resident_id = card["resident"]["id"]
    with fed.municipality(CHIYODA).engine.connect() as conn:
        number = conn.execute(
            text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
        ).scalar_one()
    filings = [{"my_number": number, "year": 2024, "income_yen": 3_800_000}]
    assert http.post("/tax/api/filings", json={"filings": filings}).status_code == 200
    assert (
        http.post(f"{API}/linkage/enrol", json={"resident_ids": [resident_id]}).status_code == 200
    )
    return card


@pytest.fixture(scope="module")
def holder(fed, http) -> dict[str, Any]:
    return with_income(fed, http, issue(fed, http))


@pytest.fixture(scope="module")
def pc(fed, http, holder) -> Iterator[httpx.Client]:
    with browser(fed) as client:
        client.headers["x-test-csrf"] = log_in(client, http, holder)
        yield client


@pytest.fixture
def staff(fed, as_staff) -> Iterator[httpx.Client]:
    """A reviewer of 千代田区 (a token an administrator issued)."""
    with browser(fed) as client:
        client.headers.update(as_staff("municipality-131016", ["reviewer"]))
        yield client


def csrf_of(client: httpx.Client) -> str:
    return client.headers["x-test-csrf"]


def open_form(pc: httpx.Client, kind: str) -> dict[str, str]:
    page = pc.get(f"/portal/applications/new/{kind}")
    assert page.status_code == 200, page.text
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None
    values = dict(
        re.findall(r'<input name="([a-z0-9_]+)" id="[a-z0-9_]+" value="([^"]*)"', page.text)
    )
    return {
        "key": key.group(1),
        "html": page.text,
        **{f"prefill_{k}": v for k, v in values.items()},
    }


def person_fields(holder: dict[str, Any]) -> dict[str, str]:
    r = holder["resident"]
    return {
        "name": f"{r['family_name']} {r['given_name']}",
        "kana": f"{r['family_name_kana']} {r['given_name_kana']}",
        "birth_date": r["birth_date"],
        "address": r["address"],
        "tel": "03-1234-5678",
    }


def dump(engine: Any) -> str:
    """Every value in every table of a database, as one string."""
    parts = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def child_allowance(holder: dict[str, Any]) -> dict[str, str]:
    return person_fields(holder) | {
        "spouse": "no",
        "child1_name": "試験 太郎",
        "child1_kana": "しけん たろう",  # hiragana: converted to katakana
        "child1_birth_date": ago(5),
        "child1_relation": "child",
        "child1_together": "together",
        "account": "public_fund",
    }


def valid_form(kind: str, holder: dict[str, Any]) -> dict[str, str]:
    next_month = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return {
        "child_allowance_claim": child_allowance(holder),
        "nursery_admission": person_fields(holder)
        | {
            "child1_name": "試験 次郎",
            "child1_kana": "シケン ジロウ",
            "child1_birth_date": ago(1),
            "start_month": next_month.isoformat()[:7],
            "facility1": "丸の内保育園",
            "facility2": "大手町こども園",
            "reason": "work",
            "workplace": "株式会社テスト",
            "hours_per_month": "140",
        },
        "pregnancy_notification": person_fields(holder)
        | {
            "due_date": (TODAY + dt.timedelta(days=200)).isoformat(),
            "fetuses": "1",
            "diagnosed_on": ago(days=20),
            "institution": "千代田産婦人科",
        },
        "child_rearing_allowance_status": person_fields(holder)
        | {
            "child1_name": "試験 三郎",
            "child1_kana": "シケン サブロウ",
            "child1_birth_date": ago(10),
            "situation": "divorce",
            "child_support_yen": "30000",
        },
    }[kind]


def post_form(
    pc: httpx.Client, kind: str, fields: dict[str, str], key: str, *, csrf: str | None = None
) -> httpx.Response:
    body = fields | {"key": key, "csrf": csrf_of(pc) if csrf is None else csrf}
    return pc.post(f"/portal/applications/new/{kind}", data=body)


def portal_count(fed, table) -> int:
    with fed.services("portal").engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


def municipality_rows(fed) -> list[dict[str, Any]]:
    with fed.municipality(CHIYODA).engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(municipality_applications))]


def start(fed, pc: httpx.Client, kind: str, holder: dict[str, Any]) -> tuple[str, str | None]:
    """Fill and post a form; (application id, the sign code or None)."""
    form = open_form(pc, kind)
    answer = post_form(pc, kind, valid_form(kind, holder), form["key"])
    assert answer.status_code == 303, answer.text
    a = portal_store.applications.c
    with fed.services("portal").engine.connect() as conn:
        application_id = conn.scalar(
            select(a.id)
            .select_from(
                portal_store.applications.join(
                    portal_store.submissions,
                    portal_store.submissions.c.application_id == a.id,
                )
            )
            .where(portal_store.submissions.c.key == form["key"])
        )
        sign_code = conn.scalar(
            select(portal_store.sign_requests.c.code).where(
                portal_store.sign_requests.c.id
                == select(a.sign_request_id).where(a.id == application_id).scalar_subquery()
            )
        )
    return str(application_id), sign_code


def status_of(pc: httpx.Client, application_id: str) -> str:
    page = pc.get(f"/portal/applications/{application_id}")
    assert page.status_code == 200, page.text
    return status_of_page(page.text)


def status_of_page(html: str) -> str:
    found = re.search(r'<strong id="status">([^<]+)</strong>', html)
    assert found is not None
    return found.group(1)


def staff_csrf(staff: httpx.Client, path: str) -> str:
    page = staff.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return token.group(1)


def own_id_of(fed, portal_application_id: str) -> str:
    rows = [
        r for r in municipality_rows(fed) if r["portal_application_id"] == portal_application_id
    ]
    assert len(rows) == 1
    return str(rows[0]["id"])


# --- the forms ------------------------------------------------------------------------------


def test_the_form_is_prefilled_from_my_information(pc, holder) -> None:
    form = open_form(pc, "child_allowance_claim")
    assert holder["resident"]["family_name"] in form["prefill_name"]
    assert form["prefill_address"] == holder["resident"]["address"]
    assert form["prefill_birth_date"] == holder["resident"]["birth_date"]
    assert "ｼ" not in form["prefill_kana"]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("child_allowance_claim", {"child1_name": ""}, "child1_name", "必須項目です"),
        ("child_allowance_claim", {"child1_kana": "Taro"}, "child1_kana", "全角カタカナ"),
        ("child_allowance_claim", {"child1_birth_date": ago(19)}, "child1_birth_date", "3月31日"),
        ("child_allowance_claim", {"child1_birth_date": "2020-02-30"}, "child1_birth_date", "日付"),
        (
            "child_allowance_claim",
            {"child1_birth_date": (TODAY + dt.timedelta(days=3)).isoformat()},
            "child1_birth_date",
            "未来",
        ),
        (
            "child_allowance_claim",
            {"account": "bank", "bank_code": "12", "account_holder_kana": "シケン"},
            "bank_code",
            "4桁",
        ),
        ("child_allowance_claim", {"child2_name": "試験 四郎"}, "child2_birth_date", "必須"),
        ("child_allowance_claim", {"tel": "12345"}, "tel", "10〜11桁"),
        ("nursery_admission", {"start_month": TODAY.isoformat()[:7]}, "start_month", "翌月"),
        ("nursery_admission", {"facility2": "丸の内保育園"}, "facility2", "同じ施設"),
        ("nursery_admission", {"hours_per_month": "20"}, "hours_per_month", "48時間"),
        ("nursery_admission", {"child1_birth_date": ago(7)}, "child1_birth_date", "就学前"),
        ("nursery_admission", {"reason": "holiday"}, "reason", "選択肢"),
        ("nursery_admission", {"reason": "work", "workplace": ""}, "workplace", "必須"),
        (
            "pregnancy_notification",
            {"due_date": (TODAY + dt.timedelta(days=330)).isoformat()},
            "due_date",
            "10か月",
        ),
        ("pregnancy_notification", {"due_date": ago(days=1)}, "due_date", "10か月"),
        ("pregnancy_notification", {"fetuses": "0"}, "fetuses", "1〜5"),
        (
            "child_rearing_allowance_status",
            {"child1_birth_date": ago(19)},
            "child1_birth_date",
            "3月31日",
        ),
        (
            "child_rearing_allowance_status",
            {"child1_birth_date": ago(21), "child1_disabled": "yes"},
            "child1_birth_date",
            "20歳未満",
        ),
        (
            "child_rearing_allowance_status",
            {"child_support_yen": "三万"},
            "child_support_yen",
            "数字",
        ),
    ],
)
def test_each_form_refuses_what_the_real_one_refuses(
    fed, pc, holder, kind, changes, field, message
) -> None:
    before = portal_count(fed, portal_store.applications)
    form = open_form(pc, kind)
    answer = post_form(pc, kind, valid_form(kind, holder) | changes, form["key"])
    assert answer.status_code == 422, answer.text
    shown = re.search(rf'<p class="error field-error" id="error-{field}">([^<]+)</p>', answer.text)
    assert shown is not None, f"no error next to {field}"
    assert message in shown.group(1)
    assert f'name="key" value="{form["key"]}"' in answer.text  # the same key, to fix and retry
    assert portal_count(fed, portal_store.applications) == before


def test_the_child_period_ends_on_the_first_31_march_after_turning_18() -> None:
    assert end_of_child_period(dt.date(2008, 4, 2)) == dt.date(2027, 3, 31)
    assert end_of_child_period(dt.date(2008, 4, 1)) == dt.date(2026, 3, 31)  # 早生まれ
    assert end_of_child_period(dt.date(2008, 3, 31)) == dt.date(2026, 3, 31)
    form = FORMS["child_rearing_allowance_status"]
    base = {
        "name": "試験 花子",
        "kana": "シケン ハナコ",
        "birth_date": "1985-06-15",
        "address": "東京都千代田区",
        "tel": "0312345678",
        "child1_name": "試験 一郎",
        "child1_kana": "シケン イチロウ",
        "situation": "death",
        "child_support_yen": "0",
    }
    day = dt.date(2026, 4, 1)
    _, late = validate(form, base | {"child1_birth_date": "2008-04-01"}, day)
    _, fine = validate(form, base | {"child1_birth_date": "2008-04-02"}, day)
    _, disabled = validate(
        form, base | {"child1_birth_date": "2007-01-01", "child1_disabled": "yes"}, day
    )
    assert "child1_birth_date" in late and fine == {} and disabled == {}


# --- signing, submission, review ------------------------------------------------------------


def test_a_child_allowance_claim_is_signed_submitted_reviewed_and_approved(
    fed, http, pc, holder, staff
) -> None:
    child = {  # the claimed child lives with the claimant: every child check passes
        "family_name": "試験",
        "given_name": "太郎",
        "family_name_kana": "シケン",
        "given_name_kana": "タロウ",
        "birth_date": ago(5),
        "sex": "1",
        "household_id": holder["resident"]["household_id"],
        "relationship": "子",
    }
    assert http.post(f"{API}/residents", json=child).status_code == 201
    application_id, code = start(fed, pc, "child_allowance_claim", holder)
    assert code is not None
    assert "署名待ち" in status_of(pc, application_id)
    early = pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    assert early.status_code == 409 and "sign" in early.text

    assert sign(http, code, holder["client"], password=SIGN_PASSWORD)["result"] == "ok"
    page = pc.get(f"/portal/applications/{application_id}")
    assert 'id="submit-button"' in page.text
    done = pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    assert done.status_code == 303, done.text
    assert "審査中" in status_of(pc, application_id)

    # the portal keeps the sealed payload only: no form field in clear, signed bytes dropped
    with fed.services("portal").engine.connect() as conn:
        row = conn.execute(
            select(portal_store.applications).where(
                portal_store.applications.c.id == application_id
            )
        ).one()
        kept = conn.execute(
            select(portal_store.sign_requests.c.data).where(
                portal_store.sign_requests.c.id == row.sign_request_id
            )
        ).scalar_one()
    assert row.sealed.count(".") == 4 and "試験 太郎" not in row.sealed and kept is None
    assert "試験 太郎" not in dump(fed.services("portal").engine)
    assert row.actor_code == row.applicant_code

    own = own_id_of(fed, application_id)
    listing = staff.get(f"{STAFF}/?status=received&kind=child_allowance_claim")
    assert listing.status_code == 200 and own in listing.text
    detail = staff.get(f"{STAFF}/{own}")
    assert (
        "有効" in detail.text and "試験 太郎" in detail.text and "シケン\u3000タロウ" in detail.text
    )

    token = staff_csrf(staff, f"{STAFF}/{own}")
    assert staff.post(f"{STAFF}/{own}/income", data={"csrf": token}).status_code == 303
    detail = staff.get(f"{STAFF}/{own}")
    assert "3,800,000" in detail.text
    decided = staff.post(
        f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "approved", "reason": ""}
    )
    assert decided.status_code == 303, decided.text

    assert "承認" in status_of(pc, application_id)
    notices = pc.get("/portal/notices").text
    assert "【承認】児童手当 認定請求書" in notices
    assert f"/portal/applications/{application_id}" in notices
    records = pc.get("/portal/records").text
    assert "child_allowance_claim" in records or "児童手当" in records
    assert "application_decision" in records or "審査結果" in records
    again = staff.post(
        f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "rejected", "reason": "x"}
    )
    assert again.status_code == 409


def test_fifteen_concurrent_posts_with_one_key_make_one_application(fed, pc, holder) -> None:
    form = open_form(pc, "nursery_admission")
    fields = valid_form("nursery_admission", holder)
    before = portal_count(fed, portal_store.applications)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with browser(fed) as twin:
            twin.cookies.update(pc.cookies)
            twin.headers["x-test-csrf"] = csrf_of(pc)
            answer = post_form(twin, "nursery_admission", fields, form["key"])
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post) for _ in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [303] * 15, [
        a.text for a in answers if a.status_code != 303
    ]
    assert portal_count(fed, portal_store.applications) == before + 1
    with fed.services("portal").engine.connect() as conn:
        keys = conn.scalar(
            select(func.count())
            .select_from(portal_store.submissions)
            .where(portal_store.submissions.c.key == form["key"])
        )
    assert keys == 1
    # a 16th, later and with another form body, still finds the first application
    later = post_form(pc, "nursery_admission", fields | {"facility1": "別の園"}, form["key"])
    assert later.status_code == 303
    assert portal_count(fed, portal_store.applications) == before + 1


def test_a_pregnancy_notification_needs_no_signature_and_goes_at_once(fed, pc, holder) -> None:
    application_id, code = start(fed, pc, "pregnancy_notification", holder)
    assert code is None
    assert "審査中" in status_of(pc, application_id)
    row = next(r for r in municipality_rows(fed) if r["portal_application_id"] == application_id)
    assert row["cms"] is None and json.loads(row["verdict"]) == {"signed": False}


def test_a_returned_application_is_resubmitted_as_the_same_application(
    fed, http, pc, holder, staff
) -> None:
    application_id, code = start(fed, pc, "child_rearing_allowance_status", holder)
    sign(http, code, holder["client"], password=SIGN_PASSWORD)
    pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    own = own_id_of(fed, application_id)
    token = staff_csrf(staff, f"{STAFF}/{own}")
    no_reason = staff.post(f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "returned"})
    assert no_reason.status_code == 422 and "理由が必要" in no_reason.text
    staff.post(
        f"{STAFF}/{own}/decide",
        data={"csrf": token, "decision": "returned", "reason": "養育費の額を確認してください"},
    )
    assert "差戻し" in status_of(pc, application_id)
    assert "養育費の額を確認してください" in pc.get(f"/portal/applications/{application_id}").text

    page = pc.get(f"/portal/applications/{application_id}/resubmit")
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None
    fields = valid_form("child_rearing_allowance_status", holder) | {"child_support_yen": "25000"}
    answer = pc.post(
        f"/portal/applications/{application_id}/resubmit",
        data=fields | {"key": key.group(1), "csrf": csrf_of(pc)},
    )
    assert answer.status_code == 303
    sign_id = answer.headers["location"].rsplit("/", 1)[1]
    code2 = (
        fed.portal()
        .signing.get(UnitOfWork(fed.portal().engine), sign_id, holder_code(fed, pc))
        .code
    )
    sign(http, code2, holder["client"], password=SIGN_PASSWORD)
    pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    assert "審査中" in status_of(pc, application_id)
    rows = [r for r in municipality_rows(fed) if r["portal_application_id"] == application_id]
    assert len(rows) == 1 and rows[0]["revision"] == 2 and rows[0]["status"] == "received"
    assert json.loads(rows[0]["data"])["form"]["child_support_yen"] == "25000"


def holder_code(fed, pc: httpx.Client) -> str:
    return (
        fed.portal()
        .portal.session(UnitOfWork(fed.portal().engine), pc.cookies["portal_session"])
        .portal_code
    )


# --- refusals -------------------------------------------------------------------------------


def test_a_signing_certificate_revoked_before_submission_is_refused_by_the_municipality(
    fed, http, holder
) -> None:
    mover = with_income(fed, http, issue(fed, http))
    with browser(fed) as own_pc:
        own_pc.headers["x-test-csrf"] = log_in(own_pc, http, mover)
        application_id, code = start(fed, own_pc, "child_allowance_claim", mover)
        sign(http, code, mover["client"], password=SIGN_PASSWORD)
        keys = KeyFolder(fed.settings.data_dir / "keys")
        ServiceClient(
            fed.directory,
            "jlis",
            Identity("municipality-131016", keys.private_key("municipality-131016")),
        ).request(
            "POST",
            f"/cards/{mover['summary']['manufacture_number']}/revoke-signing",
            {"reason": "affiliationChanged"},
        )
        before = len(municipality_rows(fed))
        refused = own_pc.post(
            f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(own_pc)}
        )
        assert refused.status_code == 401, refused.text
        assert "certificate is revoked" in refused.text
        assert "受付不可" in status_of(own_pc, application_id)
    assert len(municipality_rows(fed)) == before


def portal_deliver(fed, holder_hub_code: str, kind: str, message: dict[str, Any]) -> Any:
    keys = KeyFolder(fed.settings.data_dir / "keys")
    client = ServiceClient(fed.directory, "hub", Identity("portal", keys.private_key("portal")))
    return send(
        client,
        EncryptionKeys(fed.settings.data_dir / "keys"),
        procedure=kind,
        recipient="municipality",
        items=["application"],
        codes=[holder_hub_code],
        messages=[message],
        seal_to=f"municipality-{CHIYODA}",
    )


def hub_code(fed, pc: httpx.Client) -> str:
    with fed.services("portal").engine.connect() as conn:
        return str(
            conn.scalar(
                select(portal_store.accounts.c.hub_code).where(
                    portal_store.accounts.c.portal_code == holder_code(fed, pc)
                )
            )
        )


def document(application_id: str, form: dict[str, str]) -> bytes:
    return json.dumps(
        {
            "application_id": application_id,
            "revision": 1,
            "kind": "child_allowance_claim",
            "form": form,
            "display": [],
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def test_a_tampered_payload_or_cms_and_another_persons_signature_are_refused(
    fed, http, pc, holder
) -> None:
    before = municipality_rows(fed)
    data = document("0000000000forged", child_allowance(holder))
    cms = sign_detached(holder["client"], data, password=SIGN_PASSWORD)
    changed = data.replace(b"public_fund", b"bank_accnt!")
    stranger = issue(fed, http)
    foreign = sign_detached(stranger["client"], data, password=SIGN_PASSWORD)
    flipped = bytearray(cms)
    flipped[-20] ^= 0xFF
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    cases = {
        "cms_invalid": {"data": b64(changed), "cms": b64(cms)},
        "signer_mismatch": {"data": b64(data), "cms": b64(foreign)},
        "signature_required": {"data": b64(data), "cms": None},
    }
    for expected, parts in cases.items():
        message = {
            "application_id": "0000000000forged",
            "revision": 1,
            "kind": "child_allowance_claim",
        }
        result = portal_deliver(fed, hub_code(fed, pc), "child_allowance_claim", message | parts)
        assert result.accepted == [False], expected
        assert result.answers is not None and result.answers[0]["code"] == expected
    broken = {
        "application_id": "0000000000forged",
        "revision": 1,
        "kind": "child_allowance_claim",
        "data": b64(data),
        "cms": b64(bytes(flipped)),
    }
    result = portal_deliver(fed, hub_code(fed, pc), "child_allowance_claim", broken)
    assert result.accepted == [False] and result.answers[0]["code"] == "cms_invalid"
    assert municipality_rows(fed) == before


def test_another_persons_application_is_not_found(fed, http, pc, holder) -> None:
    application_id, _ = start(fed, pc, "nursery_admission", holder)
    other = issue(fed, http)
    with browser(fed) as stranger:
        stranger.headers["x-test-csrf"] = log_in(stranger, http, other)
        assert stranger.get(f"/portal/applications/{application_id}").status_code == 404
        submit = stranger.post(
            f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(stranger)}
        )
        assert submit.status_code == 404
        assert application_id not in stranger.get("/portal/applications").text
    assert application_id in pc.get("/portal/applications").text


def test_forms_without_the_csrf_token_are_refused(fed, pc, holder, staff) -> None:
    before = portal_count(fed, portal_store.applications)
    form = open_form(pc, "pregnancy_notification")
    refused = post_form(
        pc,
        "pregnancy_notification",
        valid_form("pregnancy_notification", holder),
        form["key"],
        csrf="",
    )
    assert refused.status_code == 403 and refused.json()["title"] == "csrf_refused"
    assert portal_count(fed, portal_store.applications) == before
    application_id, _ = start(fed, pc, "nursery_admission", holder)
    assert pc.post(f"/portal/applications/{application_id}/submit", data={}).status_code == 403
    sent, _ = start(fed, pc, "pregnancy_notification", holder)
    own = own_id_of(fed, sent)
    # a reviewer in a browser: a cookie session, whose forms need its CSRF token
    municipality = fed.services("municipality-131016").staff
    reviewer = municipality.add(
        name="審査 一郎", roles=["reviewer"], auth_serial=secrets.token_hex(8)
    )
    with browser(fed) as cookie_staff:
        cookie_staff.cookies.set("staff_session", municipality.issue_token(reviewer.id).token)
        cookie_staff.get(f"{STAFF}/{own}")
        decide = f"{STAFF}/{own}/decide"
        assert cookie_staff.post(decide, data={"decision": "approved"}).status_code == 403
        assert cookie_staff.post(f"{STAFF}/{own}/income", data={"csrf": "wrong"}).status_code == 403
        assert "受付" in cookie_staff.get(f"{STAFF}/{own}").text


def test_an_expired_sign_request_is_made_again_for_the_same_bytes(fed, http, pc, holder) -> None:
    application_id, code = start(fed, pc, "nursery_admission", holder)
    signing = fed.portal().signing
    real = signing.clock
    try:
        signing.clock = lambda: real() + dt.timedelta(minutes=11)
        with pytest.raises(Exception, match="expired"):
            sign(http, code, holder["client"], password=SIGN_PASSWORD)
    finally:
        signing.clock = real
    again = pc.post(f"/portal/applications/{application_id}/sign-again", data={"csrf": csrf_of(pc)})
    assert again.status_code == 303
    new_id = again.headers["location"].rsplit("/", 1)[1]
    fresh = signing.get(UnitOfWork(fed.portal().engine), new_id, holder_code(fed, pc))
    assert fresh.code != code and fresh.data is not None
    current = fed.portal().applications.get(
        UnitOfWork(fed.portal().engine), application_id, holder_code(fed, pc)
    )
    assert current["sign_request_id"] == new_id
    sign(http, fresh.code, holder["client"], password=SIGN_PASSWORD)
    done = pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(pc)})
    assert done.status_code == 303
    assert "審査中" in status_of(pc, application_id)
    late = pc.post(f"/portal/applications/{application_id}/sign-again", data={"csrf": csrf_of(pc)})
    assert late.status_code == 409


def test_a_proxy_applies_with_an_apply_right_and_signs_with_their_own_card(
    fed, http, pc, holder, staff
) -> None:
    kind = "child_allowance_claim"
    pc.headers["x-csrf"] = csrf_of(pc)
    agent_card, viewer_card = issue(fed, http), issue(fed, http)
    with browser(fed) as agent, browser(fed) as viewer:
        for client, card in ((agent, agent_card), (viewer, viewer_card)):
            client.headers["x-csrf"] = client.headers["x-test-csrf"] = log_in(client, http, card)
        assert accept(agent, invite(pc, "apply")).status_code == 200
        assert accept(viewer, invite(pc, "view")).status_code == 200

        assert act(viewer, proxy_ids(viewer)[0]).status_code < 400
        before = portal_count(fed, portal_store.applications)
        form = open_form(viewer, kind)
        refused = post_form(viewer, kind, valid_form(kind, holder), form["key"])
        assert refused.status_code == 403 and refused.json()["title"] == "proxy_refused"
        assert portal_count(fed, portal_store.applications) == before

        assert act(agent, proxy_ids(agent)[0]).status_code < 400
        form = open_form(agent, kind)
        assert form["prefill_address"] == holder["resident"]["address"]  # the principal's
        answer = post_form(agent, kind, valid_form(kind, holder), form["key"])
        assert answer.status_code == 303, answer.text
        agent_code = holder_code(fed, agent)
        asked = fed.portal().signing.get(
            UnitOfWork(fed.portal().engine),
            answer.headers["location"].rsplit("/", 1)[1],
            agent_code,
        )
        sign(http, asked.code, agent_card["client"], password=SIGN_PASSWORD)
        application_id = asked.next_path.rsplit("/", 1)[1]
        done = agent.post(
            f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(agent)}
        )
        assert done.status_code == 303, done.text

    with fed.services("portal").engine.connect() as conn:
        row = conn.execute(
            select(portal_store.applications).where(
                portal_store.applications.c.id == application_id
            )
        ).one()
    assert row.actor_code == agent_code and row.applicant_code == holder_code(fed, pc)
    assert row.status == "submitted"
    kept = next(r for r in municipality_rows(fed) if r["portal_application_id"] == application_id)
    assert kept["resident_id"] == holder["resident"]["id"]
    verdict = json.loads(kept["verdict"])
    agent_name = f"{agent_card['resident']['family_name']}{agent_card['resident']['given_name']}"
    assert (
        verdict["basic_items"] == "proxy"
        and verdict["proxy_name"].replace(" ", "").replace("\u3000", "") == agent_name
    )
    assert application_id in pc.get("/portal/applications").text  # the principal sees it
    log = pc.get("/portal/proxies").text.split('id="proxy-actions"')[1]
    assert "申請" in log and kind in log  # recorded for the principal


def test_the_same_application_delivered_twice_at_once_is_kept_once(fed, pc, holder) -> None:
    """Identical deliveries of one application arriving together (a retry racing the first):
    each is answered as the first was — accepted, with the same id — and one row is kept."""
    application_id = secrets.token_hex(8)
    form = valid_form("pregnancy_notification", holder)
    data = json.dumps(
        {
            "application_id": application_id,
            "revision": 1,
            "kind": "pregnancy_notification",
            "form": form,
            "display": [],
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    message = {
        "application_id": application_id,
        "revision": 1,
        "kind": "pregnancy_notification",
        "data": base64.b64encode(data).decode(),
        "cms": None,
    }
    code = hub_code(fed, pc)
    engine = fed.municipality(CHIYODA).engine
    # hold each delivery at its INSERT until both have looked and found nothing: the two
    # really are at once, whatever the machine's timing
    at_insert = threading.Barrier(2, timeout=5)
    held = threading.local()

    def meet(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO applications") and not getattr(held, "once", False):
            held.once = True
            with contextlib.suppress(threading.BrokenBarrierError):
                at_insert.wait()

    results: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            result = portal_deliver(fed, code, "pregnancy_notification", message)
        except BaseException as exc:
            with lock:
                failures.append(exc)
            return
        with lock:
            results.append(result)

    event.listen(engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        event.remove(engine, "before_cursor_execute", meet)

    assert not at_insert.broken, "the two deliveries did not meet at the insert"
    assert failures == []
    assert [r.accepted for r in results] == [[True]] * 2
    assert {r.answers[0]["status"] for r in results} == {"received"}
    own_ids = {r.answers[0]["id"] for r in results}
    rows = [r for r in municipality_rows(fed) if r["portal_application_id"] == application_id]
    assert len(rows) == 1 and own_ids == {rows[0]["id"]}


def test_a_delivery_the_hub_could_not_pass_on_shows_the_hubs_reason_on_the_portal(
    fed, http
) -> None:
    linkage = fed.municipality(CHIYODA).linkage
    linkage.sweep_interval = float("inf")  # no sweep enrols the person during the test
    try:
        with jlis_enrolment_down(fed):
            stranger = issue(fed, http)  # registered and given a card, but not enrolled
        with browser(fed) as own_pc:
            own_pc.headers["x-test-csrf"] = log_in(own_pc, http, stranger)
            kind = "pregnancy_notification"
            form = open_form(own_pc, kind)
            answer = post_form(own_pc, kind, valid_form(kind, stranger), form["key"])
            a = portal_store.applications.c
            with fed.services("portal").engine.connect() as conn:
                application_id = conn.scalar(
                    select(a.id).where(
                        a.id
                        == select(portal_store.submissions.c.application_id)
                        .where(portal_store.submissions.c.key == form["key"])
                        .scalar_subquery()
                    )
                )
            page = own_pc.get(f"/portal/applications/{application_id}")
    finally:
        linkage.sweep_interval = SWEEP_INTERVAL

    assert answer.status_code in (303, 401), answer.text
    assert "受付不可" in status_of_page(page.text)
    assert "no reason given" not in page.text
    assert f"municipality-{CHIYODA} holds no record of this person" in page.text


def checks_on(html: str, child: int) -> dict[str, str]:
    """``{check: "yes"|"no"}`` of one claimed child's row on the review page."""
    row = html.split(f'id="child-{child}"')[1].split("</tr>")[0]
    return dict(re.findall(r'data-check="([a-z_]+)" data-ok="(yes|no)"', row))


def test_the_review_shows_each_claimed_childs_checks_and_an_approval_past_them_needs_a_reason(
    fed, http, staff, person
) -> None:
    # an 84-year-old living alone claims for a 6-year-old nobody registered and for a
    # 4-year-old who lives in another household
    elder = register_and_card(fed, http, person(birth_date=ago(84), sex="2"))
    other_home = person(
        family_name="試験",
        given_name="花子",
        family_name_kana="シケン",
        given_name_kana="ハナコ",
        birth_date=ago(4),
    )
    assert http.post(f"{API}/residents", json=other_home).status_code == 201
    with browser(fed) as own_pc:
        own_pc.headers["x-test-csrf"] = log_in(own_pc, http, elder)
        kind = "child_allowance_claim"
        fields = child_allowance(elder) | {
            "child1_birth_date": ago(6),
            "child2_name": "試験 花子",
            "child2_kana": "シケン ハナコ",
            "child2_birth_date": ago(4),
            "child2_relation": "grandchild",
            "child2_together": "together",
        }
        form = open_form(own_pc, kind)
        assert post_form(own_pc, kind, fields, form["key"]).status_code == 303
        a = portal_store.applications.c
        with fed.services("portal").engine.connect() as conn:
            application_id, sign_code = conn.execute(
                select(a.id, portal_store.sign_requests.c.code)
                .select_from(
                    portal_store.applications.join(
                        portal_store.submissions,
                        portal_store.submissions.c.application_id == a.id,
                    ).join(
                        portal_store.sign_requests,
                        portal_store.sign_requests.c.id == a.sign_request_id,
                    )
                )
                .where(portal_store.submissions.c.key == form["key"])
            ).one()
        assert sign(http, sign_code, elder["client"], password=SIGN_PASSWORD)["result"] == "ok"
        submitted = own_pc.post(
            f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(own_pc)}
        )
        assert submitted.status_code == 303, submitted.text
    own = own_id_of(fed, application_id)
    municipality_staff = fed.services(f"municipality-{CHIYODA}").staff
    before = municipality_staff.log_entries(limit=100_000)[-1]["seq"]

    page = staff.get(f"{STAFF}/{own}")

    assert page.status_code == 200, page.text
    assert checks_on(page.text, 1) == {
        "on_registry": "no",
        "in_household": "no",
        "eligible_age": "yes",
    }
    assert checks_on(page.text, 2) == {
        "on_registry": "yes",
        "in_household": "no",
        "eligible_age": "yes",
    }
    row = page.text.split('id="child-1"')[1].split("</tr>")[0]
    assert "<td>6</td>" in row
    assert 'id="override"' in page.text
    # the child found on the registry was read for the application, and the read logged
    reads = [
        e for e in municipality_staff.log_entries(after=before) if e["action"] == "households.read"
    ]
    assert [e["purpose"] for e in reads] == [f"application:{own}"]

    token = staff_csrf(staff, f"{STAFF}/{own}")
    refused = staff.post(
        f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "approved", "reason": ""}
    )
    assert refused.status_code == 422, refused.text
    assert "override" in refused.text
    assert municipality_rows_by_id(fed, own)["status"] == "received"

    approved = staff.post(
        f"{STAFF}/{own}/decide",
        data={
            "csrf": token,
            "decision": "approved",
            "reason": "",
            "override": "孫と同居の届出を窓口で確認済み",
        },
    )

    assert approved.status_code == 303, approved.text
    kept = municipality_rows_by_id(fed, own)
    assert kept["status"] == "approved"
    assert kept["override_reason"] == "孫と同居の届出を窓口で確認済み"
    recorded = json.loads(kept["checks"])
    assert [(c["child"], c["on_registry"], c["in_household"]) for c in recorded] == [
        (1, False, False),
        (2, True, False),
    ]
    assert "孫と同居の届出を窓口で確認済み" in staff.get(f"{STAFF}/{own}").text


def test_a_claim_whose_children_all_pass_is_approved_without_an_override(
    fed, http, staff, person
) -> None:
    parent = register_and_card(fed, http, person(birth_date=ago(35), sex="2"))
    child = person(
        family_name="試験",
        given_name="太郎",
        family_name_kana="シケン",
        given_name_kana="タロウ",
        birth_date=ago(5),
    )
    child.pop("address")
    child |= {"household_id": parent["resident"]["household_id"], "relationship": "子"}
    assert http.post(f"{API}/residents", json=child).status_code == 201, child
    with browser(fed) as own_pc:
        own_pc.headers["x-test-csrf"] = log_in(own_pc, http, parent)
        application_id, code = start(fed, own_pc, "child_allowance_claim", parent)
        assert sign(http, code, parent["client"], password=SIGN_PASSWORD)["result"] == "ok"
        own_pc.post(f"/portal/applications/{application_id}/submit", data={"csrf": csrf_of(own_pc)})
    own = own_id_of(fed, application_id)

    page = staff.get(f"{STAFF}/{own}")

    assert checks_on(page.text, 1) == {
        "on_registry": "yes",
        "in_household": "yes",
        "eligible_age": "yes",
    }
    assert 'id="override"' not in page.text
    token = staff_csrf(staff, f"{STAFF}/{own}")
    decided = staff.post(
        f"{STAFF}/{own}/decide", data={"csrf": token, "decision": "approved", "reason": ""}
    )
    assert decided.status_code == 303, decided.text
    assert municipality_rows_by_id(fed, own)["override_reason"] is None


def municipality_rows_by_id(fed, own_id: str) -> dict[str, Any]:
    return next(r for r in municipality_rows(fed) if r["id"] == own_id)


def register_and_card(fed, http, body: dict[str, Any]) -> dict[str, Any]:
    """A new resident of Chiyoda registered from ``body``, living alone, with a card."""
    resident = http.post(f"{API}/residents", json=body)
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"{API}/residents/{resident.json()['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": SIGN_PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(answer.json()["card_image"].encode(), seal_key=seal)
    return {
        "resident": resident.json(),
        "summary": answer.json()["summary"],
        "client": JPKIClient(ChipTransport(chip)),
    }
