"""The plain rules of the card's life: card expiry with a period of stay, the renewal window,
the call centre's name comparison, the reissue channels, the counter's challenge, the
portal's expiry-notice window and the stand-in face matcher."""

from __future__ import annotations

import datetime as dt

import pytest

from mynumber.devices.pin_reset import face_score
from mynumber.errors import InvalidInput
from mynumber.orgs.jlis.cards import card_expiry, months_before, renewal_opens
from mynumber.orgs.jlis.model import normalise_name
from mynumber.orgs.municipality.web.card_counter import (
    check_challenge,
    check_reissue,
    new_challenge,
)
from mynumber.orgs.portal.model import expiry_notice

BIRTH = dt.date(1990, 8, 31)
ISSUED = dt.date(2026, 12, 3)


def test_a_foreign_residents_card_ends_with_the_period_of_stay() -> None:
    assert card_expiry(BIRTH, ISSUED) == dt.date(2036, 8, 31)
    assert card_expiry(BIRTH, ISSUED, dt.date(2029, 3, 31)) == dt.date(2029, 3, 31)
    assert card_expiry(BIRTH, ISSUED, dt.date(2040, 1, 1)) == dt.date(2036, 8, 31)
    with pytest.raises(InvalidInput):
        card_expiry(BIRTH, ISSUED, dt.date(2026, 12, 2))


def test_renewal_opens_three_calendar_months_before() -> None:
    assert months_before(dt.date(2031, 8, 31), 3) == dt.date(2031, 5, 31)
    assert months_before(dt.date(2031, 5, 31), 3) == dt.date(2031, 2, 28)
    assert months_before(dt.date(2032, 5, 31), 3) == dt.date(2032, 2, 29)
    assert months_before(dt.date(2031, 2, 15), 3) == dt.date(2030, 11, 15)


def test_a_generation_2_card_renews_from_one_year_before() -> None:
    ends = dt.date(2036, 9, 30)
    assert renewal_opens(ends, 1) == dt.date(2036, 6, 30)
    assert renewal_opens(ends, 2) == dt.date(2035, 9, 30)


def test_the_call_centre_compares_names_without_spaces_and_width() -> None:
    assert normalise_name("紛失\u3000太郎") == normalise_name("紛失 太郎") == "紛失太郎"
    assert normalise_name("ＡＢＣ　ｄｅｆ") == "ABCdef"
    assert normalise_name("紛失 太郎") != normalise_name("紛失 次郎")


def test_reissue_channels() -> None:
    assert check_reissue("normal", "other", None).fee_yen == 1_000
    assert check_reissue("express", "damaged", None).fee_yen == 2_000
    assert check_reissue("express", "stolen", "A-1").fee_without_certificates_yen == 1_800
    with pytest.raises(InvalidInput) as express:
        check_reissue("express", "other", None)
    assert express.value.field == "kind"
    with pytest.raises(InvalidInput) as police:
        check_reissue("normal", "lost_outside", None)
    assert police.value.field == "police_receipt"


def test_the_counter_challenge_is_bound_to_the_resident_and_expires() -> None:
    key, now = b"k" * 32, dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    made = new_challenge(key, "r1", now)
    check_challenge(key, "r1", made, now + dt.timedelta(minutes=4))
    for resident, at, with_key in (
        ("r2", now, key),
        ("r1", now + dt.timedelta(minutes=5), key),
        ("r1", now, b"x" * 32),
    ):
        with pytest.raises(InvalidInput):
            check_challenge(with_key, resident, made, at)
    with pytest.raises(InvalidInput):
        check_challenge(key, "r1", made[:-1] + bytes([made[-1] ^ 1]), now)


def test_the_expiry_notice_window_is_the_last_three_months() -> None:
    end = dt.datetime(2031, 8, 31, 14, 59, 59, tzinfo=dt.UTC)
    assert expiry_notice(end, end - dt.timedelta(days=93)) is None
    notice = expiry_notice(end, end - dt.timedelta(days=60))
    assert notice is not None and "2031-08-31" in notice[1]
    assert expiry_notice(end, end) is None  # expired: the login is refused instead


def test_the_stand_in_face_matcher() -> None:
    photo = bytes(range(200))
    assert face_score(photo, photo) == 1.0
    assert face_score(b"", photo) == 0.0
    assert face_score(photo[:100] + bytes(100), photo) < 0.9
