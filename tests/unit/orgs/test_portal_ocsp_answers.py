"""The portal's reuse window for good OCSP answers: at most max_age after the check,
never past the answer's nextUpdate, nothing kept with max_age 0."""

from __future__ import annotations

import datetime as dt

import pytest

from mynumber.orgs.portal.services.ocsp_answers import OcspAnswers
from mynumber.pki import OCSPCheck

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def check(serial: int, next_update: dt.datetime | None) -> OCSPCheck:
    return OCSPCheck(serial, NOW - dt.timedelta(minutes=4), next_update, NOW)


def test_a_good_answer_stands_for_max_age_after_it_was_checked() -> None:
    answers = OcspAnswers(dt.timedelta(seconds=60))
    answers.remember(check(7, NOW + dt.timedelta(hours=1)), NOW)
    assert answers.good(7, NOW + dt.timedelta(seconds=59))
    assert not answers.good(8, NOW)
    assert not answers.good(7, NOW + dt.timedelta(seconds=60))
    assert not answers.good(7, NOW + dt.timedelta(seconds=1))  # gone once the window passed


def test_never_past_next_update_nor_before_the_check() -> None:
    answers = OcspAnswers(dt.timedelta(seconds=60))
    answers.remember(check(7, NOW + dt.timedelta(seconds=10)), NOW)
    assert answers.good(7, NOW + dt.timedelta(seconds=9))
    assert not answers.good(7, NOW + dt.timedelta(seconds=10))
    answers.remember(check(9, None), NOW)
    assert not answers.good(9, NOW - dt.timedelta(seconds=1))  # the clock went back


def test_max_age_zero_keeps_nothing_and_a_shorter_max_age_applies_at_once() -> None:
    answers = OcspAnswers(dt.timedelta(0))
    answers.remember(check(7, None), NOW)
    assert not answers.good(7, NOW)
    answers.max_age = dt.timedelta(seconds=60)
    answers.remember(check(7, None), NOW)
    answers.max_age = dt.timedelta(seconds=5)
    assert not answers.good(7, NOW + dt.timedelta(seconds=5))
    with pytest.raises(ValueError):
        OcspAnswers(dt.timedelta(seconds=-1))
