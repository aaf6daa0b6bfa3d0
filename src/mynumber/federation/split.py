"""The split deployment's process: one organisation's app (``mynumber run --split`` starts one
process per organisation). Only that organisation's package is imported: fifteen processes
that each imported every organisation's app would spend seconds of CPU apiece on it."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import httpx
from fastapi import FastAPI

from mynumber.federation.paths import KIOSK_PATH, PHONE_PATH, mount_path
from mynumber.platform import limits
from mynumber.platform.composition import OrgServices, services_of
from mynumber.platform.context import OrgContext
from mynumber.platform.http import Directory
from mynumber.platform.settings import Settings
from mynumber.platform.signing import KeyFolder


def create_org_app(ctx: OrgContext) -> FastAPI:
    """``ctx.org``'s app from its own package (``bank-0001`` → :mod:`mynumber.orgs.bank`)."""
    kind, _, code = ctx.org.partition("-")
    app: FastAPI
    if kind == "municipality":
        from mynumber.orgs.municipality.app import create_app
        from mynumber.orgs.municipality.model import municipality

        app = create_app(ctx, municipality(code))
    elif kind in ("bank", "clinic"):  # one app per bank or clinic code
        app = import_module(f"mynumber.orgs.{kind}.app").create_app(ctx, code)
    else:  # the context alone (the three insurers share one app)
        app = import_module(f"mynumber.orgs.{kind}.app").create_app(ctx)
    if kind == "benefits":
        distribute(app, ctx.settings)
    return app


def distribute(app: FastAPI, settings: Settings) -> None:
    """With ``MYNUMBER_BROKER_URL`` set, the paying body's benefit runs send their parts to
    Celery workers (:mod:`mynumber.federation.distributed`); unset, they run in-process."""
    if os.environ.get("MYNUMBER_BROKER_URL"):
        from mynumber.federation import distributed  # Celery only when a broker is set
        from mynumber.orgs.benefits.app import BenefitServices

        distributed.use_engine(services_of(app, BenefitServices).runner, settings)


def build_one(settings: Settings, org: str, urls: dict[str, str]) -> FastAPI:
    """One organisation's app, mounted at its usual path, reaching the others by ``urls``."""
    keys = KeyFolder(settings.data_dir / "keys")
    directory = Directory(urls, httpx.Client(timeout=60.0))
    if org == "portal" and settings.public_url is None:
        # the portal's links (QR codes, the phone app beside it) name its own process
        own = urls[org].removesuffix(mount_path(org))
        settings = settings.model_copy(update={"public_url": own})
    app = create_org_app(OrgContext(org=org, settings=settings, keys=keys, directory=directory))
    limits.configure(app, settings)
    root = FastAPI(title=app.title)

    @root.get("/healthz")
    def healthz() -> dict[str, Any]:
        report = services_of(app, OrgServices).health()
        return {"ok": bool(report.get("ok")), "orgs": {org: report}}

    root.mount(mount_path(org), app)
    if org == "portal":
        from mynumber.devices.kiosk import STORES
        from mynumber.devices.kiosk import create_app as create_kiosk
        from mynumber.devices.phone import create_app as create_phone

        # this project's choice: split, the phone app shares the portal's process (and its
        # port); it may reach every organisation of the deployment by its split URL
        phone = create_phone(
            settings,
            http=httpx.Client(timeout=60.0),
            allowed=[settings.base_url, *urls.values()],
        )
        root.mount(PHONE_PATH, phone)
        # the kiosks too, reaching J-LIS's 証明書交付センター by its split URL
        kiosk_http = httpx.Client(timeout=60.0)
        for store in STORES.values():
            root.mount(
                f"{KIOSK_PATH}/{store.id}",
                create_kiosk(settings, store, http=kiosk_http, jlis_url=urls["jlis"]),
            )
    root.state.org_app = app
    return root
