"""The eligibility system's plain rules: QualificationValidity, the face lock, the request
XML's parser and serialiser, and the reader's stand-in face score."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynumber.devices.clinic import face_score
from mynumber.errors import InvalidInput
from mynumber.orgs.oqs import model

TODAY = dt.date(2026, 12, 3)


def record(valid_from: str, valid_to: str | None = None) -> dict[str, object]:
    return {
        "valid_from": dt.date.fromisoformat(valid_from),
        "valid_to": None if valid_to is None else dt.date.fromisoformat(valid_to),
    }


@pytest.mark.parametrize(
    ("records", "validity"),
    [
        ([], model.NO_QUALIFICATION),
        ([record("2020-04-01")], model.VALID),
        ([record("2020-04-01", "2025-03-31")], model.INVALID),
        ([record("2027-01-01")], model.NO_QUALIFICATION),
        ([record("2020-04-01"), record("2021-04-01")], model.SEVERAL),
        ([record("2018-04-01", "2020-03-31"), record("2020-04-01")], model.VALID),
        ([record("2018-04-01", "2020-03-31"), record("2020-04-01", "2025-03-31")], model.INVALID),
    ],
)
def test_qualification_validity(records, validity) -> None:
    assert model.choose(records, TODAY)[0] == validity


def test_a_lost_record_with_a_newer_one_elsewhere_is_3_by_insurance_card_data() -> None:
    old, new = record("2018-04-01", "2020-03-31"), record("2020-04-01")
    state, shown = model.choose([old], TODAY)
    assert model.superseded(state, shown, [old, new]) == model.INVALID_NEWER_EXISTS
    assert model.superseded(state, shown, [old]) == model.INVALID


def test_face_mode_locks_after_ten_consecutive_failures_and_a_match_resets() -> None:
    counter = model.FaceCounter()
    for _ in range(9):
        counter = counter.after(False)
    assert not counter.locked and counter.after(True).failures == 0
    counter = counter.after(False)
    assert counter.locked
    with pytest.raises(model.Refused) as refused:
        counter.after(True)
    assert refused.value.code == "face_locked"


digits = st.text("0123456789", min_size=1, max_size=20)


@given(
    institution=st.text("0123456789", min_size=10, max_size=10),
    insurer=st.one_of(
        st.text("0123456789", min_size=8, max_size=8), st.text("0123456789", min_size=6, max_size=6)
    ),
    symbol=st.text("0123456789ABCあい", max_size=20),
    number=digits,
    branch=st.text("0123456789", min_size=2, max_size=2),
    born=st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)),
    file_id=st.text("0123456789ABCxyz_-", max_size=40),
)
def test_the_request_xml_round_trips(
    institution, insurer, symbol, number, branch, born, file_id
) -> None:
    query = model.InsuranceQuery(
        institution=institution,
        file_id=file_id,
        insurer_number=insurer,
        symbol=symbol.strip(),
        number=number,
        branch=branch,
        birth_date=born,
    )
    parsed = model.parse_query(model.query_xml(query))
    assert parsed == query


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"<XmlMsg/>",
        b"<Other/>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><XmlMsg>&a;</XmlMsg>',
        b"x" * (model.MAX_XML + 1),
    ],
)
def test_a_malformed_request_is_invalid_input(xml) -> None:
    with pytest.raises(InvalidInput):
        model.parse_query(xml)


def test_the_stand_in_face_score() -> None:
    photo = bytes(range(256)) * 8
    assert face_score(photo, photo) == 1.0
    assert face_score(photo, bytes(255 - b for b in photo)) < model.FACE_THRESHOLD
    assert face_score(photo, b"") == 0.0


def test_a_reference_number_query_and_registration_round_trip() -> None:
    person = model.InsuranceQuery(
        "1311234567", "", "139993", "", "80423", "01", dt.date(1985, 6, 15)
    )
    registration = model.ReferenceRegistration("1311234567", "F1", "0042", person)
    parsed = model.parse_registration(model.registration_xml(registration))
    assert parsed.reference_number == "0042" and parsed.file_id == "F1"
    assert parsed.person.insurer_number == "139993" and parsed.person.number == "80423"
    by_number = model.InsuranceQuery("1311234567", "F2", "", "", "", "", None, "0042")
    assert model.parse_query(model.query_xml(by_number)) == by_number
    # a number is 1-10 digits; a registration needs the patient's insurance-card data
    for bad in ("", "12345678901", "4a"):
        with pytest.raises(InvalidInput):
            model.parse_registration(
                model.registration_xml(model.ReferenceRegistration("1311234567", "", bad, person))
            )
    nobody = model.ReferenceRegistration(
        "1311234567", "", "1", model.InsuranceQuery("1311234567", "", "", "", "", "", None)
    )
    with pytest.raises(InvalidInput):
        model.parse_registration(model.registration_xml(nobody))
    with pytest.raises(InvalidInput):
        model.parse_query(model.query_xml(replace_number(by_number, "x1")))


def replace_number(q: model.InsuranceQuery, number: str) -> model.InsuranceQuery:
    return model.InsuranceQuery(q.institution, q.file_id, "", "", "", "", None, number)
