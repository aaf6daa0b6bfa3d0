"""The composition root: every organisation built from one set of settings.

Each organisation gets its own database and its own FastAPI app, mounted under its path
on one server (``/jlis``, ``/municipality/131016`` …). Organisations reach each other only
through :class:`~mynumber.platform.http.Directory`: over loopback HTTP when served, or
in-process (the same HTTP requests, without a socket) for the command line and tests.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from faker.providers.person.ja_JP import Provider as JaPerson
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from mynumber.card import CardFile
from mynumber.orgs.jlis.app import create_app as create_jlis
from mynumber.orgs.municipality.app import create_app as create_municipality
from mynumber.orgs.municipality.model import municipality
from mynumber.orgs.municipality.seed import SeedReport, seed
from mynumber.orgs.municipality.services import Registry
from mynumber.platform.context import OrgContext
from mynumber.platform.http import Directory, InProcessTransport, ServiceClient
from mynumber.platform.settings import Settings
from mynumber.platform.signing import KeyFolder

INTERNAL_BASE = "http://mynumber.internal"

#: PINs of the demo cards in ``DATA/wallet/`` (printed by ``mynumber run``): demo values.
DEMO_AUTH_PIN = "1234"
DEMO_SIGN_PASSWORD = "ABC123"  # noqa: S105 - a printed demo value


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
        """On first start, give every municipality its synthetic residents, and one of
        them a card in the demo wallet (:meth:`issue_demo_cards`)."""
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
        self.issue_demo_cards()
        return reports

    # --- cards, through the municipalities' API ------------------------------------------

    @property
    def wallet(self) -> Path:
        """Where the demo cards live: ``DATA/wallet/<municipality>.card`` (+ ``.json``)."""
        return self.settings.data_dir / "wallet"

    def _municipality_api(self, code: str) -> ServiceClient:
        org = municipality(code).org
        api = Directory({org: self.directory.url(org) + "/api"}, self.directory.http)
        return ServiceClient(api, org, None)

    def register_synthetic_adult(self, code: str) -> dict[str, Any]:
        """Register a new synthetic adult (Faker ``ja_JP`` names) through the registry API."""
        m = municipality(code)
        family, family_kana, _ = secrets.choice(list(JaPerson.last_name_pairs))
        sex = secrets.choice("12")
        pairs = JaPerson.first_name_male_pairs if sex == "1" else JaPerson.first_name_female_pairs
        given, given_kana, _ = secrets.choice(list(pairs))
        age_days = (20 + secrets.randbelow(50)) * 365 + secrets.randbelow(365)
        address = (
            f"{m.full_name}{secrets.choice(m.towns)}{1 + secrets.randbelow(5)}丁目"
            f"{1 + secrets.randbelow(30)}番{1 + secrets.randbelow(20)}号"
        )
        body = {
            "family_name": family,
            "given_name": given,
            "family_name_kana": family_kana,
            "given_name_kana": given_kana,
            "birth_date": (date.today() - timedelta(days=age_days)).isoformat(),
            "sex": sex,
            "address": address,
            "reason": "move_in",
        }
        return dict(self._municipality_api(code).request("POST", "/residents", body))

    def issue_card(
        self,
        code: str,
        resident_id: str,
        *,
        auth_pin: str,
        sign_password: str | None = None,
        text_pin: str | None = None,
        juki_pin: str | None = None,
    ) -> dict[str, Any]:
        """交付申請 + 交付 at the municipality; returns ``summary`` and ``card_image``."""
        body = {
            "auth_pin": auth_pin,
            "sign_password": sign_password,
            "text_pin": text_pin,
            "juki_pin": juki_pin,
        }
        return dict(
            self._municipality_api(code).request("POST", f"/residents/{resident_id}/card", body)
        )

    def issue_demo_cards(self) -> list[Path]:
        """One demo card per seeded municipality, for an adult resident, once.

        The card image goes to ``DATA/wallet/<municipality>.card``, what the console prints
        about it (holder, PINs — demo values) to the ``.json`` beside it.
        """
        made = []
        for code in self.settings.municipalities:
            m = municipality(code)
            path = self.wallet / f"{m.name_en.lower()}.card"
            if path.exists():
                continue
            _, found = self.registry(code).search(status="active", limit=200)
            adults = [r for r in found if (date.today() - r.birth_date).days >= 20 * 366]
            if not adults:
                continue
            holder = adults[0]
            issued = self.issue_card(
                code, holder.id, auth_pin=DEMO_AUTH_PIN, sign_password=DEMO_SIGN_PASSWORD
            )
            CardFile(path).save(issued["card_image"].encode("utf-8"))
            note = {
                "card": path.name,
                "municipality": code,
                "resident_id": holder.id,
                "holder": f"{holder.family_name} {holder.given_name}",
                "manufacture_number": issued["summary"]["manufacture_number"],
                "auth_pin": DEMO_AUTH_PIN,
                "sign_password": DEMO_SIGN_PASSWORD,
                "text_pin": DEMO_AUTH_PIN,
                "juki_pin": DEMO_AUTH_PIN,
                "security_code": issued["summary"]["security_code"],
                "demo": "demo values: never use these PINs anywhere else",
            }
            path.with_suffix(".json").write_text(
                json.dumps(note, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            made.append(path)
        return made

    def demo_wallet(self) -> list[dict[str, Any]]:
        """What :meth:`issue_demo_cards` noted about each demo card."""
        notes = []
        for path in sorted(self.wallet.glob("*.json")):
            note = json.loads(path.read_text(encoding="utf-8"))
            note["path"] = str(path.with_suffix(".card"))
            notes.append(note)
        return notes

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
