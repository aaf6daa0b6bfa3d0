"""The four basic items: EYYYYMMDD dates, DER strings, otherName round trips."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from mynumber.errors import InvalidInput
from mynumber.pki import (
    BasicItems,
    Era,
    Gender,
    MalformedCertificate,
    decode_birth_date,
    encode_birth_date,
    oids,
)
from mynumber.pki._der import PRINTABLE_STRING, UTF8_STRING, decode_string, encode_string
from mynumber.pki.basic_items import EARLIEST_BIRTH_DATE

dates = st.dates(min_value=EARLIEST_BIRTH_DATE, max_value=dt.date(2199, 12, 31))
# Text a resident record may hold: any character but controls and surrogates.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60
).filter(str.strip)


def test_birth_date_matches_the_jlis_example() -> None:
    assert encode_birth_date(dt.date(1990, 1, 2)) == "419900102"
    assert decode_birth_date("419900102") == dt.date(1990, 1, 2)


@pytest.mark.parametrize(
    ("day", "era"),
    [
        (dt.date(1868, 1, 25), Era.MEIJI),
        (dt.date(1912, 7, 29), Era.MEIJI),
        (dt.date(1912, 7, 30), Era.TAISHO),
        (dt.date(1926, 12, 24), Era.TAISHO),
        (dt.date(1926, 12, 25), Era.SHOWA),
        (dt.date(1989, 1, 7), Era.SHOWA),
        (dt.date(1989, 1, 8), Era.HEISEI),
        (dt.date(2019, 4, 30), Era.HEISEI),
        (dt.date(2019, 5, 1), Era.REIWA),
    ],
)
def test_birth_date_era_digit_changes_on_the_first_day_of_each_era(day: dt.date, era: Era) -> None:
    assert encode_birth_date(day) == f"{era.value}{day:%Y%m%d}"


@pytest.mark.parametrize(
    "text", ["319900102", "41990010", "4199001021", "420230230", "4199O0102", "", "０19900102"]
)
def test_birth_date_decoder_refuses_bad_values(text: str) -> None:
    with pytest.raises(InvalidInput):
        decode_birth_date(text)


def test_birth_date_before_meiji_is_refused() -> None:
    with pytest.raises(InvalidInput):
        encode_birth_date(dt.date(1868, 1, 24))


@given(dates)
def test_birth_date_round_trips(day: dt.date) -> None:
    assert decode_birth_date(encode_birth_date(day)) == day


@given(st.text(max_size=300))
def test_utf8_string_der_round_trips(text: str) -> None:
    try:
        der = encode_string(UTF8_STRING, text)
    except UnicodeEncodeError:  # lone surrogates are not text
        return
    assert decode_string(der, tags=frozenset({UTF8_STRING})) == (UTF8_STRING, text)


@given(st.text(alphabet="ABCxyz0123456789 '()+,-./:=?", max_size=200))
def test_printable_string_der_round_trips(text: str) -> None:
    der = encode_string(PRINTABLE_STRING, text)
    assert decode_string(der, tags=frozenset({PRINTABLE_STRING})) == (PRINTABLE_STRING, text)


def test_der_long_form_length_is_used_from_128_bytes() -> None:
    der = encode_string(UTF8_STRING, "a" * 200)
    assert der[:3] == bytes([0x0C, 0x81, 200])


@pytest.mark.parametrize(
    "der",
    [
        b"\x0c\x02ab\x00",  # trailing byte
        b"\x0c\x03ab",  # truncated
        b"\x0c\x81\x02ab",  # long form for a short length
        b"\x13\x02ab",  # wrong tag for the field
        b"\x0c\x02\xff\xfe",  # not UTF-8
        b"\x0c",
    ],
)
def test_der_string_decoder_refuses_malformed_input(der: bytes) -> None:
    with pytest.raises(InvalidInput):
        decode_string(der, tags=frozenset({UTF8_STRING}))


def test_printable_string_refuses_kanji() -> None:
    with pytest.raises(InvalidInput):
        encode_string(PRINTABLE_STRING, "試験")


@given(
    name=texts,
    address=texts,
    gender=st.sampled_from(Gender),
    birth=dates,
    substitutes=st.tuples(st.none() | texts, st.none() | texts),
)
def test_basic_items_round_trip_through_other_names(
    name: str,
    address: str,
    gender: Gender,
    birth: dt.date,
    substitutes: tuple[str | None, str | None],
) -> None:
    items = BasicItems(name, gender, birth, address, *substitutes)
    assert BasicItems.from_other_names(items.to_other_names()) == items


def test_other_names_use_the_jpki_oids_and_string_types() -> None:
    items = BasicItems("試験 太郎", Gender.MALE, dt.date(1990, 1, 2), "大阪府大阪市")
    values = {n.type_id: n.value for n in items.to_other_names()}
    assert values == {
        oids.NAME: b"\x0c\x0d" + "試験 太郎".encode(),
        oids.GENDER: b"\x13\x011",
        oids.DATE_OF_BIRTH: b"\x13\x09419900102",
        oids.ADDRESS: b"\x0c\x12" + "大阪府大阪市".encode(),
    }


def test_basic_items_repr_shows_no_personal_data() -> None:
    items = BasicItems("試験 太郎", Gender.MALE, dt.date(1990, 1, 2), "大阪府大阪市")
    text = repr(items)
    assert "試験" not in text and "大阪" not in text and "1990" not in text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "試験\n太郎"}, "name"),
        ({"address": "x" * 201}, "address"),
        ({"gender": 3}, "gender"),
        ({"birth_date": dt.datetime(1990, 1, 2)}, "birth_date"),
        ({"birth_date": dt.date(1800, 1, 1)}, "birth_date"),
    ],
)
def test_basic_items_validate_themselves(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "試験 太郎",
        "gender": Gender.MALE,
        "birth_date": dt.date(1990, 1, 2),
        "address": "大阪府",
    }
    with pytest.raises(InvalidInput) as caught:
        BasicItems(**(values | kwargs))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_gender_accepts_the_iso_5218_digit() -> None:
    items = BasicItems("試験", 2, dt.date(1990, 1, 2), "大阪府")  # type: ignore[arg-type]
    assert items.gender is Gender.FEMALE


def test_missing_basic_item_is_malformed() -> None:
    names = [
        n for n in BasicItems("試験", Gender.MALE, dt.date(1990, 1, 2), "大阪府").to_other_names()
    ]
    with pytest.raises(MalformedCertificate, match=oids.ADDRESS.dotted_string):
        BasicItems.from_other_names(names[:-1])


def test_duplicated_basic_item_is_malformed() -> None:
    names = BasicItems("試験", Gender.MALE, dt.date(1990, 1, 2), "大阪府").to_other_names()
    with pytest.raises(MalformedCertificate):
        BasicItems.from_other_names([*names, names[0]])


def test_other_general_names_are_ignored() -> None:
    items = BasicItems("試験", Gender.MALE, dt.date(1990, 1, 2), "大阪府")
    extra: list[x509.GeneralName] = [x509.RFC822Name("a@example.jp")]
    assert BasicItems.from_other_names([*extra, *items.to_other_names()]) == items


def test_era_mismatch_in_a_certificate_is_malformed() -> None:
    names = BasicItems("試験", Gender.MALE, dt.date(1990, 1, 2), "大阪府").to_other_names()
    forged = [
        x509.OtherName(oids.DATE_OF_BIRTH, b"\x13\x09319900102")
        if n.type_id == oids.DATE_OF_BIRTH
        else n
        for n in names
    ]
    with pytest.raises(MalformedCertificate):
        BasicItems.from_other_names(forged)
