"""The 追記欄 on the chip (this project's layout): written in an issuer session with the
text AP, sealed by J-LIS over it, read behind the text PIN; an entry added, altered or
removed without J-LIS's signature is found out; the issuer reads it to append."""

from __future__ import annotations

import dataclasses

import pytest
from mynumber_test_cardkit import (
    ATTRIBUTES,
    MY_NUMBER,
    TEXT_PIN,
    jlis_sign,
    jlis_text_key,
    make_card,
    run,
    select_ap,
    select_ef,
)

from mynumber.card import AID_TEXT, ChipTransport
from mynumber.reader import (
    ENDORSEMENT_SLOTS,
    Endorsement,
    IssuerSession,
    JPKIClient,
    SecurityStatusNotSatisfied,
    TextSignatureInvalid,
    cardfiles,
    verify_text_signature,
)

MOVED = Endorsement("20260401", "address", "東京都新宿区西新宿2丁目8番1号", "131041")
AGAIN = Endorsement("20270115", "address", "東京都千代田区永田町1丁目7番1号", "131016")


def _endorse(card, *entries: Endorsement) -> None:
    session = IssuerSession.open(ChipTransport(card.chip), issuer_key=card.issuer_key)
    session.write_text_ap(
        my_number=MY_NUMBER, attributes=ATTRIBUTES, sign=jlis_sign, endorsements=entries
    )
    card.chip.reset()


def test_entries_are_sealed_with_the_text_ap_and_read_behind_its_pin() -> None:
    card = make_card()
    client = JPKIClient(card.transport)
    assert client.read_endorsements(TEXT_PIN) == ()  # empty until the first entry
    _endorse(card, MOVED, AGAIN)

    record = verify_text_signature(client.read_text_ap(TEXT_PIN), jlis_text_key().public_key())
    assert record.endorsements == (MOVED, AGAIN)
    assert record.endorsements_digest is not None
    assert "西新宿" not in repr(record.endorsements[0])
    card.chip.reset()
    with pytest.raises(SecurityStatusNotSatisfied):  # no PIN, no 追記欄
        client.select_application(AID_TEXT)
        client.select_ef(0x0009)
        client.read_binary(0, 16)


def test_an_entry_changed_or_removed_without_jlis_is_found_out() -> None:
    card = make_card()
    _endorse(card, MOVED)
    client = JPKIClient(card.transport)
    key = jlis_text_key().public_key()
    sealed = client.read_text_ap(TEXT_PIN)
    for forged in (
        cardfiles.encode_endorsements((AGAIN,)),  # another entry in its place
        cardfiles.encode_endorsements((MOVED, AGAIN)),  # one added
        b"",  # all removed
    ):
        tampered = dataclasses.replace(sealed, endorsements_ef=forged)
        with pytest.raises(TextSignatureInvalid):
            verify_text_signature(tampered, key)


def test_the_issuer_reads_the_area_to_append_and_it_holds_four() -> None:
    card = make_card()
    _endorse(card, MOVED)
    session = IssuerSession.open(ChipTransport(card.chip), issuer_key=card.issuer_key)
    assert session.read_endorsements() == (MOVED,)  # no holder PIN in an issuer session
    # outside an issuer session the same READ BINARY is refused
    card.chip.reset()
    assert run(card.chip, select_ap(AID_TEXT), select_ef(0x0009), "00B0000000")[1] == 0x6982
    full = (MOVED,) * ENDORSEMENT_SLOTS
    assert ENDORSEMENT_SLOTS == 4
    assert cardfiles.decode_endorsements(cardfiles.encode_endorsements(full)) == full
    with pytest.raises(ValueError):
        cardfiles.encode_endorsements((*full, AGAIN))
    with pytest.raises(ValueError):
        Endorsement("20260401", "tax", "x", "131016")
