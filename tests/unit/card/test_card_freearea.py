"""The free area: an employer's and the police's applications, each behind its own
issuer session (this project's layout, :mod:`mynumber.card.freearea`)."""

from __future__ import annotations

import datetime as dt

import mynumber_test_cardkit as kit
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mynumber.card import AID_FREE_AREA, AID_JPKI, Chip, ChipTransport
from mynumber.card.freearea import FreeApp, derive_free_area_key
from mynumber.reader import IssuerAuthenticationFailed, PinIncorrect
from mynumber.reader.errors import SecurityStatusNotSatisfied
from mynumber.reader.freearea import (
    EMPLOYEE_ID_EF,
    LICENCE_DATA_EF,
    FreeAreaSession,
    LicenceError,
    make_licence_number,
    read_employee_id,
    read_licence,
    sign_licence,
    validate_licence_number,
    verify_licence,
)

LICENCE_PIN = kit.LICENCE_PIN
police, licence, police_write, _cert = kit.police, kit.demo_licence, kit.police_write, kit.ec_cert


def test_licence_number_layout_and_check_digit() -> None:
    number = make_licence_number(30, 2010, 123456, reissues=1)
    assert len(number) == 12 and number.startswith("3010123456") and number.endswith("1")
    assert validate_licence_number(number) == number
    wrong = number[:10] + str((int(number[10]) + 1) % 10) + number[11]
    with pytest.raises(LicenceError):
        validate_licence_number(wrong)


def test_police_write_a_licence_and_the_reader_verifies_and_shows_it() -> None:
    card = kit.make_card()
    police_write(card, licence())
    data, signature = read_licence(card.transport, LICENCE_PIN)
    shown = verify_licence(data, signature, police()[0])
    assert shown == licence()
    assert shown.valid_on(dt.date(2026, 1, 1)) and not shown.valid_on(dt.date(2030, 2, 3))
    # it survives the card image
    again = Chip.from_image(card.chip.to_image(), seal_key=kit.SEAL_KEY)
    assert verify_licence(*read_licence(ChipTransport(again), LICENCE_PIN), police()[0]) == shown


def test_a_tampered_licence_is_refused() -> None:
    card = kit.make_card()
    police_write(card, licence())
    data, signature = read_licence(card.transport, LICENCE_PIN)
    forged = data.replace("普通".encode(), "大型".encode())
    assert forged != data
    with pytest.raises(LicenceError, match="fails verification"):
        verify_licence(forged, signature, police()[0])
    # signed by someone the police root did not certify
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("DEMO forger", other_key, ("DEMO forger", other_key))
    with pytest.raises(LicenceError):
        verify_licence(forged, sign_licence(forged, other_key, other), police()[0])


def test_a_card_without_a_licence_says_so() -> None:
    card = kit.make_card()
    with pytest.raises(LicenceError, match="no licence application"):
        read_licence(card.transport, LICENCE_PIN)
    with pytest.raises(LicenceError):
        verify_licence(b"", b"", police()[0])


def test_a_wrong_licence_pin_counts_down_and_reads_nothing() -> None:
    card = kit.make_card()
    police_write(card, licence())
    for left in (2, 1):
        with pytest.raises(PinIncorrect) as caught:
            read_licence(card.transport, "0000")
        assert caught.value.tries_left == left
    card.chip.transmit(kit.select_ap(AID_FREE_AREA))
    card.chip.transmit(kit.select_ef(LICENCE_DATA_EF))
    assert kit.tx(card.chip, kit.read_binary(0, 0))[1] == 0x6982
    # the right PIN still works with one try left and gives the tries back
    read_licence(card.transport, LICENCE_PIN)


def test_door_tap_reads_the_employee_id_without_a_pin() -> None:
    card = kit.make_card()
    key = derive_free_area_key(card.issuer_key, FreeApp.EMPLOYEE)
    FreeAreaSession.open(card.transport, FreeApp.EMPLOYEE, key).write_employee_id(
        "PREF13", "E-000123"
    )
    card.chip.reset()
    assert read_employee_id(card.transport) == ("PREF13", "E-000123")


def test_an_issuer_without_approval_cannot_open_a_free_area_session() -> None:
    card = kit.make_card()
    other = kit.make_card("DEMO000000002")
    for key in (
        derive_free_area_key(other.issuer_key, FreeApp.EMPLOYEE),  # granted for another card
        bytes(32),
    ):
        with pytest.raises(IssuerAuthenticationFailed):
            FreeAreaSession.open(card.transport, FreeApp.EMPLOYEE, key)
    # J-LIS's card key itself opens no free-area session either
    with pytest.raises(IssuerAuthenticationFailed):
        FreeAreaSession.open(card.transport, FreeApp.LICENCE, card.issuer_key)


def test_an_employer_session_reaches_only_the_employee_application() -> None:
    card = kit.make_card()
    key = derive_free_area_key(card.issuer_key, FreeApp.EMPLOYEE)
    session = FreeAreaSession.open(card.transport, FreeApp.EMPLOYEE, key)
    with pytest.raises(SecurityStatusNotSatisfied):
        session.write(LICENCE_DATA_EF, b"{}")
    # another application: selecting it ends the session, and nothing there is writable
    assert kit.tx(card.chip, kit.select_ap(AID_JPKI))[1] == 0x9000
    assert kit.tx(card.chip, kit.select_ef(0x000A))[1] == 0x9000
    assert kit.tx(card.chip, "00D6000001FF")[1] == 0x6982
    assert kit.tx(card.chip, kit.select_ap(AID_FREE_AREA))[1] == 0x9000
    assert kit.tx(card.chip, kit.select_ef(EMPLOYEE_ID_EF))[1] == 0x9000
    assert kit.tx(card.chip, "00D6000001FF")[1] == 0x6982


def test_a_free_area_session_needs_an_issued_card() -> None:
    chip, issuer_key = kit.manufacture()
    key = derive_free_area_key(issuer_key, FreeApp.EMPLOYEE)
    with pytest.raises(IssuerAuthenticationFailed) as caught:
        FreeAreaSession.open(ChipTransport(chip), FreeApp.EMPLOYEE, key)
    assert caught.value.status_word == 0x6985
