"""Structured (JSON-lines) logs that never carry a My Number.

Every record passes through :class:`RedactNumbers`, which replaces any run of 12 digits
(spaced or not) with ``[redacted]``: a My Number may not be logged even by mistake.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_TWELVE_DIGITS = re.compile(r"(?<!\d)(?:\d[ \-]?){11}\d(?!\d)")


def redact(text: str) -> str:
    """Replace every 12-digit run (optionally spaced in 4s or hyphenated) with a marker."""
    return _TWELVE_DIGITS.sub("[redacted]", text)


class RedactNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("org", "event", "status", "duration_ms", "path", "method"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr, with redaction, for the whole ``mynumber`` tree."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactNumbers())
    root = logging.getLogger("mynumber")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
