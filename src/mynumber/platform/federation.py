"""The composition root: every organisation built from one set of settings.

Each organisation gets its own database and its own FastAPI app, mounted under its path
on one server (``/jlis``, ``/municipality/131016`` …). Organisations reach each other only
through :class:`~mynumber.platform.http.Directory`: over loopback HTTP when served, or
in-process (the same HTTP requests, without a socket) for the command line and tests.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from mynumber.orgs.jlis.app import create_app as create_jlis
from mynumber.orgs.municipality.app import create_app as create_municipality
from mynumber.orgs.municipality.model import municipality
from mynumber.orgs.municipality.seed import SeedReport, seed
from mynumber.orgs.municipality.services import Registry
from mynumber.platform.context import OrgContext
from mynumber.platform.http import Directory, InProcessTransport
from mynumber.platform.settings import Settings
from mynumber.platform.signing import KeyFolder

INTERNAL_BASE = "http://mynumber.internal"


def mount_path(org: str) -> str:
    """``municipality-131016`` is served at ``/municipality/131016``; ``jlis`` at ``/jlis``."""
    kind, _, code = org.partition("-")
    return f"/{kind}/{code}" if code else f"/{kind}"


@dataclass
class Federation:
    settings: Settings
    directory: Directory
    apps: dict[str, FastAPI] = field(default_factory=dict)
    root: FastAPI = field(default_factory=FastAPI)

    def registry(self, code: str) -> Registry:
        registry: Registry = self.apps[municipality(code).org].state.registry
        return registry

    def urls(self) -> dict[str, str]:
        return {org: self.settings.base_url + mount_path(org) + "/" for org in self.apps}

    def seed_demo(
        self, progress: Callable[[str, int], None] = lambda org, n: None
    ) -> list[SeedReport]:
        """On first start, give every municipality its synthetic residents."""
        reports = []
        for code in self.settings.municipalities:
            registry = self.registry(code)
            total, _ = registry.search(status=None, limit=1)
            if total == 0:
                reports.append(
                    self.seed(
                        code,
                        self.settings.seed_residents,
                        partial(progress, registry.municipality.org),
                    )
                )
        return reports

    def seed(
        self, code: str, count: int, progress: Callable[[int], None] = lambda n: None
    ) -> SeedReport:
        registry = self.registry(code)
        return seed(
            engine=registry.engine,
            municipality=registry.municipality,
            jlis=registry.jlis,
            count=count,
            progress=progress,
        )

    def close(self) -> None:
        self.directory.http.close()
        for app in self.apps.values():
            engine = getattr(app.state, "engine", None) or getattr(
                getattr(app.state, "registry", None), "engine", None
            )
            if engine is not None:
                engine.dispose()


def build(settings: Settings, *, in_process: bool = True) -> Federation:
    """Build every organisation; ``in_process`` wires them without sockets."""
    keys = KeyFolder(settings.data_dir / "keys")
    orgs = ["jlis", *(municipality(code).org for code in settings.municipalities)]
    base = INTERNAL_BASE if in_process else settings.base_url
    directory = Directory({org: base + mount_path(org) for org in orgs})
    federation = Federation(settings=settings, directory=directory)

    def context(org: str) -> OrgContext:
        return OrgContext(org=org, settings=settings, keys=keys, directory=directory)

    federation.apps["jlis"] = create_jlis(context("jlis"))
    for code in settings.municipalities:
        m = municipality(code)
        federation.apps[m.org] = create_municipality(context(m.org), m)

    federation.root = _root_app(federation)
    if in_process:
        directory.http = httpx.Client(
            transport=InProcessTransport(federation.root), base_url=INTERNAL_BASE, timeout=60.0
        )
    else:
        directory.http = httpx.Client(timeout=60.0)
    return federation


def _root_app(federation: Federation) -> FastAPI:
    root = FastAPI(title="mynumber", description="Japan's My Number system, runnable.")

    @root.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Every organisation's health, as its own ``/healthz`` reports it."""
        report: dict[str, Any] = {}
        for org, app in federation.apps.items():
            try:
                report[org] = app.state.health()
            except Exception as exc:  # a broken organisation must not hide the others
                report[org] = {"org": org, "ok": False, "error": type(exc).__name__}
        return {"ok": all(r.get("ok") for r in report.values()), "orgs": report}

    @root.get("/", response_class=HTMLResponse)
    def index() -> str:
        items = "".join(
            f'<li><a href="{mount_path(org)}/">{html.escape(app.title)}</a> '
            f'— <a href="{mount_path(org)}/docs">API</a></li>'
            for org, app in federation.apps.items()
        )
        return (
            "<!doctype html><html lang='ja'><meta charset='utf-8'>"
            "<title>mynumber</title><h1>mynumber</h1>"
            f"<p>マイナンバー制度 — Japan's My Number system, runnable.</p><ul>{items}</ul></html>"
        )

    for org, app in federation.apps.items():
        root.mount(mount_path(org), app)
    return root
