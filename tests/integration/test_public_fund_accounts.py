"""公金受取口座: banks that answer only "exists, open, held by this name", the registry of one
account per person (bank counter route, checks with the bank, a family member's account
refused), and paying agencies getting the account through the hub, recorded.

Runs on SQLite, or PostgreSQL with ``--database=postgres``; every hop is a signed HTTP
request carried in-process.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography import x509
from sqlalchemy import select

from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli.phone import approve
from mynumber.orgs.municipality import store as registry_store
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.encryption import EncryptionKeys, open_answer
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import JPKIClient, KeyKind

CHIYODA = "131016"
CHIYODA_ORG = f"municipality-{CHIYODA}"
MIZUHO, MUFG = "0001", "0005"
COUNTER = "/accounts/api/bank-counter"
AUTH_PIN = "1234"  # demo value


def signed(http: httpx.Client, keys: KeyFolder, org: str, path: str, body: Any) -> httpx.Response:
    """A POST signed as ``org`` (as that organisation's own client would send it)."""
    content = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    headers.update(Identity(org, keys.private_key(org)).sign("POST", path, content))
    return http.post(path, content=content, headers=headers)


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module", autouse=True)
def demo(fed) -> int:
    """Demo residents, the agencies' records, then banks and registrations (in that order)."""
    fed.seed(CHIYODA, 40)
    fed.seed_linkage()
    return fed.seed_accounts()


def open_account(fed, holder_kana: str, *, at: str = MIZUHO, branch: str = "001") -> dict[str, str]:
    """The bank's back office opens an account (no API does: banks answer one question)."""
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


def close_account(fed, account: dict[str, str]) -> None:
    """The bank's back office closes the account (at its own bank)."""
    bank = fed.bank(f"bank-{account['bank_code']}")
    bank.bank.close_account(
        UnitOfWork(bank.engine), account["branch_code"], "1", account["account_number"]
    )


@pytest.fixture
def resident(http, person, number_of) -> dict[str, Any]:
    """A new adult resident of Chiyoda with the My Number they would show at a counter."""
    response = http.post(f"/municipality/{CHIYODA}/api/residents", json=person())
    assert response.status_code == 201, response.text
    body = response.json()
    number = number_of(CHIYODA, body["id"])
    assert number is not None
    return body | {
        "number": number,
        "kana": f"{body['family_name_kana']} {body['given_name_kana']}",
    }


def at_counter(http, keys, resident, account, *, bank: str = MIZUHO, action: str = "register"):
    body = {"my_number": resident["number"], "account": account}
    return signed(http, keys, f"bank-{bank}", f"{COUNTER}/{action}", body)


# --- the banks ----------------------------------------------------------------------------


def test_a_bank_says_only_whether_the_account_exists_is_open_and_is_held_by_the_name(
    fed, http, keys
):
    account = open_account(fed, "ヤマダ タロウ")
    path = f"/bank/{MIZUHO}/api/accounts/verify"
    ask = {k: account[k] for k in ("branch_code", "deposit_type", "account_number")}

    yes = signed(http, keys, "accounts", path, ask | {"holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"})
    other_name = signed(http, keys, "accounts", path, ask | {"holder_kana": "ヤマダ ハナコ"})
    unknown = signed(
        http, keys, "accounts", path, ask | {"account_number": "1", "holder_kana": "ヤマダ"}
    )
    unsigned = http.post(path, json=ask | {"holder_kana": "ヤマダ タロウ"})

    assert yes.json() == {"ok": True, "reason": None}
    assert other_name.json() == {"ok": False, "reason": "holder_name_mismatch"}
    assert unknown.json() == {"ok": False, "reason": "no_such_account"}
    assert unsigned.status_code == 401
    close_account(fed, account)
    closed = signed(http, keys, "accounts", path, ask | {"holder_kana": "ヤマダ タロウ"})
    assert closed.json() == {"ok": False, "reason": "account_closed"}


# --- the registry: the bank counter -------------------------------------------------------


def test_register_at_the_counter_then_one_account_per_person_then_change_and_delete(
    fed, http, keys, resident
):
    first = open_account(fed, resident["kana"])
    second = open_account(fed, resident["kana"], at=MUFG, branch="002")

    registered = at_counter(http, keys, resident, first)
    again = at_counter(http, keys, resident, second, bank=MUFG)
    changed = at_counter(http, keys, resident, second, bank=MUFG, action="change")

    assert registered.status_code == 201, registered.text
    assert registered.json()["bank_name"] == "みずほ"
    assert registered.json()["channel"] == "bank_counter"
    assert again.status_code == 409 and again.json()["title"] == "already_registered"
    assert changed.status_code == 200, changed.text
    assert (changed.json()["bank_code"], changed.json()["branch_code"]) == (MUFG, "002")
    delete = {"my_number": resident["number"]}
    assert signed(http, keys, f"bank-{MUFG}", f"{COUNTER}/delete", delete).status_code == 204
    gone = signed(http, keys, f"bank-{MUFG}", f"{COUNTER}/delete", delete)
    assert gone.status_code == 404 and gone.json()["title"] == "not_registered"


def test_the_registry_keeps_its_own_code_never_the_my_number(fed, http, keys, resident):
    assert at_counter(http, keys, resident, open_account(fed, resident["kana"])).status_code == 201
    with fed.accounts().engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM holders").all()
    assert rows and all(resident["number"] not in " ".join(map(str, r)) for r in rows)


@pytest.mark.parametrize(
    ("change", "status", "title", "field"),
    [
        ({"bank_code": "9999"}, 422, "unknown_bank", "bank_code"),
        ({"branch_code": "999"}, 422, "unknown_branch", "branch_code"),
        ({"account_number": "12345678"}, 422, "malformed_code", "account_number"),
        ({"account_number": "12a4567"}, 422, "malformed_code", "account_number"),
        ({"deposit_type": "9"}, 422, "malformed_code", "deposit_type"),
    ],
)
def test_bad_bank_branch_or_account_numbers_are_refused_and_nothing_is_kept(
    fed, http, keys, resident, change, status, title, field
):
    account = open_account(fed, resident["kana"]) | change

    response = at_counter(http, keys, resident, account)

    assert response.status_code == status, response.text
    assert (response.json()["title"], response.json()["field"]) == (title, field)
    assert at_counter(http, keys, resident, account, action="change").status_code == status


def test_a_family_members_account_is_refused_with_the_reason(fed, http, keys, resident):
    parent = open_account(fed, f"{resident['family_name_kana']} ハハオヤ")

    response = at_counter(http, keys, resident, parent | {"holder_kana": resident["kana"]})

    assert response.status_code == 422, response.text
    assert response.json()["title"] == "holder_name_mismatch"
    assert "own name" in response.json()["detail"]
    assert "family member" in response.json()["detail"]


def test_a_closed_account_is_refused(fed, http, keys, resident):
    account = open_account(fed, resident["kana"])
    close_account(fed, account)

    response = at_counter(http, keys, resident, account)

    assert response.status_code == 422, response.text
    assert response.json()["title"] == "account_closed"


def test_a_bank_registers_only_accounts_held_at_itself_and_only_banks_may_call(
    fed, http, keys, resident
):
    account = open_account(fed, resident["kana"], at=MUFG)

    elsewhere = at_counter(http, keys, resident, account, bank=MIZUHO)
    not_a_bank = signed(
        http,
        keys,
        "tax",
        f"{COUNTER}/register",
        {"my_number": resident["number"], "account": account},
    )

    assert elsewhere.status_code == 403 and elsewhere.json()["title"] == "not_this_bank"
    assert not_a_bank.status_code == 403


def test_an_unknown_my_number_registers_nothing(fed, http, keys, resident):
    account = open_account(fed, resident["kana"])
    response = at_counter(http, keys, resident | {"number": "123456789018"}, account)
    assert response.status_code in (404, 422), response.text


# --- a paying agency, through the hub -----------------------------------------------------


def municipality_code(fed, http, resident_id: str) -> str:
    enrolled = http.post(
        f"/municipality/{CHIYODA}/api/linkage/enrol", json={"resident_ids": [resident_id]}
    )
    assert enrolled.status_code == 200, enrolled.text
    with fed.municipality(CHIYODA).engine.connect() as conn:
        return str(
            conn.scalar(
                select(registry_store.agency_codes.c.code).where(
                    registry_store.agency_codes.c.resident_id == resident_id
                )
            )
        )


def test_a_paying_agency_gets_the_account_through_the_hub_and_it_is_recorded(
    fed, http, keys, resident
):
    account = open_account(fed, resident["kana"], at=MUFG, branch="003")
    assert at_counter(http, keys, resident, account, bank=MUFG).status_code == 201
    body = {
        "code": municipality_code(fed, http, resident["id"]),
        "procedure": "child_allowance_payment",
        "provider": "accounts",
        "items": ["public_fund_account"],
    }

    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)

    assert response.status_code == 200, response.text
    answer = response.json()
    data = open_answer(
        EncryptionKeys(fed.settings.data_dir / "keys"),
        answer,
        requester=CHIYODA_ORG,
        provider="accounts",
        procedure="child_allowance_payment",
    )
    got = data["public_fund_account"]
    assert (got["bank_code"], got["branch_code"], got["account_number"]) == (
        MUFG,
        "003",
        account["account_number"],
    )
    records = http.get(
        f"/municipality/{CHIYODA}/api/residents/{resident['id']}/linkage/records"
    ).json()
    assert (records[-1]["provider"], records[-1]["outcome"], records[-1]["exchange_id"]) == (
        "accounts",
        "provided",
        answer["exchange_id"],
    )


def test_an_agency_without_a_permitted_row_gets_no_account(fed, http, keys, resident):
    body = {
        "code": municipality_code(fed, http, resident["id"]),
        "procedure": "child_allowance_claim",
        "provider": "accounts",
        "items": ["public_fund_account"],
    }
    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)
    assert response.status_code == 403 and response.json()["title"] == "not_permitted"


def test_agencies_never_ask_the_registry_directly(fed, http, keys, resident):
    body = {"exchange_id": "x", "code": "x", "requester": CHIYODA_ORG, "procedure": "p"}
    response = signed(
        http, keys, CHIYODA_ORG, "/accounts/intermediate/provide", body | {"items": []}
    )
    assert response.status_code == 403


# --- demo data ----------------------------------------------------------------------------


def test_demo_residents_have_accounts_and_a_share_are_registered(http, demo):
    orgs = http.get("/healthz").json()["orgs"]
    assert demo > 0
    assert orgs["accounts"]["registered"] >= demo
    assert sum(orgs[f"bank-{c}"]["accounts"] for c in ("0001", "0005", "9900")) > demo


# --- on the person's behalf: Mynaportal through the hub -----------------------------------


def portal_hub_code(http, keys, fed, resident) -> str:
    """The portal's own hub code for the person, as the portal gets it: the resident logs in
    with a new card, and the portal asks J-LIS for its hub code from the login certificate's
    serial (``POST /jlis/portal/codes``, which codes the person for the registry too)."""
    answer = http.post(
        f"/municipality/{CHIYODA}/api/residents/{resident['id']}/card",
        json={"auth_pin": AUTH_PIN, "sign_password": "ABC123"},
    )
    assert answer.status_code == 201, answer.text
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    chip = Chip.from_image(answer.json()["card_image"].encode(), seal_key=seal)
    client = JPKIClient(ChipTransport(chip))
    started = http.post("/portal/api/login/start", json={"method": "cli"})
    assert started.status_code == 201, started.text
    approve(http, started.json()["code"], client, pin=AUTH_PIN, via="cli")
    serial = (
        f"{x509.load_der_x509_certificate(client.read_certificate(KeyKind.AUTH)).serial_number:x}"
    )
    logins = portal_store.logins.c
    with fed.services("portal").engine.connect() as conn:
        portal_code = conn.scalar(select(logins.portal_code).where(logins.serial == serial))
    assert portal_code is not None
    return str(fed.portal().link.hub_code(UnitOfWork(fed.portal().engine), portal_code))


def self_service(http, keys, fed, code: str) -> dict[str, Any]:
    body = {
        "code": code,
        "procedure": "public_fund_account_self_service",
        "provider": "accounts",
        "items": ["public_fund_account", "registration_handle"],
    }
    response = signed(http, keys, "portal", "/hub/exchanges", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    return dict(
        open_answer(
            EncryptionKeys(fed.settings.data_dir / "keys"),
            answer,
            requester="portal",
            provider="accounts",
            procedure="public_fund_account_self_service",
        )
    )


def test_the_portal_registers_changes_and_deletes_with_a_handle_from_the_hub(
    fed, http, keys, resident
):
    code = portal_hub_code(http, keys, fed, resident)
    first = self_service(http, keys, fed, code)
    assert first["public_fund_account"] is None
    account = open_account(fed, resident["kana"], at="9900", branch="019")
    path = "/accounts/api/portal"

    made = signed(
        http,
        keys,
        "portal",
        f"{path}/register",
        {"handle": first["registration_handle"], "account": account},
    )
    assert made.status_code == 201, made.text
    assert made.json()["channel"] == "portal"
    again = self_service(http, keys, fed, code)
    assert again["public_fund_account"]["account_number"] == account["account_number"]
    other = open_account(fed, resident["kana"], at=MIZUHO)
    changed = signed(
        http,
        keys,
        "portal",
        f"{path}/change",
        {"handle": again["registration_handle"], "account": other},
    )
    assert changed.status_code == 200 and changed.json()["bank_code"] == MIZUHO
    family = open_account(fed, f"{resident['family_name_kana']} チチオヤ")
    refused = signed(
        http,
        keys,
        "portal",
        f"{path}/change",
        {
            "handle": again["registration_handle"],
            "account": family | {"holder_kana": resident["kana"]},
        },
    )
    assert refused.status_code == 422 and refused.json()["title"] == "holder_name_mismatch"
    deleted = signed(
        http, keys, "portal", f"{path}/delete", {"handle": again["registration_handle"]}
    )
    assert deleted.status_code == 204
    assert self_service(http, keys, fed, code)["public_fund_account"] is None
    # the person sees each look-up in their やりとり履歴
    seen = signed(http, keys, "portal", "/hub/records", {"code": code}).json()
    assert [r["procedure"] for r in seen][-3:] == ["public_fund_account_self_service"] * 3


def test_a_forged_or_foreign_handle_is_refused_and_only_the_portal_may_use_one(
    fed, http, keys, resident
):
    handle = self_service(http, keys, fed, portal_hub_code(http, keys, fed, resident))[
        "registration_handle"
    ]
    account = open_account(fed, resident["kana"])
    path = "/accounts/api/portal/register"

    raw = bytearray(base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4)))
    raw[len(raw) // 2] ^= 0x01  # one bit of the sealed body changed
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    forged = signed(http, keys, "portal", path, {"handle": tampered, "account": account})
    by_a_bank = signed(http, keys, f"bank-{MIZUHO}", path, {"handle": handle, "account": account})

    assert forged.status_code == 401 and forged.json()["title"] == "bad_handle"
    assert by_a_bank.status_code == 403


def test_a_paying_agency_cannot_ask_for_a_registration_handle(fed, http, keys, resident):
    body = {
        "code": municipality_code(fed, http, resident["id"]),
        "procedure": "child_allowance_payment",
        "provider": "accounts",
        "items": ["public_fund_account", "registration_handle"],
    }
    response = signed(http, keys, CHIYODA_ORG, "/hub/exchanges", body)
    assert response.status_code == 403 and response.json()["title"] == "not_permitted"


def test_a_bank_deletes_only_an_account_held_at_itself(fed, http, keys, resident):
    account = open_account(fed, resident["kana"], at=MUFG)
    assert at_counter(http, keys, resident, account, bank=MUFG).status_code == 201
    delete = {"my_number": resident["number"]}

    elsewhere = signed(http, keys, f"bank-{MIZUHO}", f"{COUNTER}/delete", delete)

    assert elsewhere.status_code == 403 and elsewhere.json()["title"] == "not_this_bank"
    registry = fed.accounts()
    shown = registry.registry.show(
        UnitOfWork(registry.engine), registry.registry.code_for(resident["number"])
    )
    assert (shown["bank_code"], shown["account_number"]) == (MUFG, account["account_number"])
    held_here = signed(http, keys, f"bank-{MUFG}", f"{COUNTER}/delete", delete)
    assert held_here.status_code == 204
