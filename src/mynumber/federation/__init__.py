"""The composition root above the organisations: which ones run, wired how, and the demo.

:mod:`~mynumber.federation.assembly` builds every organisation from one set of settings and
mounts them on one server (or one per process, split); :mod:`~mynumber.federation.demo`
seeds the demo data through the organisations' APIs. Nothing in ``platform`` or ``orgs``
imports this package (import-linter contracts in ``pyproject.toml``).

The names below are loaded on first use (PEP 562): importing the package costs nothing, so
a command that never builds a federation (``mynumber --help``, ``mynumber number check``)
does not import every organisation's app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mynumber.lazy import names_of

if TYPE_CHECKING:
    from mynumber.federation.assembly import (
        LINKAGE_ORGS,
        PAYING_ORGS,
        Federation,
        LocalAdministrator,
        build,
        org_names,
        split_urls,
    )
    from mynumber.federation.demo import (
        DEMO_AUTH_PIN,
        DEMO_BANKS,
        DEMO_SIGN_PASSWORD,
        LINKAGE_SEED_PER_MUNICIPALITY,
    )
    from mynumber.federation.paths import INTERNAL_BASE, KIOSK_PATH, PHONE_PATH, mount_path
    from mynumber.federation.split import build_one

__all__ = [
    "DEMO_AUTH_PIN",
    "DEMO_BANKS",
    "DEMO_SIGN_PASSWORD",
    "INTERNAL_BASE",
    "KIOSK_PATH",
    "LINKAGE_ORGS",
    "LINKAGE_SEED_PER_MUNICIPALITY",
    "PAYING_ORGS",
    "PHONE_PATH",
    "Federation",
    "LocalAdministrator",
    "build",
    "build_one",
    "mount_path",
    "org_names",
    "split_urls",
]

#: the module of each name not in ``assembly``
_MODULE = {
    "DEMO_AUTH_PIN": "demo",
    "DEMO_BANKS": "demo",
    "DEMO_SIGN_PASSWORD": "demo",
    "LINKAGE_SEED_PER_MUNICIPALITY": "demo",
    "INTERNAL_BASE": "paths",
    "KIOSK_PATH": "paths",
    "PHONE_PATH": "paths",
    "mount_path": "paths",
    "build_one": "split",
}


__getattr__ = names_of(__name__, __all__, _MODULE, "assembly")
