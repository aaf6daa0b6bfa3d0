"""The My Number (個人番号, 12 digits) and the Corporate Number (法人番号, 13 digits).

Pure: standard library only. The check-digit rules are those of MIC ordinance No. 85
Art. 5 (My Number: 11 base digits, weights 6,5,4,3,2,7,6,5,4,3,2 from the left,
CD = 11 − (Σ mod 11), 0 when the remainder is 0 or 1) and of the NTA (Corporate Number:
check digit first, CD = 9 − (Σ mod 9), weights 1,2,1,2… from the right). See
``domain-reference.md`` §1. ``000000000000`` satisfies the checksum; it is accepted as
well formed, as python-stdnum accepts it.

Errors never quote the number they reject: a My Number must not reach a log.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from mynumber.errors import InvalidInput

__all__ = [
    "CORPORATE_LENGTH",
    "LENGTH",
    "RESIDENT_CODE_LENGTH",
    "SEPARATORS",
    "InvalidNumber",
    "check_digit",
    "compact",
    "corporate_check_digit",
    "format",
    "format_corporate",
    "generate",
    "is_valid",
    "is_valid_corporate",
    "mask",
    "random_resident_code",
    "resident_code_check_digit",
    "validate",
    "validate_corporate",
    "validate_resident_code",
]

LENGTH = 12
CORPORATE_LENGTH = 13

#: Weights of the 11 base digits, left to right (MIC ordinance No. 85 Art. 5).
WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

#: What :func:`compact` removes between digits: spaces (ASCII, ideographic) and hyphens,
#: dashes and minus signs (ASCII, Unicode, full-width).
SEPARATORS = " -\u3000\u2010\u2011\u2012\u2013\u2212\uff0d"

_SEPARATORS = str.maketrans("", "", SEPARATORS)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class InvalidNumber(InvalidInput):
    """A My Number or Corporate Number is malformed; ``code`` says how."""

    code = "invalid_number"


def compact(number: str) -> str:
    """Strip spaces and hyphens and turn full-width digits into ASCII ones."""
    return number.translate(_FULL_WIDTH_DIGITS).translate(_SEPARATORS).strip()


def _digits(value: str, length: int, *, what: str) -> str:
    if len(value) != length:
        raise InvalidNumber(
            f"{what} must have {length} digits, got {len(value)}", field="number", code="length"
        )
    if not (value.isascii() and value.isdigit()):
        raise InvalidNumber(f"{what} must contain digits only", field="number", code="not_digits")
    return value


def check_digit(base11: str) -> int:
    """The check digit of the 11 base digits of a My Number."""
    _digits(base11, LENGTH - 1, what="the base of a My Number")
    remainder = sum(w * (ord(d) - 48) for w, d in zip(WEIGHTS, base11, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def validate(number: str) -> str:
    """Return the compact 12-digit My Number, or raise :class:`InvalidNumber` saying why."""
    value = _digits(compact(number), LENGTH, what="a My Number")
    if check_digit(value[:-1]) != ord(value[-1]) - 48:
        raise InvalidNumber("the check digit does not match", field="number", code="check_digit")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` is a well-formed My Number (after :func:`compact`)."""
    try:
        validate(number)
    except InvalidNumber:
        return False
    return True


def format(number: str) -> str:
    """The display form printed on the card: ``1234 5678 9012``."""
    value = validate(number)
    return f"{value[:4]} {value[4:8]} {value[8:]}"


def mask(number: str) -> str:
    """A form safe to show staff in lists: only the last four digits."""
    value = compact(number)
    return "•" * max(len(value) - 4, 0) + value[-4:]


def generate(*, count: int = 1) -> Iterator[str]:
    """Yield ``count`` distinct valid My Numbers, drawn at random (for tests and demos)."""
    seen: set[str] = set()
    while len(seen) < count:
        base = f"{secrets.randbelow(10**11):011d}"
        value = base + str(check_digit(base))
        if value not in seen:
            seen.add(value)
            yield value


def corporate_check_digit(base12: str) -> int:
    """The check digit (the first digit) of a Corporate Number's 12 base digits."""
    _digits(base12, CORPORATE_LENGTH - 1, what="the base of a Corporate Number")
    total = sum((1 if i % 2 == 0 else 2) * (ord(d) - 48) for i, d in enumerate(reversed(base12)))
    return 9 - total % 9


def validate_corporate(number: str) -> str:
    """Return the compact 13-digit Corporate Number, or raise :class:`InvalidNumber`."""
    value = _digits(compact(number), CORPORATE_LENGTH, what="a Corporate Number")
    if corporate_check_digit(value[1:]) != ord(value[0]) - 48:
        raise InvalidNumber("the check digit does not match", field="number", code="check_digit")
    return value


def is_valid_corporate(number: str) -> bool:
    """Whether ``number`` is a well-formed Corporate Number (after :func:`compact`)."""
    try:
        validate_corporate(number)
    except InvalidNumber:
        return False
    return True


def format_corporate(number: str) -> str:
    """The usual display form: ``5-8356-7825-6246``."""
    v = validate_corporate(number)
    return f"{v[0]}-{v[1:5]}-{v[5:9]}-{v[9:]}"


# 住民票コード (resident record code): 10 random digits and a check digit (住基法施行規則
# Art. 1). The real check-digit formula is not public (domain-reference §12); this sandbox
# uses the My Number's modulus-11 rule with the weights 2,3,4,5,6,7,2,3,4,5 counted from
# the rightmost of the 10 base digits.
RESIDENT_CODE_LENGTH = 11
RESIDENT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def resident_code_check_digit(base10: str) -> int:
    """The check digit of a resident record code's 10 random digits (this sandbox's rule)."""
    _digits(base10, RESIDENT_CODE_LENGTH - 1, what="the base of a resident record code")
    remainder = sum(w * (ord(d) - 48) for w, d in zip(RESIDENT_WEIGHTS, base10, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def validate_resident_code(code: str) -> str:
    """Return the compact 11-digit resident record code, or raise :class:`InvalidNumber`."""
    value = _digits(compact(code), RESIDENT_CODE_LENGTH, what="a resident record code")
    if resident_code_check_digit(value[:-1]) != ord(value[-1]) - 48:
        raise InvalidNumber(
            "the check digit does not match", field="resident_code", code="check_digit"
        )
    return value


def random_resident_code() -> str:
    """A fresh random resident record code (uniqueness is the caller's to enforce)."""
    base = f"{secrets.randbelow(10**10):010d}"
    return base + str(resident_code_check_digit(base))
