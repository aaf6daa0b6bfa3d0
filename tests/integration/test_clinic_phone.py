"""マイナ保険証 on a smartphone: the phone's own auth key and PIN confirm eligibility at the
reader like the card's PIN mode, linked to the insured member through the card's 利用登録;
face and visual modes are refused for a phone, and the card's suspension stops the phone.
本人確認判定フラグ: a copy that is not the card holder's is hidden until the insurer fixes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from test_clinic import CLINIC, answer_of, cli, enrol  # noqa: F401 - cli is a fixture
from test_phone_certificate import PHONE_PIN, new_phone
from test_portal_login import AUTH_PIN, issue

from mynumber import errors
from mynumber.card import CardFile
from mynumber.devices.clinic import CardReader, ReaderRefused, Terminal
from mynumber.federation import INTERNAL_BASE
from mynumber.platform.http import InProcessTransport


@pytest.fixture(scope="module")
def terminal(http) -> Terminal:
    return Terminal(http, f"/clinic/{CLINIC}")


@pytest.fixture(scope="module")
def device(fed) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcessTransport(fed.root), base_url=INTERNAL_BASE, follow_redirects=False
    ) as client:
        yield client


def insured_card(fed, http, terminal: Terminal) -> dict[str, Any]:
    """A new resident's card, a member of 協会けんぽ, registered at the reader."""
    card = issue(fed, http)
    enrol(fed, http, card, insurer="insurer-kyokai")
    assert terminal.register(CardReader(card["client"]), pin=AUTH_PIN) is True
    return card


def test_a_phone_confirms_eligibility_with_its_own_pin(fed, http, device, terminal) -> None:
    card = insured_card(fed, http, terminal)
    phone = CardReader(new_phone(fed, device, card).credential)
    confirmed = terminal.confirm(phone, pin=PHONE_PIN)
    found = answer_of(confirmed.xml)
    assert found["QualificationValidity"] == "1" and found["InsurerNumber"] == "01130018"
    assert found["Name"].startswith(card["resident"]["family_name"])
    # the same record as the card's own answer; the confirmation is recorded as the phone's
    by_card = answer_of(terminal.confirm(CardReader(card["client"]), pin=AUTH_PIN).xml)
    assert by_card["InsuredIdentificationNumber"] == found["InsuredIdentificationNumber"]
    with fed.oqs().engine.connect() as conn:
        mode = conn.execute(
            text("SELECT mode FROM confirmations WHERE id = :id"), {"id": confirmed.reference}
        ).scalar_one()
    assert mode == "phone"
    # the phone's PIN is its own: the card's PIN is wrong on the phone
    with pytest.raises(ReaderRefused) as refused:
        terminal.confirm(phone, pin=AUTH_PIN)
    assert refused.value.code == "pin_wrong"
    # a phone is confirmed with its PIN only: no card face at the reader, no visual check
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(phone, visual=True)
    assert refused.value.code == "phone_pin_only"
    # the card's suspension stops the phone too (its certificates follow the card's)
    mfg = card["summary"]["manufacture_number"]
    assert http.post(f"/jlis/cards/{mfg}/suspend", json={}).status_code == 200
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(phone, pin=PHONE_PIN)
    assert refused.value.code == "card_suspended"


def test_a_phone_of_an_unregistered_card_is_refused(fed, http, device, terminal) -> None:
    card = issue(fed, http)
    phone = CardReader(new_phone(fed, device, card).credential)
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(phone, pin=PHONE_PIN)
    assert refused.value.code == "not_registered"


def test_a_copy_that_is_not_the_holder_s_is_hidden_until_the_insurer_fixes_it(
    fed, http, terminal
) -> None:
    """本人確認判定フラグ: the copy's name, sex and birth date against the register."""
    card = issue(fed, http)
    enrol(fed, http, card, insurer="insurer-kyokai", birth_date="1901-01-01")
    reader = CardReader(card["client"])
    assert terminal.register(reader, pin=AUTH_PIN) is True
    with pytest.raises(errors.Forbidden) as refused:
        terminal.confirm(reader, visual=True)
    assert refused.value.code == "identity_mismatch" and "E1010" in refused.value.message
    # the insurer sends the corrected copy: the record is shown again
    enrol(fed, http, card, insurer="insurer-kyokai")
    found = answer_of(terminal.confirm(reader, visual=True).xml)
    assert found["QualificationValidity"] == "1"
    assert found["Birthdate"] == card["resident"]["birth_date"].replace("-", "")


@pytest.mark.slow  # the command builds the deployment from the data folder
def test_the_command_confirms_with_a_phone_and_its_pin(
    fed,
    http,
    device,
    terminal,
    cli,  # noqa: F811 - the fixture of test_clinic
    tmp_path,
) -> None:
    card = insured_card(fed, http, terminal)
    path = new_phone(fed, device, card).credential.save(tmp_path / "phone.json")
    done = cli("clinic", "confirm", "--phone", str(path), "--pin", PHONE_PIN)
    assert done.exit_code == 0, done.output
    xml = done.stdout[done.stdout.index("<?xml") :].split("\n", 2)
    found = answer_of("\n".join(xml[:2]).encode())
    assert found["QualificationValidity"] == "1" and found["InsurerNumber"] == "01130018"
    wrong = cli("clinic", "confirm", "--phone", str(path), "--pin", AUTH_PIN)
    assert wrong.exit_code == 1 and "pin_wrong" in wrong.output
    # a phone has no face to scan and no visual check; a card and a phone at once is a mistake
    assert cli("clinic", "confirm", "--phone", str(path), "--visual").exit_code == 2
    card_path = tmp_path / "patient.card"
    CardFile(card_path).save(card["image"].encode("utf-8"))
    both = cli("clinic", "confirm", "--phone", str(path), "--card", str(card_path), "--pin", "1")
    assert both.exit_code == 2
