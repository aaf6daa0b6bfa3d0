"""The root of every error mynumber raises on purpose.

Each package adds subclasses that carry what a caller needs (a status word, a field name,
a machine-readable ``code``) and never personal data: an error message may end up in a log.
"""

from __future__ import annotations


class Error(Exception):
    """Base of all mynumber errors; ``code`` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class InvalidInput(Error, ValueError):
    """Input from outside failed validation; ``field`` names what was wrong."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(Error, LookupError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    code = "not_found"


class Conflict(Error):
    """The request clashes with what is already recorded (a duplicate, a wrong state)."""

    code = "conflict"


class Unauthorized(Error):
    """The caller did not prove who it is, or its proof was refused."""

    code = "unauthorized"


class Forbidden(Error):
    """The caller is known but may not do this."""

    code = "forbidden"


class Unavailable(Error):
    """Another organisation could not be reached or did not answer in time."""

    code = "unavailable"


class RateLimited(Error):
    """The caller asked too often; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
