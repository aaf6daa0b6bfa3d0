"""Names in the Zengin character set: half-width katakana, upper-case letters, digits.

Zengin files are single-byte JIS X 0201 / cp932 text (domain-reference §10). The characters
accepted here are the subset every bank takes:

- digits ``0``–``9`` and upper-case letters ``A``–``Z``;
- half-width katakana ``ｱ``–``ﾝ`` and ``ｦ``, with the voiced and semi-voiced marks ``ﾞ ﾟ``
  as separate bytes (ガ → ``ｶﾞ``, パ → ``ﾊﾟ``);
- space and the symbols ``( ) - . /``.

Small kana are written full-size (キャノン → ``ｷﾔﾉﾝ``), as the public Zengin verifier's
self-tests do; the half-width small kana ``ｧ``–``ｯ``, the long-vowel mark ``ｰ`` and the
punctuation ``｡ ｢ ｣ ､ ･`` are therefore never emitted. Some banks also take ``, ¥ ｢ ｣``;
they are refused here so that a file is accepted by every receiving bank (a choice, not a
sourced rule).
"""

from __future__ import annotations

import re

import jaconv

from mynumber.errors import InvalidInput

__all__ = ["ZENGIN_CHARACTERS", "check_zengin_kana", "fit", "is_zengin_kana", "to_zengin_kana"]

#: Every character a Zengin C field may hold, in code order.
ZENGIN_CHARACTERS = (
    " ()-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    + "ｦ"
    + "".join(chr(c) for c in range(ord("ｱ"), ord("ﾝ") + 1))
    + "ﾞﾟ"
)

#: The same set as cp932 bytes (all single-byte), for checking records without decoding.
ZENGIN_BYTES = ZENGIN_CHARACTERS.encode("cp932")

_VALID = re.compile("[" + re.escape(ZENGIN_CHARACTERS) + "]*")

# Applied before jaconv: small kana to full size (jaconv keeps them small, and leaves
# ヮヵヶ full-width because JIS X 0201 has no form for them), the obsolete ヰヱ to the
# vowels they are read as, long-vowel marks and dashes to "-", the full-width space and
# the middle dot between a foreign resident's names to a space. The last two rules and
# ヰヱ are our choices; the rest follow the verifier's self-tests (domain-reference §10).
_BEFORE = str.maketrans(
    {
        **dict(zip("ァィゥェォャュョッヮヵヶヰヱ", "アイウエオヤユヨツワカケイエ", strict=True)),
        **dict(zip("ぁぃぅぇぉゃゅょっゎゕゖゐゑ", "アイウエオヤユヨツワカケイエ", strict=True)),
        **dict(zip("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ", strict=True)),
        "ー": "-",
        "ｰ": "-",
        "－": "-",
        "‐": "-",
        "−": "-",
        "\u3000": " ",
        "・": " ",
        "･": " ",
    }
)


def to_zengin_kana(text: str, *, field: str) -> str:
    """Convert a name in katakana (or hiragana, or full-width Latin) to Zengin kana.

    Raises :class:`~mynumber.errors.InvalidInput` naming ``field`` for anything that has
    no Zengin form (kanji, most symbols); the message gives the position, not the text.
    """
    converted = jaconv.z2h(
        jaconv.hira2kata(text.translate(_BEFORE)), kana=True, ascii=True, digit=True
    ).upper()
    return check_zengin_kana(converted, field=field)


def is_zengin_kana(text: str) -> bool:
    """Whether ``text`` holds only characters a Zengin C field allows."""
    return _VALID.fullmatch(text) is not None


def check_zengin_kana(text: str, *, field: str) -> str:
    """Return ``text`` if it is already Zengin kana; raise ``InvalidInput`` otherwise."""
    if _VALID.fullmatch(text) is None:
        position = next(i for i, c in enumerate(text) if c not in ZENGIN_CHARACTERS)
        raise InvalidInput(
            f"{field}: character {position + 1} has no Zengin (half-width kana) form",
            field=field,
            code="not_zengin_kana",
        )
    return text


def fit(text: str, width: int, *, field: str, truncate: bool = False) -> bytes:
    """Left-align ``text`` (Zengin kana) in ``width`` cp932 bytes, padded with spaces.

    Text longer than ``width`` bytes is refused, or cut to ``width`` with ``truncate=True``
    (bank and branch names in the registry are often longer than their 15-byte fields).
    """
    data = check_zengin_kana(text, field=field).encode("cp932")
    if len(data) > width:
        if not truncate:
            raise InvalidInput(
                f"{field}: {len(data)} bytes do not fit in {width}",
                field=field,
                code="too_long",
            )
        return data[:width]
    return data.ljust(width, b" ")
