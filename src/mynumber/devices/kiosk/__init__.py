"""A convenience store's multi-copy machine (コンビニ交付, domain-reference §8): the card is
set on it, the 4-digit auth PIN goes to the card only, the card signs J-LIS's challenge, and
the certificate comes back as a PDF to print. The kiosk never sees a My Number.

:mod:`.terminal` is the machine's logic (also used by ``mynumber kiosk issue``), :mod:`.app`
its touch screen at ``/kiosk/<store>/``. Each name is loaded from its module on first use
(PEP 562): the command line imports the web app only when it serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mynumber.lazy import names_of

if TYPE_CHECKING:
    from mynumber.devices.kiosk.app import create_app
    from mynumber.devices.kiosk.terminal import STORES, Issued, Kiosk, Store

__all__ = ["STORES", "Issued", "Kiosk", "Store", "create_app"]


__getattr__ = names_of(__name__, __all__, {"create_app": "app"}, "terminal")
