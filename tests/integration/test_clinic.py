"""マイナ保険証 end to end: an insurer registers a member's eligibility with the
オンライン資格確認等システム through the hub (by codes), the person registers the card on
Mynaportal, a clinic's reader confirms it in PIN, face and visual modes and gets the answer
XML; consent for drug data lasts 24 hours and every view is shown on Mynaportal; refusals
(wrong/locked PIN, suspended card, face lock, malformed requests) carry their reason."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography import x509
from defusedxml.ElementTree import fromstring
from sqlalchemy import text
from test_card_endorsements import move
from test_kiosk import NOON, kiosk
from test_portal_login import AUTH_PIN, SIGN_PASSWORD, _adult, issue, log_in, open_login
from typer.testing import CliRunner, Result

from mynumber import errors, jst
from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.cli import app
from mynumber.cli.phone import approve
from mynumber.devices.clinic import CardReader, PrintedFace, ReaderRefused, Terminal
from mynumber.devices.kiosk.terminal import Choice
from mynumber.federation import INTERNAL_BASE
from mynumber.insurance_dates import lapsed_certificate_usable_until
from mynumber.jst import JST
from mynumber.orgs.oqs.model import (
    InsuranceQuery,
    ReferenceRegistration,
    query_xml,
    registration_xml,
)
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder
from mynumber.reader import JPKIClient, KeyKind, PinNotSet, PinRef
from mynumber.reader.issuer import IssuerSession

CLINIC = "1311234567"
PHARMACY = "1341234568"


def my_number(fed, resident_id: str) -> str:
    with fed.municipality("131016").engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        )


def enrol(fed, http, card: dict[str, Any], *, insurer: str = "insurer", **extra: Any) -> dict:
    r = card["resident"]
    member = {
        "my_number": my_number(fed, r["id"]),
        "symbol": "4711",
        "number": "80423",
        "branch": "01",
        "valid_from": "2019-04-01",
        "name": f"{r['family_name']}　{r['given_name']}",
        "name_kana": f"{r['family_name_kana']}　{r['given_name_kana']}",
        "sex": r["sex"],
        "birth_date": r["birth_date"],
        **extra,
    }
    answer = http.post(f"/{insurer.replace('-', '/')}/api/members", json={"members": [member]})
    assert answer.json() == {"enrolled": 1, "unknown": 0}, answer.text
    return member


def answer_of(xml: bytes) -> dict[str, str]:
    """Every leaf element's text by tag (the answer has each tag once)."""
    root = fromstring(xml)
    assert root.tag == "XmlMsg"
    return {e.tag: (e.text or "") for e in root.iter() if len(e) == 0}


@pytest.fixture(scope="module")
def terminal(http) -> Terminal:
    return Terminal(http, f"/clinic/{CLINIC}")


@pytest.fixture(scope="module")
def pharmacy(http) -> Terminal:
    return Terminal(http, f"/clinic/{PHARMACY}")


@pytest.fixture(scope="module")
def insured(fed, http) -> dict[str, Any]:
    """A resident with a card, a member of the 健保組合, registered on Mynaportal."""
    card = issue(fed, http)
    member = enrol(fed, http, card)
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as pc:
        csrf = log_in(pc, http, card)
        page = pc.get("/portal/insurance-card")
        assert "register-insurance-card" in page.text
        done = pc.post("/portal/insurance-card", data={"csrf": csrf})
        assert done.status_code == 200, done.text
        assert 'id="insurance-registered"' in done.text
    return card | {"member": member}


def printed(card: dict[str, Any]) -> PrintedFace:
    return PrintedFace(
        birth_date=dt.date.fromisoformat(card["resident"]["birth_date"]),
        expiry=dt.date.fromisoformat(card["summary"]["expires_on"]),
        security_code=card["summary"]["security_code"],
    )


def test_a_registered_card_confirms_valid_eligibility_with_the_holder_s_name(
    fed, insured, terminal
) -> None:
    reader = CardReader(insured["client"])
    confirmed = terminal.confirm(reader, pin=AUTH_PIN)
    found = answer_of(confirmed.xml)
    assert found["SegmentOfResult"] == "1" and found["ReferenceClassification"] == "1"
    assert found["QualificationValidity"] == "1"
    assert found["InsurerNumber"] == "06139994" and len(found["InsurerNumber"]) == 8
    assert found["InsuredBranchNumber"] == "01"
    assert found["Name"] == insured["member"]["name"]
    assert found["NameKana"] == "ｼｹﾝ ﾊﾅｺ"  # half-width, as the layout has it
    assert found["Birthdate"] == "19850615" and found["Sex1"] == "2"
    assert found["InsuredPartialContributionRatio"] == "030"
    assert found["MedicalInstitutionCode"] == CLINIC
    assert found["ReferenceNumber"] == confirmed.reference
    # the eligibility system never held a My Number
    number = insured["member"]["my_number"]
    with fed.oqs().engine.connect() as conn:
        for table in ("eligibility", "registrations", "confirmations"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            assert rows and all(number not in str(row) for row in rows)


def test_face_mode_matches_the_chip_photo_and_counts_failures_to_a_lock(
    fed, http, insured, terminal
) -> None:
    reader = CardReader(insured["client"])
    face = printed(insured)
    photo = reader.photo(face)
    assert (
        answer_of(terminal.confirm(reader, face=(face, photo)).xml)["QualificationValidity"] == "1"
    )
    stranger = bytes(255 - b for b in photo)
    for _ in range(9):
        with pytest.raises(errors.Forbidden) as refused:
            terminal.confirm(reader, face=(face, stranger))
        assert refused.value.code == "face_mismatch"
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(reader, face=(face, stranger))
    assert refused.value.code == "face_locked"
    # locked: even the right face is refused; staff's visual check still works and resets nothing
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(reader, face=(face, photo))
    assert refused.value.code == "face_locked"
    assert answer_of(terminal.confirm(reader, visual=True).xml)["QualificationValidity"] == "1"
    with pytest.raises(errors.Forbidden):
        terminal.confirm(reader, face=(face, photo))
    # the municipality resets it (the holder came in person)
    cert = x509.load_der_x509_certificate(reader.certificate())
    municipality = ServiceClient(fed.directory, "oqs", identity(fed, "municipality-131016"))
    municipality.request("POST", "/api/face-locks/reset", {"serial": f"{cert.serial_number:x}"})
    assert (
        answer_of(terminal.confirm(reader, face=(face, photo)).xml)["QualificationValidity"] == "1"
    )


def identity(fed, org: str) -> Identity:
    return Identity(org, KeyFolder(fed.settings.data_dir / "keys").private_key(org))


def test_three_wrong_pins_lock_the_card_at_the_reader(fed, http, terminal) -> None:
    card = issue(fed, http)
    reader = CardReader(card["client"])
    codes = []
    for _ in range(3):
        with pytest.raises(ReaderRefused) as refused:
            terminal.confirm(reader, pin="9999")
        codes.append(refused.value.code)
    assert codes == ["pin_wrong", "pin_wrong", "pin_locked"]
    with pytest.raises(ReaderRefused) as refused:
        terminal.confirm(reader, pin=AUTH_PIN)
    assert refused.value.code == "pin_locked"


def test_a_suspended_card_is_refused_with_its_reason(fed, http, terminal) -> None:
    card = issue(fed, http)
    enrol(fed, http, card, insurer="insurer-kyokai")
    reader = CardReader(card["client"])
    assert terminal.register(reader, pin=AUTH_PIN) is True
    found = answer_of(terminal.confirm(reader, visual=True).xml)
    assert found["InsurerNumber"] == "01130018"
    mfg = card["summary"]["manufacture_number"]
    assert http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(reader, visual=True)
    assert refused.value.code == "card_suspended"
    assert "E1002" in refused.value.message


def test_an_unregistered_card_is_refused(fed, http, terminal) -> None:
    card = issue(fed, http)
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(CardReader(card["client"]), visual=True)
    assert refused.value.code == "not_registered"


def test_drug_data_needs_consent_and_it_expires_after_24_hours(
    fed, http, insured, terminal, pharmacy
) -> None:
    reader = CardReader(insured["client"])
    at_pharmacy = pharmacy.confirm(reader, pin=AUTH_PIN)
    taken = pharmacy.claim(
        at_pharmacy.reference,
        [
            {
                "dispensed_on": "2026-11-30",
                "drug": "ロキソプロフェン錠60mg",
                "quantity": "3錠",
                "days": 5,
            }
        ],
    )
    assert taken == 1
    without = terminal.confirm(reader, pin=AUTH_PIN)
    with pytest.raises(errors.Forbidden) as refused:
        terminal.drugs(without.reference)
    assert refused.value.code == "no_consent"
    consented = terminal.confirm(reader, pin=AUTH_PIN, consent=["drugs"])
    found = answer_of(consented.xml)
    assert (
        found["PharmacistsInfoConsFlg"] == "1" and found["SpecificHealthCheckupsInfoConsFlg"] == "0"
    )
    drugs = terminal.drugs(consented.reference)
    assert [d["drug"] for d in drugs] == ["ロキソプロフェン錠60mg"]
    # 24 hours later the consent is spent
    system = fed.oqs().system
    real = system.clock
    system.clock = lambda: real() + dt.timedelta(hours=24, seconds=1)
    try:
        with pytest.raises(errors.Forbidden) as refused:
            terminal.drugs(consented.reference)
        assert refused.value.code == "no_consent"
    finally:
        system.clock = real
    # the person sees the view on Mynaportal
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as pc:
        log_in(pc, http, insured)
        page = pc.get("/portal/insurance-card")
    assert page.text.count('class="insurance-view"') == 1 and CLINIC in page.text


def test_insurance_card_data_queries_single_batch_and_malformed(
    fed, http, insured, terminal
) -> None:
    member = insured["member"]
    query = InsuranceQuery(
        institution=CLINIC,
        file_id="F1",
        insurer_number="06139994",
        symbol=member["symbol"],
        number=member["number"],
        branch=member["branch"],
        birth_date=dt.date.fromisoformat(member["birth_date"]),
    )
    found = answer_of(terminal.insurance(query_xml(query)))
    assert found["ReferenceClassification"] == "2" and found["QualificationValidity"] == "1"
    assert found["ArbitraryFileIdentifier"] == "F1"
    other = query_xml(
        InsuranceQuery(
            institution=CLINIC,
            file_id="F2",
            insurer_number="06139994",
            symbol="",
            number="1",
            branch="00",
            birth_date=dt.date(1990, 1, 1),
        )
    )
    answers = [
        answer_of(a)["QualificationValidity"] for a in terminal.batch([query_xml(query), other])
    ]
    assert answers == ["1", "4"]
    for bad in (b"<XmlMsg>", b"not xml", b'<!DOCTYPE x [<!ENTITY a "b">]><XmlMsg>&a;</XmlMsg>'):
        with pytest.raises(errors.InvalidInput):
            terminal.insurance(bad)


def test_lost_eligibility_answers_invalid(fed, http, terminal) -> None:
    card = issue(fed, http)
    enrol(fed, http, card, insurer="insurer-kokuho", valid_to="2025-03-31")
    reader = CardReader(card["client"])
    assert terminal.register(reader, pin=AUTH_PIN) is True
    found = answer_of(terminal.confirm(reader, pin=AUTH_PIN).xml)
    assert found["QualificationValidity"] == "2"
    assert found["InsurerNumber"] == "  139993"  # 国保: 6 digits, padded to 8
    assert found["DisqualificationDate"] == "20250331"


def by_data(member: dict[str, Any], insurer_number: str, file_id: str = "") -> InsuranceQuery:
    return InsuranceQuery(
        institution=CLINIC,
        file_id=file_id,
        insurer_number=insurer_number,
        symbol=member["symbol"],
        number=member["number"],
        branch=member["branch"],
        birth_date=dt.date.fromisoformat(member["birth_date"]),
    )


def by_reference(number: str) -> bytes:
    return query_xml(InsuranceQuery(CLINIC, "R", "", "", "", "", None, number))


def registration(member: dict[str, Any], number: str) -> bytes:
    return registration_xml(
        ReferenceRegistration(CLINIC, "REG", number, by_data(member, "01130018"))
    )


def test_a_reference_number_registered_after_a_card_check_answers_without_the_card(
    fed, http, terminal
) -> None:
    """照会番号 (``OQSsiimm01req``): registered for a patient whose card the clinic checked,
    then a query by the number alone is answered; ReferenceNumber carries it."""
    card = issue(fed, http)
    member = enrol(fed, http, card, insurer="insurer-kyokai", number="91001")
    reader = CardReader(card["client"])
    assert terminal.register(reader, pin=AUTH_PIN) is True
    other = issue(fed, http)
    stranger = enrol(fed, http, other, insurer="insurer-kyokai", number="91002")
    assert terminal.register(CardReader(other["client"]), pin=AUTH_PIN) is True
    # not before the card was checked at this clinic
    early = answer_of(terminal.reference(registration(member, "4242")))
    assert early["SegmentOfResult"] == "9" and early["ErrorCode"] == "E3002"
    assert answer_of(terminal.insurance(by_reference("4242")))["ErrorCode"] == "E3004"
    checked = terminal.confirm(reader, visual=True)
    assert answer_of(checked.xml)["ReferenceNumber"] == checked.reference  # none registered yet
    done = answer_of(terminal.reference(registration(member, "4242")))
    assert done["SegmentOfResult"] == "1" and done["ReferenceNumber"] == "4242"
    assert done["ArbitraryFileIdentifier"] == "REG"
    # later, without the card: by the number alone
    found = answer_of(terminal.insurance(by_reference("4242")))
    assert found["ReferenceClassification"] == "2" and found["QualificationValidity"] == "1"
    assert found["ReferenceNumber"] == "4242" and found["Name"] == member["name"]
    assert found["InsuredIdentificationNumber"] == "91001"
    (batched,) = terminal.batch([by_reference("4242")])
    assert answer_of(batched)["Name"] == member["name"]
    # the card's and the insurance data's answers carry it too; the confirmation keeps its own
    again = terminal.confirm(reader, visual=True)
    assert answer_of(again.xml)["ReferenceNumber"] == "4242" != again.reference
    assert (
        answer_of(terminal.insurance(query_xml(by_data(member, "01130018"))))["ReferenceNumber"]
        == "4242"
    )
    # the number names the patient for drug data as well (still only with consent)
    with pytest.raises(errors.Forbidden) as refused:
        terminal.drugs("4242")
    assert refused.value.code == "no_consent"
    # one patient per number: another patient, card checked, cannot take it
    terminal.confirm(CardReader(other["client"]), visual=True)
    taken = answer_of(terminal.reference(registration(stranger, "4242")))
    assert taken["ErrorCode"] == "E3003"
    assert answer_of(terminal.insurance(by_reference("4242")))["Name"] == member["name"]
    # a new number for the same patient replaces the old one
    assert answer_of(terminal.reference(registration(member, "4343")))["ReferenceNumber"] == "4343"
    assert answer_of(terminal.insurance(by_reference("4242")))["ErrorCode"] == "E3004"
    assert answer_of(terminal.insurance(by_reference("4343")))["Name"] == member["name"]
    # the number is the clinic's: another institution does not know it
    pharmacy = Terminal(http, f"/clinic/{PHARMACY}")
    unknown = query_xml(InsuranceQuery(PHARMACY, "", "", "", "", "", None, "4343"))
    assert answer_of(pharmacy.insurance(unknown))["ErrorCode"] == "E3004"
    # malformed: a number that is not 1-10 digits, a request for another institution
    for bad in ("12345678901", "12a"):
        with pytest.raises(errors.InvalidInput):
            terminal.reference(registration(member, bad))
        with pytest.raises(errors.InvalidInput):
            terminal.insurance(by_reference(bad))
    with pytest.raises(errors.Forbidden) as refused:
        terminal.insurance(unknown)
    assert refused.value.code == "institution_mismatch"


@contextmanager
def on_day(fed, day: str | dt.date | dt.datetime) -> Iterator[None]:
    """The eligibility system's clock at noon JST of ``day`` (or at that moment)."""
    system = fed.oqs().system
    real = system.clock
    if isinstance(day, dt.datetime):
        moment = day
    else:
        date = dt.date.fromisoformat(day) if isinstance(day, str) else day
        moment = dt.datetime.combine(date, dt.time(12), tzinfo=JST)
    system.clock = lambda: moment
    try:
        yield
    finally:
        system.clock = real


def test_an_old_paper_card_serves_to_its_last_day_then_the_grace_then_not(
    fed, http, terminal
) -> None:
    """End of paper cards: a query by the 記号・番号 of a paper card before 2025-12-01 (国保
    2025-07-31) is valid, after it valid with the grace's note to 2026-03-31, then invalid
    with the reason; a 資格確認書 issued then serves to its own last day."""
    card = issue(fed, http)
    member = enrol(
        fed, http, card, insurer="insurer-kyokai", number="92001", paper_card_issued_on="2022-04-01"
    )
    query = query_xml(by_data(member, "01130018"))
    days = {
        "2025-12-01": ("1", ""),
        "2025-12-02": ("1", "W4001"),
        "2026-03-31": ("1", "W4001"),
        "2026-04-01": ("2", "E4001"),
    }
    for day, (validity, code) in days.items():
        with on_day(fed, day):
            found = answer_of(terminal.insurance(query))
        assert (found["QualificationValidity"], found.get("ProcessingResultCode", "")) == (
            validity,
            code,
        ), day
    found = answer_of(terminal.insurance(query))  # today
    assert (
        found["QualificationValidity"] == "2"
        and "2025年12月1日" in found["ProcessingResultMessage"]
    )
    assert found["Name"] == member["name"] and found["InsuredCardValidDate"] == "20220401"
    # 国保 paper cards ended 2025-07-31
    kokuho = enrol(
        fed,
        http,
        issue(fed, http),
        insurer="insurer-kokuho",
        number="92002",
        paper_card_issued_on="2023-08-01",
        paper_card_expires_on="2027-07-31",
    )
    kokuho_query = query_xml(by_data(kokuho, "139993"))
    for day, code in (("2025-07-31", ""), ("2025-08-01", "W4001")):
        with on_day(fed, day):
            found = answer_of(terminal.insurance(kokuho_query))
        assert (
            found["QualificationValidity"] == "1" and found.get("ProcessingResultCode", "") == code
        )
    # no card registered: the insurer issues a 資格確認書, which serves to its last day
    issued = http.post(
        "/insurer/kyokai/api/documents",
        json={"symbol": member["symbol"], "number": "92001", "branch": member["branch"]},
    )
    assert issued.status_code == 200, issued.text
    found = answer_of(terminal.insurance(query))
    assert found["QualificationValidity"] == "1" and "ProcessingResultCode" not in found
    last = dt.date.fromisoformat(
        f"{found['InsuredCardExpirationDate'][:4]}-{found['InsuredCardExpirationDate'][4:6]}-"
        f"{found['InsuredCardExpirationDate'][6:]}"
    )
    today = jst.today()
    assert last == today.replace(year=today.year + 5) - dt.timedelta(days=1)
    with on_day(fed, last + dt.timedelta(days=1)):
        found = answer_of(terminal.insurance(query))
    assert found["QualificationValidity"] == "2" and found["ProcessingResultCode"] == "E4003"
    # no paper card was issued from 2024-12-02: the insurer takes none
    refused = http.post(
        "/insurer/kyokai/api/members",
        json={"members": [member | {"number": "92003", "paper_card_issued_on": "2024-12-02"}]},
    )
    assert refused.status_code == 422 and "2024-12-02" in refused.text


def test_a_card_whose_auth_certificate_lapsed_serves_to_the_end_of_the_third_month(
    fed, http, terminal
) -> None:
    card = issue(fed, http)
    enrol(fed, http, card, insurer="insurer-kyokai", number="92004")
    reader = CardReader(card["client"])
    assert terminal.register(reader, pin=AUTH_PIN) is True
    ends = x509.load_der_x509_certificate(reader.certificate()).not_valid_after_utc
    lapsed_on = ends.astimezone(JST).date()
    allowed_to = lapsed_certificate_usable_until(lapsed_on)
    for moment in (ends + dt.timedelta(seconds=1), allowed_to):
        with on_day(fed, moment):
            found = answer_of(terminal.confirm(reader, visual=True).xml)
        assert found["QualificationValidity"] == "1"
    with on_day(fed, allowed_to + dt.timedelta(days=1)), pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(reader, visual=True)
    assert refused.value.code == "certificate_lapsed" and "E1011" in refused.value.message


def issue_face_only(fed, http) -> dict[str, Any]:
    """A new resident's 顔認証マイナンバーカード (asked for at the counter: no PIN)."""
    resident = http.post("/municipality/131016/api/residents", json=_adult())
    assert resident.status_code == 201, resident.text
    answer = http.post(
        f"/municipality/131016/api/residents/{resident.json()['id']}/card",
        json={"face_only": True},
    )
    assert answer.status_code == 201, answer.text
    image = answer.json()["card_image"]
    chip = Chip.from_image(image.encode(), seal_key=seal_of(fed))
    return {
        "resident": resident.json(),
        "summary": answer.json()["summary"],
        "image": image,
        "chip": chip,
        "client": JPKIClient(ChipTransport(chip)),
    }


def seal_of(fed) -> bytes:
    return load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")


def test_a_face_only_card_is_confirmed_by_face_or_sight_and_has_no_pin_anywhere(
    fed, http, terminal, tmp_path
) -> None:
    card = issue_face_only(fed, http)
    summary = card["summary"]
    assert summary["face_only"] is True and summary["signing_certificate_issued"] is False
    assert [c["hierarchy"] for c in summary["certificates"]] == ["auth"]
    enrol(fed, http, card, insurer="insurer-kyokai", number="93001")
    reader = CardReader(card["client"])
    face = printed(card)
    photo = reader.photo(face)
    # 利用登録 and confirmations by face (or by sight); PIN mode is refused with the reason
    assert terminal.register(reader, face=(face, photo)) is True
    found = answer_of(terminal.confirm(reader, face=(face, photo)).xml)
    assert found["QualificationValidity"] == "1" and found["InsuredIdentificationNumber"] == "93001"
    assert answer_of(terminal.confirm(reader, visual=True).xml)["QualificationValidity"] == "1"
    with pytest.raises(ReaderRefused) as refused:
        terminal.confirm(reader, pin=AUTH_PIN)
    assert refused.value.code == "face_only_card" and "顔認証" in refused.value.message
    with pytest.raises(ReaderRefused):
        terminal.register(reader, pin=AUTH_PIN)
    # Mynaportal login and コンビニ交付 need the PIN: the card says it has none
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as pc:
        login = open_login(pc)
        with pytest.raises(PinNotSet) as no_pin:
            approve(http, login["code"], card["client"], pin=AUTH_PIN)
    assert "顔認証" in no_pin.value.message and "Mynaportal" in no_pin.value.message
    center = fed.jlis().kiosk_center
    real = center.clock
    center.clock = lambda: NOON  # within the kiosks' service hours
    try:
        with pytest.raises(PinNotSet):
            kiosk(fed).issue(card["client"], pin=AUTH_PIN, choice=Choice(certificate="juminhyo"))
    finally:
        center.clock = real
    with pytest.raises(PinNotSet):
        card["client"].sign(KeyKind.SIGN, b"x", pin=SIGN_PASSWORD)
    # after a move, the address change at the counter gives it no signing certificate either
    address = f"東京都新宿区西新宿2丁目{secrets.randbelow(10**6)}番"
    resident = move(http, card["resident"]["id"], "131016", "131041", address)
    moved = http.post(
        f"/municipality/131041/api/residents/{resident}/card/address",
        json={"card_image": card["image"]},
    )
    assert moved.status_code == 200, moved.text
    assert [c["hierarchy"] for c in moved.json()["certificates"]] == []
    # `card show` says 顔認証 (what the printed card face says)
    path = tmp_path / "face-only.card"
    CardFile(path).save(card["chip"].to_image())
    shown = CliRunner().invoke(
        app,
        ["card", "show", str(path), "--data", str(fed.settings.data_dir)],
        env={"COLUMNS": "200"},
    )
    assert shown.exit_code == 0, shown.output
    assert "顔認証" in shown.output and "not set" in shown.output


def test_a_card_switches_to_face_only_and_back_at_the_counter(fed, http, terminal) -> None:
    card = issue(fed, http)
    resident = card["resident"]["id"]
    enrol(fed, http, card, insurer="insurer-kyokai", number="93002")
    assert terminal.register(CardReader(card["client"]), pin=AUTH_PIN) is True
    switched = http.post(
        f"/municipality/131016/api/residents/{resident}/card/face-only",
        json={"card_image": card["image"]},
    )
    assert switched.status_code == 200, switched.text
    signing = [c for c in card["summary"]["certificates"] if c["hierarchy"] == "sign"]
    assert switched.json()["revoked"] == [signing[0]["serial"]]
    chip = Chip.from_image(switched.json()["card_image"].encode(), seal_key=seal_of(fed))
    reader = CardReader(JPKIClient(ChipTransport(chip)))
    with pytest.raises(ReaderRefused) as refused:
        terminal.confirm(reader, pin=AUTH_PIN)
    assert refused.value.code == "face_only_card"
    # the auth certificate stays: the insurance registration still holds, by sight or face
    assert answer_of(terminal.confirm(reader, visual=True).xml)["QualificationValidity"] == "1"
    # back: the counter sets a PIN where none is (暗証番号の初期化, J-LIS's cryptogram)
    mfg = card["summary"]["manufacture_number"]

    def authorise(challenge: bytes) -> bytes:
        answer = http.post(
            f"/municipality/131016/api/residents/{resident}/card/pin-reset",
            json={
                "manufacture_number": mfg,
                "pin": "auth",
                "card_challenge": base64.b64encode(challenge).decode(),
                "identity_checked_with": "passport",
            },
        )
        assert answer.status_code == 200, answer.text
        return base64.b64decode(answer.json()["cryptogram"])

    session = IssuerSession.open_authorised(ChipTransport(chip), authorise=authorise)
    session.set_pin(PinRef.JPKI_AUTH, "2468")
    chip.reset()
    found = answer_of(terminal.confirm(reader, pin="2468").xml)
    assert found["QualificationValidity"] == "1"
    # a switch is for this resident's own card only
    other = http.post("/municipality/131016/api/residents", json=_adult()).json()
    refused_other = http.post(
        f"/municipality/131016/api/residents/{other['id']}/card/face-only",
        json={"card_image": card["image"]},
    )
    assert refused_other.status_code == 404


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(fed, monkeypatch):
    # the command builds the deployment on the federation's own databases (PostgreSQL too)
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    if fed.settings.database_url is not None:
        monkeypatch.setenv("MYNUMBER_DATABASE_URL", fed.settings.database_url)
        monkeypatch.setenv("MYNUMBER_DATABASE_PREFIX", fed.settings.database_prefix)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--data", str(fed.settings.data_dir)])

    return invoke


@pytest.mark.slow  # each command builds the deployment from the data folder
def test_the_command_confirms_with_the_pin_and_prints_the_answer_xml(
    fed, http, cli, tmp_path
) -> None:
    card = issue(fed, http)
    member = enrol(fed, http, card, insurer="insurer-kyokai")
    path = tmp_path / "patient.card"
    CardFile(path).save(card["image"].encode("utf-8"))
    registered = cli("clinic", "register", "--card", str(path), "--pin", AUTH_PIN)
    assert registered.exit_code == 0, registered.output
    done = cli("clinic", "confirm", "--card", str(path), "--pin", AUTH_PIN, "--consent", "drugs")
    assert done.exit_code == 0, done.output
    xml = done.stdout[done.stdout.index("<?xml") :].split("\n", 2)
    found = answer_of("\n".join(xml[:2]).encode())
    assert found["QualificationValidity"] == "1" and found["Name"] == member["name"]
    assert found["PharmacistsInfoConsFlg"] == "1"
    wrong = cli("clinic", "confirm", "--card", str(path), "--pin", "0000")
    assert wrong.exit_code == 1 and "pin_wrong" in wrong.output
    assert cli("clinic", "confirm", "--card", str(path), "--visual", "--pin", "1").exit_code == 2


@pytest.mark.slow
def test_the_command_issues_a_face_only_card_and_shows_it(fed, cli, tmp_path) -> None:
    path = tmp_path / "face.card"
    issued = cli("card", "issue", "--out", str(path), "--face-only")
    assert issued.exit_code == 0, issued.output
    shown = cli("card", "show", str(path))
    assert shown.exit_code == 0 and "顔認証" in shown.output, shown.output
    both = cli("card", "issue", "--out", str(tmp_path / "x.card"), "--face-only", "--auth-pin", "1")
    assert both.exit_code == 2


@pytest.mark.slow
def test_the_folders_command_answers_each_request_file(
    fed, http, insured, terminal, cli, tmp_path
) -> None:
    member = insured["member"]
    terminal.confirm(CardReader(insured["client"]), visual=True)  # the card checked today
    (tmp_path / "req").mkdir()
    query = InsuranceQuery(
        institution=CLINIC,
        file_id="F9",
        insurer_number="06139994",
        symbol=member["symbol"],
        number=member["number"],
        branch=member["branch"],
        birth_date=dt.date.fromisoformat(member["birth_date"]),
    )
    (tmp_path / "req" / "OQSsiquc01req_0001.xml").write_bytes(query_xml(query))
    (tmp_path / "req" / "OQSsiquc01req_0002.xml").write_bytes(b"<broken")
    register = ReferenceRegistration(CLINIC, "F10", "700123", replace(query, file_id=""))
    (tmp_path / "req" / "OQSsiimm01req_0003.xml").write_bytes(registration_xml(register))
    done = cli("clinic", "folders", str(tmp_path))
    assert done.exit_code == 0, done.output
    good = answer_of((tmp_path / "res" / "OQSsiquc01res_0001.xml").read_bytes())
    assert good["QualificationValidity"] == "1" and good["ArbitraryFileIdentifier"] == "F9"
    bad = answer_of((tmp_path / "res" / "OQSsiquc01res_0002.xml").read_bytes())
    assert bad["SegmentOfResult"] == "9"
    registered = answer_of((tmp_path / "res" / "OQSsiimm01res_0003.xml").read_bytes())
    assert registered["ReferenceNumber"] == "700123" and registered["SegmentOfResult"] == "1"


def test_the_insurer_issues_a_certificate_without_a_registered_card_and_a_notice_with_one(
    fed, http, insured, tmp_path
) -> None:
    member = insured["member"]
    with_card = http.post(
        "/insurer/api/documents",
        json={"symbol": member["symbol"], "number": member["number"], "branch": member["branch"]},
    )
    assert with_card.status_code == 200, with_card.text
    assert with_card.headers["content-type"] == "application/pdf"
    card = issue(fed, http)
    other = enrol(fed, http, card, number="777", branch="00")
    without = http.post(
        "/insurer/api/documents", json={"symbol": other["symbol"], "number": "777", "branch": "00"}
    )
    assert without.status_code == 200, without.text
    texts = []
    for name, pdf in (("with", with_card.content), ("without", without.content)):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
        texts.append(done.stdout.decode("utf-8"))
    assert "資格情報のお知らせ" in texts[0] and "有効期限" not in texts[0]
    assert "資格確認書" in texts[1] and "有効期限" in texts[1] and "06139994" in texts[1]
    missing = http.post("/insurer/api/documents", json={"symbol": "x", "number": "1"})
    assert missing.status_code == 404
