"""The composition root above the organisations: which ones run, wired how, and the demo.

:mod:`~mynumber.federation.assembly` builds every organisation from one set of settings and
mounts them on one server (or one per process, split); :mod:`~mynumber.federation.demo`
seeds the demo data through the organisations' APIs. Nothing in ``platform`` or ``orgs``
imports this package (import-linter contracts in ``pyproject.toml``).
"""

from mynumber.federation.assembly import (
    INTERNAL_BASE,
    KIOSK_PATH,
    LINKAGE_ORGS,
    PAYING_ORGS,
    PHONE_PATH,
    Federation,
    LocalAdministrator,
    build,
    build_one,
    mount_path,
    org_names,
    split_urls,
)
from mynumber.federation.demo import (
    DEMO_AUTH_PIN,
    DEMO_BANKS,
    DEMO_SIGN_PASSWORD,
    LINKAGE_SEED_PER_MUNICIPALITY,
)

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
