"""マイナ保険証 end to end: an insurer registers a member's eligibility with the
オンライン資格確認等システム through the hub (by codes), the person registers the card on
Mynaportal, a clinic's reader confirms it in PIN, face and visual modes and gets the answer
XML; consent for drug data lasts 24 hours and every view is shown on Mynaportal; refusals
(wrong/locked PIN, suspended card, face lock, malformed requests) carry their reason."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import httpx
import pytest
from cryptography import x509
from defusedxml.ElementTree import fromstring
from sqlalchemy import text
from test_portal_login import AUTH_PIN, issue, log_in
from typer.testing import CliRunner, Result

from mynumber import errors
from mynumber.card import CardFile
from mynumber.cli import app
from mynumber.devices.clinic import CardReader, PrintedFace, ReaderRefused, Terminal
from mynumber.federation import INTERNAL_BASE
from mynumber.orgs.oqs.model import InsuranceQuery, query_xml
from mynumber.platform.http import InProcessTransport, ServiceClient
from mynumber.platform.signing import Identity, KeyFolder

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
def test_the_folders_command_answers_each_request_file(fed, http, insured, cli, tmp_path) -> None:
    member = insured["member"]
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
    done = cli("clinic", "folders", str(tmp_path))
    assert done.exit_code == 0, done.output
    good = answer_of((tmp_path / "res" / "OQSsiquc01res_0001.xml").read_bytes())
    assert good["QualificationValidity"] == "1" and good["ArbitraryFileIdentifier"] == "F9"
    bad = answer_of((tmp_path / "res" / "OQSsiquc01res_0002.xml").read_bytes())
    assert bad["SegmentOfResult"] == "9"


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
