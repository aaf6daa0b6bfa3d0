"""Where things are served: the in-process base URL and each organisation's mount path
(plain values, without importing any organisation: the command line's remote commands
need only these)."""

from __future__ import annotations

INTERNAL_BASE = "http://mynumber.internal"
#: where the resident's phone app (:mod:`mynumber.devices.phone`) is served
PHONE_PATH = "/phone"
#: where the convenience-store kiosks (:mod:`mynumber.devices.kiosk`) are served
KIOSK_PATH = "/kiosk"


def mount_path(org: str) -> str:
    """``municipality-131016`` is served at ``/municipality/131016``; ``jlis`` at ``/jlis``."""
    kind, _, code = org.partition("-")
    return f"/{kind}/{code}" if code else f"/{kind}"
