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
    "PinNotSet",
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


class PinNotSet(CardStatusError, Forbidden):
    """``69 84``: the card has no such PIN — a 顔認証マイナンバーカード (face-only card) has
    none: it is confirmed by face or by sight at a clinic's reader only."""

    code = "pin_not_set"

    def __init__(self, *, status_word: int, operation: str) -> None:
        super().__init__(
            "暗証番号が設定されていないカードです（顔認証マイナンバーカード）。"
            "マイナポータル・コンビニ交付などの暗証番号が要る手続には、"
            "市区町村の窓口で暗証番号を設定してください / "
            "this card has no PIN (a face-only card): have one set at your municipality's "
            "counter to log in to Mynaportal or use a convenience-store kiosk",
            status_word=status_word,
            operation=operation,
        )


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
