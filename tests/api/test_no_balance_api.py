"""公金受取口座: the government never learns a balance or a transaction (domain-reference
§7.1), so no organisation — bank, registry or any other — offers a route for either."""

from __future__ import annotations

import json
import re

FORBIDDEN = ("balance", "transaction", "statement", "残高", "取引", "入出金", "明細")
#: The same words in senses that are not money: a request for a person's signature
#: (Mynaportal's sign transactions), J-LIS's log of certificates printed at kiosks (and the
#: municipality's reference to one), a consent statement the person signs.
NOT_MONEY = re.compile(
    r"sign[ _/-]*transaction"  # Mynaportal's sign transactions
    r"|kioskissuein transaction"  # the municipality's reference to one
    r"|signedstatement"  # a consent statement the person signs
)
#: J-LIS's log of the certificates printed at kiosks (fees settled with the stores)
NOT_MONEY_ROUTES = {("jlis", "/kiosk/transactions")}


def _money_words(text: str) -> list[str]:
    text = NOT_MONEY.sub("", text)
    return [w for w in FORBIDDEN if w in text]


def test_no_route_of_any_organisation_offers_a_balance_or_a_transaction(fed):
    offered = []
    schemas = {org: app.openapi() for org, app in fed.apps.items()} | {"root": fed.root.openapi()}
    for org, schema in schemas.items():
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if (org, path) in NOT_MONEY_ROUTES:
                    continue
                text = json.dumps([path, operation], ensure_ascii=False).lower()
                offered += [f"{org} {method.upper()} {path}: {w}" for w in _money_words(text)]
        for name, component in schema.get("components", {}).get("schemas", {}).items():
            fields = " ".join([name, *component.get("properties", {})]).lower()
            offered += [f"{org} schema {name}: {w}" for w in _money_words(fields)]
    assert {"bank-0001", "bank-0005", "bank-9900", "accounts"} <= set(fed.apps)
    assert offered == []


def test_a_bank_only_verifies_accounts_and_receives_transfer_files(fed):
    """Three API routes for other organisations: 口座確認 (yes or no), 総合振込 from payers
    and the Zengin network's records from other banks (a result code per record each); its
    own clerks open and close accounts; staff sign in under /staff/."""
    for code in ("0001", "0005", "9900"):
        paths = set(fed.apps[f"bank-{code}"].openapi()["paths"])
        assert {p for p in paths if not p.startswith("/staff/")} == {
            "/api/accounts",
            "/api/accounts/bulk",
            "/api/accounts/close",
            "/api/accounts/verify",
            "/api/transfers",
            "/api/zengin/credits",
            "/healthz",
        }


def test_the_zengin_network_answers_a_code_per_record_and_nothing_about_an_account(fed):
    schemas = fed.apps["bank-0001"].openapi()["components"]["schemas"]
    answer = schemas["RecordResult"]["properties"]
    assert set(answer) == {"index", "code"}
