"""Structured (JSON-lines) logs that never carry a My Number.

Every record passes through :class:`RedactNumbers` before any handler writes it: the
message, every ``extra`` field (the access log's ``path`` among them), the exception and
stack text. Any run of twelve digits is replaced by ``[redacted]``, however it is written:
ASCII or full-width digits, with any space, hyphen, dash, minus or long-vowel mark between
them, and as URLs (``%EF%BC%96``, ``+``), byte reprs (``\\xef\\xbc\\x96``) and JSON or
``repr`` escapes (``\\uff16``) spell those characters. That is a superset of what
:func:`mynumber.number.validate` accepts, so a My Number may not be logged even by mistake.

:func:`configure` sends the ``mynumber`` tree, uvicorn's own loggers (``uvicorn``,
``uvicorn.error``, ``uvicorn.access``) and anything that reaches the root logger through
one redacting handler; ``mynumber run`` serves with ``log_config=None`` so that uvicorn
installs no handler of its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from mynumber.number import SEPARATORS

__all__ = ["JsonFormatter", "RedactNumbers", "configure", "redact"]

MARK = "[redacted]"

# Between two digits, besides what validate() strips: other dashes (U+2014, U+2015,
# U+2043, U+FE58, U+FE63), the soft hyphen, the long-vowel marks people type for a dash
# (ー U+30FC, ｰ U+FF70), wave dashes, and invisible characters (zero-width space and
# joiners, word joiner, BOM). Every Unicode space (NBSP, U+3000, tabs …) is matched by \s.
_MORE_SEPARATORS = (
    "\u00ad\u058a\u2014\u2015\u2043\u2e3a\u2e3b\ufe58\ufe63\u30fc\uff70\u301c\uff5e"
    "\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000+"
)


def _escaped(chars: str) -> str:
    """A regex for the escaped spellings of ``chars``: %-encoded UTF-8 (URLs),
    ``\\x``-escaped UTF-8 (byte reprs) and ``\\u`` (JSON and str reprs), one alternation
    per prefix."""
    unique = sorted(set(chars))
    percent = ["".join(f"%{b:02x}" for b in c.encode())[1:] for c in unique]
    hexed = ["".join(f"\\\\x{b:02x}" for b in c.encode())[3:] for c in unique]
    uni = [f"{ord(c):04x}" for c in unique if not c.isascii()]
    return rf"%(?:{'|'.join(percent)})|\\x(?:{'|'.join(hexed)})|\\u(?:{'|'.join(uni)})"


# A digit (\d: ASCII, full-width and every other decimal digit) or the escaped spelling of
# an ASCII or full-width one (U+FF10–U+FF19 is EF BC 90–99 in UTF-8); factored by hand, as
# it is tried at every position of every line.
_DIGIT = r"(?:\d|%(?:3\d|ef%bc%9\d)|\\x(?:3\d|ef\\xbc\\x9\d)|\\uff1\d)"
_SEPARATOR = (
    "(?:["
    + re.escape(SEPARATORS + _MORE_SEPARATORS)
    + r"\s]|"
    + _escaped(SEPARATORS + _MORE_SEPARATORS)
    + ")"
)
_TWELVE_DIGITS = re.compile(rf"(?<!\d){_DIGIT}(?:{_SEPARATOR}*{_DIGIT}){{11}}(?!\d)", re.IGNORECASE)

#: Extra fields not worth a column: uvicorn's ANSI-coloured copy of its message.
_SKIPPED = frozenset({"color_message"})

#: The attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


_ANY_DIGIT = re.compile(r"\d")


def redact(text: str) -> str:
    """Replace every run of twelve digits, written in any form (see above), with a marker."""
    # Every spelling of a digit holds at least one \d: fewer than twelve, nothing to find.
    if len(_ANY_DIGIT.findall(text)) < 12:
        return text
    return _TWELVE_DIGITS.sub(MARK, text)


def _scrub(value: Any) -> Any:
    """``value`` with every string inside it redacted; a number of twelve digits goes too."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if redact(str(value)) == str(value) else MARK
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return redact(str(value))


class RedactNumbers(logging.Filter):
    """Redact, in place, every field of a record that a handler could write."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        record.name = redact(record.name)
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None  # no later formatter may render the original again
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                setattr(record, key, _scrub(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, every extra field, and the
    exception text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and key not in _SKIPPED:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


#: uvicorn's loggers: ``uvicorn.error`` propagates to ``uvicorn``; ``uvicorn.access`` does
#: not in uvicorn's own configuration, so each gets the handler itself.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def configure(level: str = "INFO") -> logging.Handler:
    """Send JSON lines to stderr through one redacting handler: the ``mynumber`` tree at
    ``level``, uvicorn's loggers, and whatever else reaches the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactNumbers())
    handler.set_name("mynumber")
    root = logging.getLogger("mynumber")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    top = logging.getLogger()
    top.handlers[:] = [h for h in top.handlers if h.get_name() != "mynumber"] + [handler]
    return handler
