"""PIN behaviour: counting down, reset on success, blocking, status query, session rules."""

from __future__ import annotations

import mynumber_test_cardkit as kit
import pytest
from mynumber_test_cardkit import PIN_STATUS, read_binary, run, select_ap, select_ef, tx, verify

from mynumber.card import AID_JPKI, AID_JUKI, AID_TEXT, AID_VISUAL, EF, SW

PINS = [
    (AID_JPKI, EF.JPKI_AUTH_PIN, kit.AUTH_PIN, "9999", 3),
    (AID_JPKI, EF.JPKI_SIGN_PIN, kit.SIGN_PASSWORD, "ZZZ999", 5),
    (AID_TEXT, EF.TEXT_PIN, kit.TEXT_PIN, "9999", 3),
    (AID_JUKI, EF.JUKI_PIN, kit.JUKI_PIN, "9999", 3),
    (AID_VISUAL, EF.VISUAL_PIN_A, kit.MY_NUMBER, "999999999999", 10),
    (AID_VISUAL, EF.VISUAL_PIN_B, kit.VISUAL_PIN_B, "99999999999999", 10),
]


@pytest.mark.parametrize(("aid", "fid", "right", "wrong", "tries"), PINS)
def test_pin_counts_down_and_locks_after_max_wrong_tries(
    card, aid, fid, right, wrong, tries
) -> None:
    assert run(card.chip, select_ap(aid), select_ef(fid), PIN_STATUS)[1] == 0x63C0 | tries
    answers = [tx(card.chip, verify(wrong))[1] for _ in range(tries)]
    assert answers == [0x63C0 | left for left in range(tries - 1, -1, -1)]
    assert tx(card.chip, verify(right))[1] == SW.PIN_BLOCKED
    assert tx(card.chip, verify(wrong))[1] == SW.PIN_BLOCKED
    assert tx(card.chip, PIN_STATUS)[1] == 0x63C0


@pytest.mark.parametrize(("aid", "fid", "right", "wrong", "tries"), PINS)
def test_right_pin_resets_the_counter(card, aid, fid, right, wrong, tries) -> None:
    run(card.chip, select_ap(aid), select_ef(fid), verify(wrong))
    assert tx(card.chip, PIN_STATUS)[1] == 0x63C0 | (tries - 1)
    assert tx(card.chip, verify(right))[1] == SW.OK
    assert tx(card.chip, PIN_STATUS)[1] == 0x63C0 | tries


def test_status_query_answers_63cx_even_right_after_a_successful_verify(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            PIN_STATUS,
        )[1]
        == 0x63C3
    )


def test_status_query_does_not_drop_the_verified_state(card) -> None:
    run(
        card.chip,
        select_ap(AID_JPKI),
        select_ef(EF.JPKI_SIGN_PIN),
        verify(kit.SIGN_PASSWORD),
        PIN_STATUS,
    )
    assert run(card.chip, select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1] == SW.OK


def test_wrong_verify_drops_the_verified_state(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_PIN), verify(kit.SIGN_PASSWORD))
    assert tx(card.chip, verify("WRONG1"))[1] == 0x63C4
    assert (
        run(card.chip, select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_reselecting_the_current_application_keeps_its_verified_state(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_PIN), verify(kit.SIGN_PASSWORD))
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.OK
    )


def test_selecting_another_application_clears_the_verified_state(card) -> None:
    run(
        card.chip,
        select_ap(AID_JPKI),
        select_ef(EF.JPKI_SIGN_PIN),
        verify(kit.SIGN_PASSWORD),
        select_ap(AID_TEXT),
    )
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_failed_select_of_a_foreign_aid_keeps_the_session(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_PIN), verify(kit.SIGN_PASSWORD))
    assert tx(card.chip, select_ap(bytes.fromhex("A0000000030000")))[1] == SW.FILE_NOT_FOUND
    assert run(card.chip, select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1] == SW.OK


def test_reset_clears_the_verified_state(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_PIN), verify(kit.SIGN_PASSWORD))
    card.chip.reset()
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_a_pin_verified_in_one_application_does_not_open_another(card) -> None:
    run(card.chip, select_ap(AID_TEXT), select_ef(EF.TEXT_PIN), verify(kit.TEXT_PIN))
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_change_reference_data_sets_a_new_pin(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            b"\x00\x24\x01\x80\x04" + b"7777",
        )[1]
        == SW.OK
    )
    assert tx(card.chip, verify(kit.AUTH_PIN))[1] == 0x63C2
    assert tx(card.chip, verify("7777"))[1] == SW.OK


def test_reset_retry_counter_unblocks_with_a_new_value(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN))
    for _ in range(3):
        tx(card.chip, verify("0000"))
    from mynumber.reader import IssuerSession, PinRef

    IssuerSession.open(card.transport, issuer_key=card.issuer_key).set_pin(PinRef.JPKI_AUTH, "5555")
    assert run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), PIN_STATUS)[1] == 0x63C3
    assert tx(card.chip, verify("5555"))[1] == SW.OK
