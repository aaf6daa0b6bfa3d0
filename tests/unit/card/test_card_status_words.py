"""Every status word the chip answers, case by case."""

from __future__ import annotations

import hashlib

import mynumber_test_cardkit as kit
import pytest
from cryptography.hazmat.primitives import serialization
from mynumber_test_cardkit import (
    PIN_STATUS,
    read_binary,
    run,
    select_ap,
    select_ef,
    sign_apdu,
    tx,
    verify,
)

from mynumber.card import (
    AID_JPKI,
    AID_JUKI,
    AID_TEXT,
    AID_VISUAL,
    EF,
    JPKI_TOKEN,
    SW,
    admin_cryptogram,
)
from mynumber.reader import KeyKind, digest_info

SHA256_INFO = digest_info(hashlib.sha256(b"x").digest())


# --- class and instruction ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cla", "sw"),
    [
        (0x90, SW.CLA_NOT_SUPPORTED),
        (0xB0, SW.CLA_NOT_SUPPORTED),
        (0xFF, SW.CLA_NOT_SUPPORTED),
        (0x20, SW.CLA_NOT_SUPPORTED),
        (0x10, SW.COMMAND_CHAINING_NOT_SUPPORTED),
        (0x0C, SW.SECURE_MESSAGING_NOT_SUPPORTED),
        (0x01, SW.LOGICAL_CHANNEL_NOT_SUPPORTED),
        (0x40, SW.LOGICAL_CHANNEL_NOT_SUPPORTED),
    ],
)
def test_unknown_or_unsupported_class_is_refused(card, cla: int, sw: int) -> None:
    assert tx(card.chip, bytes((cla, 0xA4, 0x04, 0x0C, len(AID_JPKI))) + AID_JPKI)[1] == sw


@pytest.mark.parametrize("header", ["00CA0000", "002A9E9A", "80A40400", "00FE0000", "00E00000"])
def test_unknown_instruction_is_6d00(card, header: str) -> None:
    assert tx(card.chip, header)[1] == SW.INS_NOT_SUPPORTED


def test_extended_length_select_is_accepted(card) -> None:
    assert tx(card.chip, "00A4040C00000A" + AID_JPKI.hex())[1] == SW.OK


def test_extended_length_with_a_truncated_le_is_wrong_length(card) -> None:
    assert run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN), "00B000000001")[1] == (
        SW.WRONG_LENGTH
    )


def test_lc_not_matching_the_data_is_wrong_length(card) -> None:
    assert tx(card.chip, "00A4040C0BD392F000260100000001")[1] == SW.WRONG_LENGTH


def test_apdu_shorter_than_a_header_is_wrong_length(card) -> None:
    assert tx(card.chip, "00A4")[1] == SW.WRONG_LENGTH


# --- SELECT ------------------------------------------------------------------------------


def test_foreign_aid_is_file_not_found_never_ok(card) -> None:
    assert tx(card.chip, select_ap(bytes.fromhex("A000000003000000")))[1] == SW.FILE_NOT_FOUND
    assert tx(card.chip, select_ap(AID_JPKI[:-1]))[1] == SW.FILE_NOT_FOUND


def test_select_ef_without_an_application_is_file_not_found(card) -> None:
    assert tx(card.chip, select_ef(EF.JPKI_AUTH_CERT))[1] == SW.FILE_NOT_FOUND


def test_select_ef_of_another_application_is_file_not_found(card) -> None:
    assert run(card.chip, select_ap(AID_JUKI), select_ef(EF.JPKI_AUTH_CERT))[1] == SW.FILE_NOT_FOUND


def test_select_ef_with_three_byte_id_is_lc_inconsistent(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), "00A4020C03000A00")[1] == SW.LC_INCONSISTENT_WITH_P1P2
    )


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00A4020402000A", SW.INCORRECT_P1P2),
        ("00A4050C02000A", SW.INCORRECT_P1P2),
        ("00A4000C023F00", SW.FILE_NOT_FOUND),
    ],
)
def test_select_modes_not_supported(card, apdu: str, sw: int) -> None:
    assert run(card.chip, select_ap(AID_JPKI), apdu)[1] == sw


def test_select_by_name_with_fci_returns_the_df_name(card) -> None:
    data, sw = tx(card.chip, bytes((0x00, 0xA4, 0x04, 0x00, 10)) + AID_JPKI + b"\x00")
    assert sw == SW.OK
    assert data == b"\x6f\x0c\x84\x0a" + AID_JPKI


# --- READ BINARY -------------------------------------------------------------------------


def test_read_binary_without_current_ef_is_6986(card) -> None:
    assert run(card.chip, select_ap(AID_JPKI), read_binary(0, 4))[1] == SW.NO_CURRENT_EF


def test_read_binary_past_the_end_is_6b00(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN), read_binary(0x20, 1))[1]
        == SW.WRONG_P1P2
    )
    assert tx(card.chip, read_binary(0x7FFF, 0))[1] == SW.WRONG_P1P2


def test_read_binary_le_00_on_a_short_file_returns_it_all_with_9000(card) -> None:
    data, sw = run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN), read_binary(0, 0))
    assert (data, sw) == (JPKI_TOKEN, SW.OK)


def test_read_binary_with_explicit_le_past_the_end_returns_what_is_left_with_9000(card) -> None:
    data, sw = run(
        card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN), read_binary(0x10, 0x20)
    )
    assert (data, sw) == (JPKI_TOKEN[0x10:], SW.OK)


def test_reading_255_byte_chunks_until_6b00_gets_the_whole_certificate(card) -> None:
    """pyjpki's ``read_certificate`` loop: 255-byte chunks, stop on no data or ``6B 00``."""
    expected = card.certificates[KeyKind.AUTH].public_bytes(serialization.Encoding.DER)
    assert len(expected) % 255 != 0
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CERT))
    got, sws = b"", []
    while True:
        data, sw = tx(card.chip, read_binary(len(got), 0xFF))
        sws.append(sw)
        if sw == SW.WRONG_P1P2 or not data:
            break
        assert sw == SW.OK
        got += data
    assert got == expected
    assert sws[-1] == SW.WRONG_P1P2 and sws.count(SW.OK) == len(sws) - 1


def test_read_binary_by_sfi_with_extended_le_returns_the_whole_ef(card) -> None:
    """jsapdu ``readEfBinaryFull``: ``00 B0 80|sfi 00 00 00 00``, no SELECT EF."""
    expected = card.certificates[KeyKind.AUTH].public_bytes(serialization.Encoding.DER)
    assert len(expected) > 256
    data, sw = run(card.chip, select_ap(AID_JPKI), "00B08A00000000")
    assert (data, sw) == (expected, SW.OK)
    # the EF read by its SFI is now the current EF
    assert tx(card.chip, read_binary(0, 4)) == (expected[:4], SW.OK)


def test_read_binary_by_sfi_uses_p2_as_the_offset(card) -> None:
    assert run(card.chip, select_ap(AID_JPKI), "00B0861000") == (JPKI_TOKEN[0x10:], SW.OK)
    assert tx(card.chip, "00B08620000000")[1] == SW.WRONG_P1P2


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00B0A60000", SW.INCORRECT_P1P2),  # P1 bits 7-6 not 00
        ("00B0800000", SW.INCORRECT_P1P2),  # SFI 0
        ("00B09F0000", SW.INCORRECT_P1P2),  # SFI 31
        ("00B0830000", SW.FILE_NOT_FOUND),  # no EF 0003 in the JPKI-AP
        ("00B0810000", SW.SECURITY_STATUS_NOT_SATISFIED),  # sign cert before the password
        ("00B0980000", SW.SECURITY_STATUS_NOT_SATISFIED),  # a PIN EF
    ],
)
def test_read_binary_by_sfi_refusals_leave_the_session_alone(card, apdu: str, sw: int) -> None:
    card.chip.reset()
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN))
    before = card.chip._session_state()
    assert tx(card.chip, apdu)[1] == sw
    assert card.chip._session_state() == before


def test_read_binary_by_sfi_without_an_application_is_6986(card) -> None:
    card.chip.reset()
    assert tx(card.chip, "00B08A00000000")[1] == SW.NO_CURRENT_EF


def test_verify_by_sfi_names_the_pin_without_selecting_it(card) -> None:
    """jsapdu ``verify(pin, {ef})``: ``00 20 00 80|sfi``; the current EF does not change."""
    pin = kit.TEXT_PIN.encode()
    run(card.chip, select_ap(AID_TEXT), select_ef(EF.TEXT_MY_NUMBER))
    assert tx(card.chip, bytes((0x00, 0x20, 0x00, 0x91, len(pin))) + pin)[1] == SW.OK
    data, sw = tx(card.chip, read_binary(0, 0))
    assert sw == SW.OK and data[3:15] == kit.MY_NUMBER.encode()
    assert tx(card.chip, "00200091")[1] == SW.VERIFY_FAILED | 3


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("002000820431323334", SW.REFERENCED_DATA_NOT_FOUND),  # EF 0002 is not a PIN
        ("002000830431323334", SW.REFERENCED_DATA_NOT_FOUND),  # no EF 0003 here
        ("0020009F0431323334", SW.INCORRECT_P1P2),
        ("002000A00431323334", SW.INCORRECT_P1P2),
        ("002001910431323334", SW.INCORRECT_P1P2),
    ],
)
def test_verify_by_sfi_refusals(card, apdu: str, sw: int) -> None:
    card.chip.reset()
    assert run(card.chip, select_ap(AID_TEXT), apdu)[1] == sw


def test_extended_le_on_sign_returns_the_signature_at_once(card) -> None:
    # case 4E: 80 2A 00 80, Lc = 00 00 33, the DigestInfo, Le = 00 00 (Ne 65,536)
    apdu = bytes.fromhex("802A0080000033") + SHA256_INFO + b"\x00\x00"
    data, sw = run(
        card.chip,
        select_ap(AID_JPKI),
        select_ef(EF.JPKI_AUTH_PIN),
        verify(kit.AUTH_PIN),
        select_ef(EF.JPKI_AUTH_KEY),
        apdu,
    )
    assert (len(data), sw) == (256, SW.OK)


def test_read_binary_without_le_is_wrong_length(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_TOKEN), "00B00000")[1]
        == SW.WRONG_LENGTH
    )


@pytest.mark.parametrize("fid", [EF.JPKI_AUTH_PIN, EF.JPKI_SIGN_PIN, EF.JPKI_AUTH_KEY])
def test_reading_a_pin_or_key_ef_is_a_security_error(card, fid: int) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(fid), read_binary(0, 0))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_read_binary_on_a_record_ef_is_incompatible(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JUKI), select_ef(EF.JUKI_RECORDS), read_binary(0, 0))[1]
        == SW.INCOMPATIBLE_FILE
    )


def test_certificates_start_30_82_and_length_is_header_plus_4(card) -> None:
    for fid in (EF.JPKI_AUTH_CERT, EF.JPKI_AUTH_CA, EF.JPKI_SIGN_CA):
        head, sw = run(card.chip, select_ap(AID_JPKI), select_ef(fid), read_binary(0, 4))
        assert sw == SW.OK and head[:2] == b"\x30\x82"


def test_sign_certificate_is_6982_before_the_password_and_readable_after(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_CERT), read_binary(0, 4))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )
    head, sw = run(
        card.chip,
        select_ef(EF.JPKI_SIGN_PIN),
        verify(kit.SIGN_PASSWORD),
        select_ef(EF.JPKI_SIGN_CERT),
        read_binary(0, 4),
    )
    assert sw == SW.OK and head[:2] == b"\x30\x82"


def test_text_ap_files_need_the_text_pin(card) -> None:
    for fid in (EF.TEXT_MY_NUMBER, EF.TEXT_ATTRIBUTES, EF.TEXT_SIGNATURE):
        assert (
            run(card.chip, select_ap(AID_TEXT), select_ef(fid), read_binary(0, 0))[1]
            == SW.SECURITY_STATUS_NOT_SATISFIED
        )
    data, sw = run(
        card.chip,
        select_ef(EF.TEXT_PIN),
        verify(kit.TEXT_PIN),
        select_ef(EF.TEXT_MY_NUMBER),
        read_binary(0, 0x11),
    )
    assert sw == SW.OK and data[:3] == b"\xff\x10\x0c" and data[3:15] == kit.MY_NUMBER.encode()


# --- READ RECORD (住基AP) ----------------------------------------------------------------


def test_read_record_returns_the_manufacture_number_at_2_to_15(card) -> None:
    data, sw = run(card.chip, select_ap(AID_JUKI), "00B2010C00")
    assert sw == SW.OK
    assert data[:3] == bytes((0xDF, 0x01, len(data) - 3))  # one TLV (tag DF 01)
    assert data[3:][2:15].decode() == card.manufacture_number


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00B2020C00", SW.RECORD_NOT_FOUND),
        ("00B2010C05", SW.WRONG_LE | 0x12),  # the record is 18 bytes
        ("00B2011400", SW.FILE_NOT_FOUND),
        ("00B2010800", SW.INCORRECT_P1P2),
        ("00B2000C00", SW.INCORRECT_P1P2),
        ("00B2010C", SW.WRONG_LENGTH),
    ],
)
def test_read_record_errors(card, apdu: str, sw: int) -> None:
    assert run(card.chip, select_ap(AID_JUKI), apdu)[1] == sw


def test_read_record_outside_the_juki_ap_finds_no_records(card) -> None:
    assert tx(card.chip, "00B2010C00")[1] == SW.NO_CURRENT_EF
    assert run(card.chip, select_ap(AID_JPKI), "00B2010C00")[1] == SW.FILE_NOT_FOUND


# --- VERIFY / CHANGE REFERENCE DATA ------------------------------------------------------


@pytest.mark.parametrize(
    ("fid", "bad"),
    [
        (EF.JPKI_AUTH_PIN, "123"),
        (EF.JPKI_AUTH_PIN, "12345"),
        (EF.JPKI_AUTH_PIN, "12a4"),
        (EF.JPKI_SIGN_PIN, "abc123"),
        (EF.JPKI_SIGN_PIN, "ABC12"),
        (EF.JPKI_SIGN_PIN, "A" * 17),
        (EF.JPKI_SIGN_PIN, "ABC-123"),
    ],
)
def test_malformed_pin_is_6a80_and_costs_no_try(card, fid: int, bad: str) -> None:
    _, before = run(card.chip, select_ap(AID_JPKI), select_ef(fid), PIN_STATUS)
    assert tx(card.chip, verify(bad))[1] == SW.WRONG_DATA
    assert tx(card.chip, PIN_STATUS)[1] == before


def test_non_ascii_pin_is_6a80(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), verify(b"\xff\xfe12"))[1]
        == SW.WRONG_DATA
    )


def test_verify_on_a_non_pin_ef_is_6986(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CERT), verify("1234"))[1]
        == SW.NO_CURRENT_EF
    )


def test_verify_with_wrong_p2_is_6a86(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            "0020000004" + b"1234".hex(),
        )[1]
        == SW.INCORRECT_P1P2
    )


def test_verify_by_the_sfi_of_a_non_pin_is_6a88(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), "002000810431323334")[1]
        == SW.REFERENCED_DATA_NOT_FOUND
    )


def test_verify_of_an_unset_pin_is_6984(blank_chip) -> None:
    chip, _ = blank_chip
    assert (
        run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), verify("1234"))[1]
        == SW.REFERENCE_DATA_NOT_USABLE
    )


def test_blocked_pin_is_6983_even_for_the_right_value(card) -> None:
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN), PIN_STATUS)
    assert [tx(card.chip, verify("0000"))[1] for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert tx(card.chip, verify(kit.AUTH_PIN))[1] == SW.PIN_BLOCKED
    assert tx(card.chip, PIN_STATUS)[1] == 0x63C0


def test_change_pin_without_verify_is_6982(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            "0024018004" + b"9999".hex(),
        )[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_change_pin_to_a_malformed_value_is_6a80(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            "0024018003" + b"999".hex(),
        )[1]
        == SW.WRONG_DATA
    )


def test_change_pin_old_and_new_form_is_not_supported(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            "0024008008" + b"12349999".hex(),
        )[1]
        == SW.INCORRECT_P1P2
    )


# --- COMPUTE DIGITAL SIGNATURE -----------------------------------------------------------


def test_signing_before_verify_is_6982(card) -> None:
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY), sign_apdu(SHA256_INFO))[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


def test_auth_pin_does_not_unlock_the_sign_key(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            select_ef(EF.JPKI_SIGN_KEY),
            sign_apdu(SHA256_INFO),
        )[1]
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )


@pytest.mark.parametrize(
    "data",
    [
        SHA256_INFO[:-1],  # truncated digest
        SHA256_INFO[:10],  # truncated header
        hashlib.sha256(b"x").digest(),  # a bare digest
        bytes.fromhex("3021300906052b0e03021a05000420") + bytes(32),  # SHA-1 OID, 32-byte digest
        bytes.fromhex("3020300c06082a864886f70d020505000410") + bytes(16),  # MD5 (refused)
        SHA256_INFO + b"\x00",  # trailing byte
    ],
)
def test_malformed_digest_info_is_6a80(card, data: bytes) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            select_ef(EF.JPKI_AUTH_KEY),
            sign_apdu(data),
        )[1]
        == SW.WRONG_DATA
    )


def test_signing_with_short_le_is_6c00(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            select_ef(EF.JPKI_AUTH_KEY),
            sign_apdu(SHA256_INFO, le=0x80),
        )[1]
        == 0x6C00
    )


def test_signing_with_a_non_key_ef_selected_is_6981(card) -> None:
    assert (
        run(
            card.chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify(kit.AUTH_PIN),
            sign_apdu(SHA256_INFO),
        )[1]
        == SW.INCOMPATIBLE_FILE
    )


def test_signing_before_keys_are_generated_is_6a88(blank_chip) -> None:
    chip, issuer_key = blank_chip
    from mynumber.card import ChipTransport
    from mynumber.reader import IssuerSession, PinRef

    IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key).set_pin(PinRef.JPKI_AUTH, "1234")
    assert (
        run(
            chip,
            select_ap(AID_JPKI),
            select_ef(EF.JPKI_AUTH_PIN),
            verify("1234"),
            select_ef(EF.JPKI_AUTH_KEY),
            sign_apdu(SHA256_INFO),
        )[1]
        == SW.REFERENCED_DATA_NOT_FOUND
    )


def test_sign_without_le_leaves_the_signature_for_get_response(card) -> None:
    data, sw = run(
        card.chip,
        select_ap(AID_JPKI),
        select_ef(EF.JPKI_AUTH_PIN),
        verify(kit.AUTH_PIN),
        select_ef(EF.JPKI_AUTH_KEY),
        sign_apdu(SHA256_INFO, le=None),
    )
    assert (data, sw) == (b"", 0x6100)
    sig, sw = tx(card.chip, "00C0000000")
    assert (len(sig), sw) == (256, SW.OK)


def test_get_response_with_nothing_waiting_is_6985(card) -> None:
    assert tx(card.chip, "00C0000000")[1] == SW.CONDITIONS_NOT_SATISFIED


# --- issuer commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "apdu"),
    [
        ((select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY)), "0046000000"),
        ((select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CERT)), "00D6000002AABB"),
        ((select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_PIN)), "002C028004" + b"0000".hex()),
        ((), "00440000"),
    ],
)
def test_issuer_commands_without_admin_session_are_6982(blank_chip, setup, apdu: str) -> None:
    chip, _ = blank_chip
    assert run(chip, *setup, apdu)[1] == SW.SECURITY_STATUS_NOT_SATISFIED


def _admin(chip, issuer_key: bytes) -> None:
    challenge, sw = tx(chip, "0084000010")
    assert sw == SW.OK
    assert tx(chip, b"\x00\x82\x00\x00\x10" + admin_cryptogram(issuer_key, challenge))[1] == SW.OK


def test_external_authenticate_without_challenge_is_6985(blank_chip) -> None:
    chip, _issuer_key = blank_chip
    assert tx(chip, b"\x00\x82\x00\x00\x10" + bytes(16))[1] == SW.CONDITIONS_NOT_SATISFIED


def test_external_authenticate_with_wrong_cryptogram_is_6300_and_burns_the_challenge(
    blank_chip,
) -> None:
    chip, issuer_key = blank_chip
    challenge, _ = tx(chip, "0084000010")
    assert tx(chip, b"\x00\x82\x00\x00\x10" + bytes(16))[1] == SW.AUTHENTICATION_FAILED
    assert (
        tx(chip, b"\x00\x82\x00\x00\x10" + admin_cryptogram(issuer_key, challenge))[1]
        == SW.CONDITIONS_NOT_SATISFIED
    )


def test_external_authenticate_with_short_challenge_or_cryptogram(blank_chip) -> None:
    chip, issuer_key = blank_chip
    challenge, _ = tx(chip, "0084000004")
    assert (
        tx(chip, b"\x00\x82\x00\x00\x10" + admin_cryptogram(issuer_key, challenge))[1]
        == SW.CONDITIONS_NOT_SATISFIED
    )
    tx(chip, "0084000010")
    assert tx(chip, b"\x00\x82\x00\x00\x08" + bytes(8))[1] == SW.WRONG_DATA


def test_get_challenge_errors(card) -> None:
    assert tx(card.chip, "00840000")[1] == SW.WRONG_LENGTH
    assert tx(card.chip, "0084010008")[1] == SW.INCORRECT_P1P2


def test_after_activation_writes_are_6985_but_pin_reset_works(card) -> None:
    """Once personalised, only PIN resets and the counter's rewrites of the JPKI keys and
    certificates and the text AP are allowed (``chip.REWRITABLE``); the rest is 69 85."""
    _admin(card.chip, card.issuer_key)
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CA), "00D6000002AABB")[1]
        == SW.CONDITIONS_NOT_SATISFIED
    )
    assert (
        run(card.chip, select_ap(AID_VISUAL), select_ef(EF.VISUAL_FACE), "00D6000002AABB")[1]
        == SW.CONDITIONS_NOT_SATISFIED
    )
    generated = run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY), "0046000000")[1]
    assert generated >> 8 == 0x61  # a new key pair: its public key waits (61 xx)
    assert tx(card.chip, "00440000")[1] == SW.CONDITIONS_NOT_SATISFIED
    assert run(card.chip, select_ef(EF.JPKI_AUTH_PIN), "002C028004" + b"4321".hex())[1] == SW.OK


def test_update_binary_bounds(blank_chip) -> None:
    chip, issuer_key = blank_chip
    _admin(chip, issuer_key)
    run(chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_CERT), "00D6000002AABB")
    assert tx(chip, "00D6000502AABB")[1] == SW.WRONG_P1P2  # past the end
    assert tx(chip, "00D60FFF02AABB")[1] == SW.WRONG_P1P2
    for offset in range(0, 4096 - 16, 16 * 15):  # fill to 4080 bytes (capacity 4096)
        assert tx(chip, f"00D6{offset:04X}F0" + "AA" * 240)[1] == SW.OK
    assert tx(chip, "00D60FF020" + "AA" * 32)[1] == SW.NOT_ENOUGH_MEMORY
    assert tx(chip, "00D60FF010" + "AA" * 16)[1] == SW.OK  # exactly up to the capacity
    assert tx(chip, "00D6000002AABB")[1] == SW.OK  # offset 0 rewrites the whole file
    assert run(chip, read_binary(0, 0))[0] == b"\xaa\xbb"

    assert (
        run(chip, select_ef(EF.JPKI_TOKEN), "00D6000002AABB")[1] == SW.SECURITY_STATUS_NOT_SATISFIED
    )
    assert (
        run(chip, select_ap(AID_JUKI), select_ef(EF.JUKI_RECORDS), "00D6000002AABB")[1]
        == SW.INCOMPATIBLE_FILE
    )


# --- dead chip ---------------------------------------------------------------------------


@pytest.mark.parametrize("apdu", ["00A4040C0A" + AID_JPKI.hex(), "00", "FFFFFFFF", "00200080"])
def test_dead_chip_answers_6f00_to_everything(card, apdu: str) -> None:
    card.chip.tamper()
    assert tx(card.chip, apdu) == (b"", SW.NO_PRECISE_DIAGNOSIS)
