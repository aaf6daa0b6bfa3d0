"""The benefit office's rules without I/O: programmes, payees and households, and the
Zengin files a round's instructions make (deterministic, per paying bank, in parts)."""

from __future__ import annotations

import hmac
from datetime import date, timedelta

import pytest

from mynumber import jst
from mynumber.errors import InvalidInput
from mynumber.orgs.benefits import files, model
from mynumber.payments import read_file

AS_OF = date(2020, 4, 27)


def programme(**change: object) -> model.Programme:
    values: dict[str, object] = {
        "name": "特別定額給付金",
        "amount": 100_000,
        "per": "person",
        "municipalities": ["131016"],
        "as_of": AS_OF,
    }
    values.update(change)
    return model.Programme.checked(**values)  # type: ignore[arg-type]


def eligible(code: str, household: str, *, head: bool = False, age: int = 40) -> model.Eligible:
    return model.Eligible(code, "131016", household, head, "ヤマダ タロウ", age)


def test_a_household_is_paid_to_its_head_for_each_eligible_member():
    people = [
        eligible("c1", "h1", age=10),
        eligible("c2", "h1", head=True, age=45),
        eligible("c3", "h1", age=43),
        eligible("c4", "h2", head=True),
    ]

    paid = model.payees(programme(per="household"), people)

    assert [(p.code, p.members, p.amount) for p in paid] == [
        ("c2", 3, 300_000),
        ("c4", 1, 100_000),
    ]


def test_a_household_without_its_head_on_the_date_is_paid_to_its_eldest_member():
    paid = model.payees(
        programme(per="household"), [eligible("c1", "h", age=20), eligible("c2", "h", age=50)]
    )
    assert [(p.code, p.amount) for p in paid] == [("c2", 200_000)]


def test_ages_bound_who_is_paid_and_the_order_never_changes_the_payees():
    people = [eligible(f"c{n}", f"h{n}", head=True, age=age) for n, age in enumerate(range(60))]
    bounded = programme(min_age=18, max_age=20)

    paid = model.payees(bounded, people)

    assert sorted(p.code for p in paid) == ["c18", "c19", "c20"]
    assert model.payees(bounded, list(reversed(people))) == paid


def test_payee_names_are_zengin_kana_cut_to_thirty():
    assert model.payee_name("ヤマダ　タロウ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert len(model.payee_name("ア" * 40)) == 30


def test_a_name_with_no_zengin_form_does_not_stop_the_run():
    assert model.payee_name("ヤマダ＝タロウ") == "ﾔﾏﾀﾞﾀﾛｳ"
    assert model.payee_name("山田") == model.UNKNOWN_NAME


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": True}, "amount"),
        ({"per": "family"}, "per"),
        ({"municipalities": []}, "municipality"),
        ({"municipalities": ["1310"]}, "municipality"),
        ({"municipalities": ["999999"], "served": ["131016"]}, "municipality"),
        ({"as_of": "tomorrow"}, "as_of"),  # in Japan, when the test runs
        ({"min_age": -1}, "min_age"),
        ({"min_age": 30, "max_age": 20}, "min_age"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_programme_names_the_field(change, field):
    if change.get("as_of") == "tomorrow":
        change = {"as_of": jst.today() + timedelta(days=1)}
    with pytest.raises(InvalidInput) as raised:
        programme(**change)
    assert raised.value.field == field


def lines(bank_code: str, count: int, *, start: int = 0) -> list[files.Line]:
    return [
        files.Line(f"i{n:05d}", bank_code, "001", "1", f"{n:07d}", "ﾔﾏﾀﾞ ﾀﾛｳ", 100_000 + n)
        for n in range(start, start + count)
    ]


def test_a_part_of_the_file_for_the_paying_bank_is_ordered_by_receiving_bank():
    head = files.header(
        payer_code=model.PAYER_CODE,
        payer_name=model.PAYER_NAME,
        bank_code="0001",
        branch_code="001",
        deposit_type="1",
        account_number=model.PAYER_ACCOUNT,
        transfer_date=AS_OF,
    )
    mixed = [*lines("0009", 2, start=10), *lines("0005", 5), *lines("0001", 3, start=20)]
    planned = files.part("p", 1, 2, mixed, paying_bank="0001")

    assert (planned.id, planned.bank_code, planned.part) == ("p-r001-0001-02", "0001", 2)
    assert [x.bank_code for x in planned.lines] == ["0001"] * 3 + ["0005"] * 5 + ["0009"] * 2
    assert list(planned.lines) == sorted(mixed, key=files.order)
    zengin = read_file(files.render(head, planned), reference=AS_OF)
    assert zengin.header.bank_code == "0001"  # 仕向銀行: the payer account's bank
    assert zengin.trailer.count == len(mixed)
    assert zengin.trailer.total == sum(x.amount for x in mixed)
    assert [t.bank_code for t in zengin.transfers] == [x.bank_code for x in planned.lines]
    with pytest.raises(ValueError, match="999999"):
        files.part("p", 1, 1, lines("0001", 1) * (files.MAX_COUNT + 1), paying_bank="0001")


def test_the_same_instructions_in_any_order_make_the_same_bytes(tmp_path):
    head = files.header(
        payer_code=model.PAYER_CODE,
        payer_name=model.PAYER_NAME,
        bank_code="0001",
        branch_code="001",
        deposit_type="1",
        account_number=model.PAYER_ACCOUNT,
        transfer_date=AS_OF,
    )
    some = lines("0001", 20)
    one = files.part("p", 1, 1, some, paying_bank="0001")
    other = files.part("p", 1, 1, list(reversed(some)), paying_bank="0001")
    path = tmp_path / "out" / "f.zengin"

    files.write_atomically(path, files.render(head, one))
    files.write_atomically(path, files.render(head, other))

    assert path.read_bytes() == files.render(head, one)
    assert [p.name for p in path.parent.iterdir()] == ["f.zengin"]  # no temp file left


def test_a_number_fingerprint_is_the_first_half_of_its_hmac_sha256_under_the_office_key() -> None:
    # what enrolments keep: a change of form would make every enrolled number unknown
    key = bytes(range(32))
    numbers = ["123456789018", "000000000000", "123456789018"]
    expected = [hmac.digest(key, n.encode(), "sha256")[:16].hex() for n in numbers]
    assert model.number_fingerprints(key, numbers) == expected
    assert expected[0] == expected[2] != expected[1]
    assert model.number_fingerprints(bytes(32), numbers[:1]) != expected[:1]
