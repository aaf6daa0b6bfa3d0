"""J-LIS's keyed conversion from resident record codes to My Numbers."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mynumber import number
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.numbering import Numbering

KEY = bytes(range(32))  # a fixed test key


def test_numbers_are_valid_and_distinct_for_distinct_codes() -> None:
    numbering = Numbering(KEY)
    codes = [f"{i:011d}" for i in range(20_000)]
    numbers = numbering.numbers(codes)
    assert len(set(numbers)) == len(codes)
    assert all(number.is_valid(n) for n in numbers)


def test_consecutive_codes_do_not_give_consecutive_numbers() -> None:
    numbers = Numbering(KEY).numbers([f"{i:011d}" for i in range(1000)])
    steps = {int(b[:11]) - int(a[:11]) for a, b in pairwise(numbers)}
    assert len(steps) > 900


def test_the_conversion_depends_on_the_key() -> None:
    codes = [number.random_resident_code() for _ in range(100)]
    ours, theirs = Numbering(KEY).numbers(codes), Numbering(bytes(32)).numbers(codes)
    assert sum(a == b for a, b in zip(ours, theirs, strict=True)) == 0


def test_each_generation_is_another_permutation() -> None:
    numbering = Numbering(KEY)
    codes = [f"{i:011d}" for i in range(2000)]
    first, second = numbering.numbers(codes, [0] * 2000), numbering.numbers(codes, [1] * 2000)
    assert len(set(second)) == 2000
    assert sum(a == b for a, b in zip(first, second, strict=True)) == 0


@given(st.integers(0, 10**11 - 1), st.integers(0, 5))
def test_one_at_a_time_matches_in_bulk(code: int, generation: int) -> None:
    numbering = Numbering(KEY)
    text = f"{code:011d}"
    alone = numbering.numbers([text], [generation])[0]
    among = numbering.numbers([f"{(code + 1) % 10**11:011d}", text], [0, generation])[1]
    assert alone == among


def test_the_whole_eleven_digit_space_is_reachable() -> None:
    bases = Numbering(KEY).bases(
        np.array([0, 10**11 - 1, 12345678901], dtype=np.uint64), np.zeros(3, dtype=np.uint32)
    )
    assert all(0 <= int(b) < 10**11 for b in bases)


def test_fingerprints_are_keyed_and_separate_kinds() -> None:
    numbering = Numbering(KEY)
    assert numbering.fingerprint("code", "12345678901") != numbering.fingerprint(
        "number", "12345678901"
    )
    assert numbering.fingerprint("code", "1") != Numbering(bytes(32)).fingerprint("code", "1")
    assert len(numbering.fingerprint("number", "621498320257")) == 32


@given(st.integers(0, 10**11 - 1), st.integers(0, 5))
def test_the_key_holder_can_run_the_conversion_backwards(code: int, generation: int) -> None:
    numbering = Numbering(KEY)
    gens = np.array([generation], dtype=np.uint32)
    base = numbering.bases(np.array([code], dtype=np.uint64), gens)
    assert int(numbering.codes_of(base, gens)[0]) == code


@given(st.lists(st.integers(0, 10**11 - 1), max_size=50))
def test_fingerprints_in_bulk_are_the_fingerprints_one_at_a_time(codes: list[int]) -> None:
    numbering = Numbering(KEY)
    values = [f"{c:011d}" for c in codes]
    for kind in ("number", "code"):
        assert numbering.fingerprints(kind, values) == [
            numbering.fingerprint(kind, v) for v in values
        ]


def test_acquisition_numbers_in_bulk_are_those_one_at_a_time() -> None:
    acquisition = Acquisition(numbering=Numbering(KEY), key=bytes(32))
    fps = Numbering(KEY).fingerprints("code", [f"{i:011d}" for i in range(100)])
    assert acquisition.of_code_fps(fps) == [acquisition.of_code_fp(fp) for fp in fps]
    assert len(set(acquisition.of_code_fps(fps))) == len(fps)
