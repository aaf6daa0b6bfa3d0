"""Agency codes and the permitted-exchange table, without I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from mynumber.orgs.hub import permitted
from mynumber.orgs.hub.agency_codes import CodeScheme
from mynumber.orgs.hub.deliveries import ITEM_KINDS as KINDS

KEY = bytes(range(32))


def test_codes_are_stable_per_agency_and_differ_between_agencies():
    scheme = CodeScheme(KEY)
    tax = scheme.code("tax", "a" * 32)
    assert tax == scheme.code("tax", "a" * 32)
    assert tax != scheme.code("pension", "a" * 32)
    assert tax != scheme.code("tax", "b" * 32)
    assert len(tax) == 26 and tax.isalnum() and tax.islower()


def test_codes_depend_on_the_hub_key():
    assert CodeScheme(KEY).code("tax", "x") != CodeScheme(bytes(32)).code("tax", "x")


def test_the_person_fingerprint_is_not_any_agency_code():
    scheme = CodeScheme(KEY)
    fp = scheme.person_fp("a" * 32)
    assert fp not in {scheme.code(a, "a" * 32) for a in ("tax", "pension", "municipality-131016")}
    assert "a" * 32 not in fp


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        CodeScheme(b"short")


def test_the_child_allowance_row_permits_income_from_tax():
    row = permitted.check("municipality-131016", "child_allowance_claim", "tax", ["income"])
    assert row.procedure_name == "児童手当 認定請求"


def test_the_portal_rows_for_self_information_are_listed():
    providers = {
        r.provider
        for r in permitted.table()
        if r.requester == "portal" and r.procedure == "self_information"
    }
    assert providers == {"tax", "pension", "insurer", "municipality"}


def test_deliveries_carry_only_the_delivery_item_kinds():
    deliveries = [r for r in permitted.table() if r.items & KINDS]
    assert all(r.items <= KINDS for r in deliveries)
    assert {(r.requester, r.provider) for r in deliveries if r.procedure.endswith("_notice")} == {
        ("tax", "portal"),
        ("pension", "portal"),
        ("insurer", "portal"),
        ("municipality", "portal"),
        ("benefits", "portal"),
        ("police", "portal"),
    }


@pytest.mark.parametrize(
    ("requester", "procedure", "provider", "items", "why"),
    [
        ("municipality", "nope", "tax", ["income"], "not in the permitted-exchange table"),
        ("tax", "child_allowance_claim", "tax", ["income"], "a tax may not ask anything"),
        ("municipality", "child_allowance_claim", "pension", ["income"], "may not ask a pension"),
        ("municipality", "child_allowance_claim", "tax", ["income", "assets"], "assets"),
        ("municipality", "child_allowance_claim", "tax", [], "no data item"),
    ],
)
def test_anything_not_listed_is_refused_with_the_reason(requester, procedure, provider, items, why):
    with pytest.raises(permitted.NotPermitted, match=why):
        permitted.check(requester, procedure, provider, items)


def test_codes_are_the_lower_case_base32_of_the_first_128_bits():
    key = bytes(range(32))
    scheme = CodeScheme(key)
    for n in range(500):
        acquisition = f"{n:032x}"
        digest = hmac.new(
            key, f"mynumber/hub/code\x00tax\x00{acquisition}".encode(), hashlib.sha256
        ).digest()[:16]
        expected = base64.b32encode(digest).decode().rstrip("=").lower()
        assert scheme.code("tax", acquisition) == expected
