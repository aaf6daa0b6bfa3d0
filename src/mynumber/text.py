"""Free text about a person (names, kana, addresses), normalised and checked.

Pure: standard library only. Text is put in Unicode normal form (NFC, or NFKC for kana,
which folds half-width katakana), trimmed, and refused when it holds a character that
shows nothing or is not text: control (Cc), format (Cf: zero-width space, word joiner,
BOM, soft hyphen, bidi marks), private-use (Co), surrogate (Cs), unassigned (Cn), line and
paragraph separators (Zl, Zp). Without this, names that differ only by an invisible
character would pass a duplicate check as different people.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from mynumber.errors import InvalidInput

__all__ = ["REFUSED_CATEGORIES", "clean"]

#: Unicode general categories refused in a person's text.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def clean(
    value: str,
    *,
    field: str,
    max_length: int,
    form: Literal["NFC", "NFKC"] = "NFC",
    required: bool = True,
) -> str:
    """``value`` normalised and trimmed; :class:`InvalidInput` naming ``field`` when it is
    empty (and ``required``), too long, or holds a refused character."""
    value = unicodedata.normalize(form, value).strip()
    if not value and required:
        raise InvalidInput(f"{field} is required", field=field)
    for char in value:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            raise InvalidInput(
                f"{field} contains an invisible or control character (U+{ord(char):04X})",
                field=field,
            )
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return value
