"""The provider-agency factory, with a made-up agency: a 奨学金 fund that keeps its members on
the pension service's table layout (so it borrows those migrations) but provides two items
of its own. It runs beside a real federation: J-LIS and the hub enrol its numbers, and its
intermediate server is called as the hub calls it, signed, answering a sealed JWE.

What the three real agencies cannot show: an agency with more than one item answers only
the items asked, each from its own projection; and the intake's counting, the last record
per person winning, and a bad record refused with nothing written.
Runs on SQLite, or PostgreSQL with ``--database=postgres``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, RowMapping, text

from mynumber.number import check_digit
from mynumber.orgs.pension import store as pension_store
from mynumber.orgs.pension.app import Member
from mynumber.orgs.pension.model import ROLES
from mynumber.platform.agency import Agency, Intake
from mynumber.platform.composition import services_of
from mynumber.platform.context import OrgContext
from mynumber.platform.encryption import EncryptionKeys, open_signed
from mynumber.platform.http import InProcessTransport
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.platform.web.agency import AgencyServices, create_agency_app

ORG = "scholarship"
REQUESTER = "municipality-131016"
#: Well formed, but nobody's: J-LIS finds no current My Number behind it.
NOBODYS_NUMBER = "12345678901" + str(check_digit("12345678901"))


def standing(conn: Connection, member: RowMapping) -> dict[str, Any]:
    return {"category": member["category"]}


def months(conn: Connection, member: RowMapping) -> int:
    return int(member["contribution_months"])


FUND = Agency(
    org=ORG,
    title="奨学金基金 (a made-up agency)",
    description="Two items from one member table.",
    roles=ROLES,
    migrations="mynumber.orgs.pension.migrations",
    members=pension_store.members,
    intake=Intake(
        path="/api/members",
        field="members",
        record=Member,
        taken="enrolled",
        summary="members with the My Number they gave",
    ),
    projections={"standing": standing, "months": months},
)


@pytest.fixture(scope="module")
def keys(fed) -> KeyFolder:
    return KeyFolder(fed.settings.data_dir / "keys")


@pytest.fixture(scope="module")
def fund_app(fed, keys) -> FastAPI:
    """The made-up agency's app, wired to the federation's J-LIS and hub."""
    ctx = OrgContext(org=ORG, settings=fed.settings, keys=keys, directory=fed.directory)
    return create_agency_app(ctx, FUND)


@pytest.fixture(scope="module")
def fund(fund_app) -> Iterator[httpx.Client]:
    transport = InProcessTransport(fund_app)
    token = services_of(
        fund_app, AgencyServices
    ).staff.local_admin_token()  # intake is the back office's
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(
        transport=transport, base_url="http://fund.internal", headers=headers
    ) as client:
        yield client
    transport.close()


@pytest.fixture(scope="module")
def numbers(fed, http, person) -> list[str]:
    """Two residents of Chiyoda and their My Numbers."""
    found = []
    for _ in range(2):
        made = http.post("/municipality/131016/api/residents", json=person())
        assert made.status_code == 201, made.text
        resident_id = made.json()["id"]
        with fed.municipality("131016").engine.connect() as conn:
            number = conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        found.append(str(number))
    return found


def member(number: str, months: int) -> dict[str, Any]:
    return {"my_number": number, "category": "1", "contribution_months": months}


def provide(
    fund: httpx.Client, keys: KeyFolder, code: str, items: list[str], *, signer: str = "hub"
) -> httpx.Response:
    """``POST /intermediate/provide`` signed by ``signer``, as the hub forwards an exchange."""
    body = {
        "exchange_id": "ex-agency-1",
        "code": code,
        "requester": REQUESTER,
        "procedure": "self_information",
        "items": items,
    }
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    identity = Identity(signer, keys.private_key(signer))
    headers.update(identity.sign("POST", "/intermediate/provide", content))
    return fund.post("/intermediate/provide", content=content, headers=headers)


def opened(fed, fund_app, fund, keys, number: str, items: list[str]) -> Any:
    """The fund's answer about the person with ``number``, opened as the requester."""
    code = services_of(fund_app, AgencyServices).agency.server.codes([number])[number]
    response = provide(fund, keys, code, items)
    assert response.status_code == 200, response.text
    return open_signed(
        EncryptionKeys(fed.settings.data_dir / "keys"),
        response.json()["jwe"],
        recipient=REQUESTER,
        signer=ORG,
        exchange_id="ex-agency-1",
        procedure="self_information",
    )


def test_intake_counts_people_and_the_last_record_wins(fed, fund_app, fund, keys, numbers) -> None:
    first, second = numbers
    records = [member(first, 10), member(first, 24), member(second, 5), member(NOBODYS_NUMBER, 1)]

    response = fund.post("/api/members", json={"members": records})

    assert response.status_code == 200, response.text
    assert response.json() == {"enrolled": 2, "unknown": 1}
    assert fund.get("/healthz").json() == {"org": ORG, "ok": True, "members": 2}
    assert opened(fed, fund_app, fund, keys, first, ["months"]) == {"months": 24}


def test_a_bad_record_is_refused_and_nothing_is_written(fund, numbers) -> None:
    before = fund.get("/healthz").json()["members"]
    records = [member(numbers[0], 30), {"my_number": numbers[1], "category": "X"}]

    response = fund.post("/api/members", json={"members": records})

    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert "members.1.category" in fields
    assert fund.get("/healthz").json()["members"] == before


def test_the_agency_answers_only_the_items_asked_sealed_to_the_requester(
    fed, fund_app, fund, keys, numbers
) -> None:
    taken = fund.post("/api/members", json={"members": [member(numbers[1], 36)]})
    assert taken.status_code == 200, taken.text

    months = opened(fed, fund_app, fund, keys, numbers[1], ["months"])
    both = opened(fed, fund_app, fund, keys, numbers[1], ["standing", "months"])

    assert months == {"months": 36}
    assert both == {"standing": {"category": "1"}, "months": 36}


def test_an_item_the_agency_does_not_provide_or_an_unknown_code_is_refused(fund, keys) -> None:
    unknown_item = provide(fund, keys, "NOBODY", ["income"])
    assert unknown_item.status_code == 422
    assert "no such item here: income" in unknown_item.json()["detail"]

    nobody = provide(fund, keys, "NOBODY", ["months"])
    assert nobody.status_code == 404
    assert nobody.json()["title"] == "unknown_code"


def test_only_the_hub_may_ask_the_agency(fund, keys) -> None:
    assert provide(fund, keys, "x", ["months"], signer=REQUESTER).status_code == 403
