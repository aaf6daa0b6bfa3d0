"""PIN and password rules of each application (``domain-reference.md`` §2.2).

The chip checks the *format* of a presented value before it compares it: a malformed
value is answered ``6A 80`` and costs no try (the format is public, so refusing it early
gives nothing away). A well-formed wrong value costs one try (``63 Cx``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

__all__ = [
    "CARD_PIN_GEN2",
    "JPKI_AUTH_PIN",
    "JPKI_SIGN_PASSWORD",
    "JUKI_PIN",
    "TEXT_PIN",
    "VISUAL_PIN_A",
    "VISUAL_PIN_B",
    "PinPolicy",
]


@dataclass(frozen=True, slots=True)
class PinPolicy:
    """What a PIN may look like and how many wrong tries lock it."""

    name: str
    alphabet: str
    min_length: int
    max_length: int
    max_tries: int

    def accepts(self, value: bytes) -> bool:
        """True when ``value`` (ASCII) has the allowed length and characters."""
        if not self.min_length <= len(value) <= self.max_length:
            return False
        try:
            text = value.decode("ascii")
        except UnicodeDecodeError:
            return False
        return all(ch in self.alphabet for ch in text)


_DIGITS = string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits

#: 利用者証明用: 4 digits, 3 tries (city pages; OpenSC ``JPKI_AUTH_PIN_MAX_TRIES 3``).
JPKI_AUTH_PIN = PinPolicy("JPKI user-authentication PIN", _DIGITS, 4, 4, 3)
#: 署名用: 6–16 of A–Z 0–9, 5 tries (city pages; OpenSC ``JPKI_SIGN_PIN_MAX_TRIES 5``;
#: libmyna ``validate_jpki_sign_password``). Clients upper-case before VERIFY.
JPKI_SIGN_PASSWORD = PinPolicy("JPKI signing password", _UPPER_ALNUM, 6, 16, 5)
#: 券面事項入力補助用: 4 digits, 3 tries (city.tsu, city.setouchi).
TEXT_PIN = PinPolicy("text AP PIN", _DIGITS, 4, 4, 3)
#: 住民基本台帳用: 4 digits, 3 tries (city.tsu, city.setouchi).
JUKI_PIN = PinPolicy("juki AP PIN", _DIGITS, 4, 4, 3)
#: 券面AP PIN A = the 12-digit My Number (libmyna visual.rs). Tries: UNSOURCED (10 here).
VISUAL_PIN_A = PinPolicy("visual AP PIN A", _DIGITS, 12, 12, 10)
#: 券面AP 照合番号B (EF 0012): 14 digits = birth date YYMMDD + the card's expiry year YYYY
#: (Western) + the 4-digit security code printed on the card face (services-reference
#: "Corrections": sizu.me/ritou; AokiApp jsapdu ``KENKAKU_AP_EF.PIN_B``). One public script
#: writes the birth date in the Japanese era instead; the Western form is used here.
#: Tries: UNSOURCED (10 here).
VISUAL_PIN_B = PinPolicy("visual AP PIN B", _DIGITS, 14, 14, 10)

#: Generation-2 card: two PINs instead of four (services-reference §6). The 4-digit one
#: opens the 認証AP's authentication key and text items; the signing password keeps the
#: JPKI format. Digits and tries are this project's choice (those of today's 4-digit PINs).
CARD_PIN_GEN2 = PinPolicy("generation-2 card PIN", _DIGITS, 4, 4, 3)
