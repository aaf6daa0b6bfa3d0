"""Errors of the host side (subclasses of :class:`mynumber.errors.Error`).

A status-word error carries ``status_word`` and ``operation``; none carries a PIN,
a My Number or data read from the card.
"""

from __future__ import annotations

from mynumber.errors import Error, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable

__all__ = [
    "CardDataError",
    "CardStatusError",
    "FileNotFound",
    "InvalidPin",
    "IssuerAuthenticationFailed",
    "PinBlocked",
    "PinIncorrect",
    "ReaderError",
    "SecurityStatusNotSatisfied",
    "TextSignatureInvalid",
    "TransportError",
]


class ReaderError(Error):
    """Base of every error raised by :mod:`mynumber.reader`."""

    code = "reader_error"


class TransportError(ReaderError, Unavailable):
    """The reader or the card could not be reached."""

    code = "card_transport"


class CardStatusError(ReaderError):
    """The card answered a status word other than the expected one."""

    code = "card_status"

    def __init__(self, message: str, *, status_word: int, operation: str) -> None:
        super().__init__(f"{operation}: {message} (SW {status_word:04X})")
        self.status_word = status_word
        self.operation = operation


class FileNotFound(CardStatusError, NotFound):
    """``6A 82``: no such application or file on this card."""

    code = "card_file_not_found"


class SecurityStatusNotSatisfied(CardStatusError, Forbidden):
    """``69 82``: the PIN (or issuer session) this needs is not verified."""

    code = "card_security_status"


class PinIncorrect(CardStatusError, Unauthorized):
    """``63 Cx``: wrong PIN; ``tries_left`` more tries before it locks."""

    code = "pin_incorrect"

    def __init__(self, *, tries_left: int, status_word: int, operation: str) -> None:
        super().__init__(
            f"wrong PIN, {tries_left} tries left", status_word=status_word, operation=operation
        )
        self.tries_left = tries_left


class PinBlocked(CardStatusError, Forbidden):
    """``69 83`` (or ``63 C0``): the PIN is locked; the municipality can reset it."""

    code = "pin_blocked"


class IssuerAuthenticationFailed(CardStatusError, Unauthorized):
    """EXTERNAL AUTHENTICATE refused: wrong issuer key for this card."""

    code = "issuer_auth_failed"


class InvalidPin(ReaderError, InvalidInput):
    """The PIN does not have the format this card requires (checked before sending)."""

    code = "pin_format"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="pin")


class CardDataError(ReaderError):
    """Data read from the card is malformed."""

    code = "card_data"


class TextSignatureInvalid(ReaderError):
    """J-LIS's signature over the text AP does not verify (or its digests do not match)."""

    code = "text_signature_invalid"
