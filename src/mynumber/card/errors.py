"""Errors of the chip package (subclasses of :class:`mynumber.errors.Error`).

None carries personal data: not a PIN, not a My Number, not file contents.
"""

from __future__ import annotations

from mynumber.errors import Error, InvalidInput, Unauthorized

__all__ = [
    "ApduError",
    "CardError",
    "ImageError",
    "ManufactureError",
    "PersistenceError",
    "SealError",
]


class CardError(Error):
    """Base of every error raised by :mod:`mynumber.card`."""

    code = "card_error"


class ApduError(CardError, InvalidInput):
    """A command was refused; ``status_word`` is what the chip answers for it."""

    code = "apdu_rejected"

    def __init__(self, message: str, *, status_word: int) -> None:
        super().__init__(message, field="apdu")
        self.status_word = status_word


class ManufactureError(CardError, InvalidInput):
    """Bad input to :meth:`Chip.manufacture` (manufacture number, key lengths)."""

    code = "card_manufacture_invalid"


class ImageError(CardError):
    """A card image is malformed or of an unknown format."""

    code = "card_image_invalid"


class SealError(ImageError, Unauthorized):
    """A card image cannot be opened: wrong sealing key, or the image was altered."""

    code = "card_image_seal"


class PersistenceError(CardError):
    """The card image could not be written: the chip did not answer the command."""

    code = "card_persistence"
