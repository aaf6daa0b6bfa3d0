"""The free area through pcscd and vpcd, as a PC/SC program sees the inserted card: the
police write a licence, the reader verifies and shows it; a door tap reads the employee
application without a PIN."""

from __future__ import annotations

import mynumber_test_cardkit as kit
import pytest

from mynumber.card.freearea import FreeApp, derive_free_area_key
from mynumber.reader import PCSCTransport, PinIncorrect
from mynumber.reader.freearea import (
    FreeAreaSession,
    read_employee_id,
    read_licence,
    verify_licence,
)

pytestmark = pytest.mark.pcsc

READER = "Virtual PCD 00 00"


def test_a_licence_written_and_read_through_pcsc(inserted_card) -> None:
    with PCSCTransport(READER) as transport:
        kit.police_write(inserted_card, kit.demo_licence(), transport=transport)
        with pytest.raises(PinIncorrect) as caught:
            read_licence(transport, "0000")
        assert caught.value.tries_left == 2
        shown = verify_licence(*read_licence(transport, kit.LICENCE_PIN), kit.police()[0])
    assert shown == kit.demo_licence()


def test_a_door_tap_through_pcsc_needs_no_pin(inserted_card) -> None:
    key = derive_free_area_key(inserted_card.issuer_key, FreeApp.EMPLOYEE)
    with PCSCTransport(READER) as transport:
        FreeAreaSession.open(transport, FreeApp.EMPLOYEE, key).write_employee_id("CO42", "E-9")
    with PCSCTransport(READER) as transport:
        assert read_employee_id(transport) == ("CO42", "E-9")
