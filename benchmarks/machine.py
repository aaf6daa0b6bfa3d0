"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime


def machine() -> dict[str, object]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
