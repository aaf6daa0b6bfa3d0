"""The composition root: every organisation built from one set of settings.

Each organisation gets its own database and its own FastAPI app, mounted under its path
on one server (``/jlis``, ``/municipality/131016`` …). Organisations reach each other only
through :class:`~mynumber.platform.http.Directory`: over loopback HTTP when served, or
in-process (the same HTTP requests, without a socket) for the command line and tests.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import zengin_code
from faker.providers.person.ja_JP import Provider as JaPerson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from mynumber.card import CardFile
from mynumber.devices.phone import create_app as create_phone
from mynumber.orgs.accounts.app import create_app as create_accounts
from mynumber.orgs.accounts.services import Account
from mynumber.orgs.bank.app import create_app as create_bank
from mynumber.orgs.bank.app import org_name as bank_org
from mynumber.orgs.benefits.app import create_app as create_benefits
from mynumber.orgs.hub.app import create_app as create_hub
from mynumber.orgs.insurer.app import create_app as create_insurer
from mynumber.orgs.jlis.app import create_app as create_jlis
from mynumber.orgs.municipality.app import create_app as create_municipality
from mynumber.orgs.municipality.model import age_on, municipality
from mynumber.orgs.municipality.seed import SeedReport, seed
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.municipality.store import residents as residents_table
from mynumber.orgs.pension.app import create_app as create_pension
from mynumber.orgs.portal.app import create_app as create_portal
from mynumber.orgs.tax.app import create_app as create_tax
from mynumber.platform import limits
from mynumber.platform.context import OrgContext
from mynumber.platform.headers import SecurityHeaders
from mynumber.platform.http import Directory, InProcessTransport, ServiceClient
from mynumber.platform.settings import Settings
from mynumber.platform.signing import KeyFolder
from mynumber.platform.staff.services import Staff
from mynumber.platform.web import AccessLog, templates_for

INTERNAL_BASE = "http://mynumber.internal"
#: where the resident's phone app (:mod:`mynumber.devices.phone`) is served
PHONE_PATH = "/phone"

#: The linkage network: the hub and the agencies that answer through it (see ``orgs/hub``).
LINKAGE_ORGS = ("hub", "tax", "pension", "insurer", "accounts")
_LINKAGE_FACTORIES: dict[str, Callable[[OrgContext], FastAPI]] = {
    "hub": create_hub,
    "tax": create_tax,
    "pension": create_pension,
    "insurer": create_insurer,
    "accounts": create_accounts,  # 公金受取口座 registry (Digital Agency)
}
#: The demo banks (全銀協 bank codes), each its own organisation at ``/bank/<code>``.
DEMO_BANKS = ("0001", "0005", "9900")
#: Paying bodies: the benefit office (給付金事務局) pays designated public benefits into
#: public-fund accounts by Zengin files to the banks (see ``orgs/benefits``).
PAYING_ORGS = ("benefits",)
_PAYING_FACTORIES: dict[str, Callable[[OrgContext], FastAPI]] = {"benefits": create_benefits}
#: Share of the residents seeded for the agencies who get accounts at the demo banks,
#: of those the share registered as public-fund accounts, and the share of accounts a
#: family member opened in their own name (the 2023 audit's ~130,000 such registrations).
BANK_SEED_SHARE = 0.6
ACCOUNT_SEED_SHARE = 0.5
FAMILY_ACCOUNT_SHARE = 0.03
#: Residents per municipality the agencies get demo records for (keeps first start fast).
LINKAGE_SEED_PER_MUNICIPALITY = 300

#: PINs of the demo cards in ``DATA/wallet/`` (printed by ``mynumber run``): demo values.
DEMO_AUTH_PIN = "1234"
DEMO_SIGN_PASSWORD = "ABC123"  # noqa: S105 - a printed demo value


def mount_path(org: str) -> str:
    """``municipality-131016`` is served at ``/municipality/131016``; ``jlis`` at ``/jlis``."""
    kind, _, code = org.partition("-")
    return f"/{kind}/{code}" if code else f"/{kind}"


class LocalAdministrator(httpx.Auth):
    """Signs each request in as the local administrator of the organisation it goes to:
    whoever holds the data folder (the command line, the demo seeding, tests). Each
    organisation records what is done under this identity in its access log."""

    def __init__(self, federation: Federation) -> None:
        self.federation = federation
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def token(self, org: str) -> str:
        with self._lock:
            if org not in self._tokens:
                staff: Staff = self.federation.apps[org].state.staff
                self._tokens[org] = staff.local_admin_token(ttl=timedelta(hours=8))
            return self._tokens[org]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        org = self.federation.org_at(request.url.path)
        if org is not None and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token(org)}"
        yield request


@dataclass
class Federation:
    settings: Settings
    directory: Directory
    apps: dict[str, FastAPI] = field(default_factory=dict)
    root: FastAPI = field(default_factory=FastAPI)
    _admin_http: httpx.Client | None = None

    def org_at(self, path: str) -> str | None:
        """The organisation whose mount path ``path`` is under."""
        best: tuple[int, str] | None = None
        for org in self.apps:
            mount = mount_path(org)
            if (path == mount or path.startswith(mount + "/")) and (
                best is None or len(mount) > best[0]
            ):
                best = (len(mount), org)
        return None if best is None else best[1]

    @property
    def admin_http(self) -> httpx.Client:
        """An HTTP client of the federation acting as each organisation's local administrator."""
        if self._admin_http is None:
            http = self.directory.http
            self._admin_http = httpx.Client(
                transport=http._transport,
                base_url=http.base_url,
                timeout=http.timeout,
                auth=LocalAdministrator(self),
            )
        return self._admin_http

    #: the resident's phone app (not an organisation), served at ``/phone``
    phone: FastAPI | None = None
    phone_http: httpx.Client | None = None

    def registry(self, code: str) -> ResidentRegistry:
        registry: ResidentRegistry = self.apps[municipality(code).org].state.registry
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
        self.seed_linkage()
        self.seed_accounts()
        self.issue_demo_cards()
        self.enrol_demo_staff()
        return reports

    # --- the linkage network's demo data -------------------------------------------------

    def seed_linkage(self, *, per_municipality: int = LINKAGE_SEED_PER_MUNICIPALITY) -> int:
        """Once: give the agencies demo records for residents they would legitimately know.

        The seeding driver hands each agency the My Numbers it would hold (the tax office
        from filings, the pension service and the insurer from their members) through that
        agency's API; each enrols them once, in bulk, for its own codes (J-LIS → hub). Each
        municipality enrols its residents and records their resident tax. Returns how many
        residents got agency records.
        """
        if "tax" not in self.apps:
            return 0
        call = partial(self.admin_http.post, timeout=600.0)
        tax_health = self.apps["tax"].state.health()
        if tax_health.get("taxpayers"):
            return 0
        rng = random.Random(secrets.randbits(64))
        today = date.today()
        year = today.year - 1
        filings: list[dict[str, Any]] = []
        pensions: list[dict[str, Any]] = []
        insured: list[dict[str, Any]] = []
        total = 0
        for code in self.settings.municipalities:
            org = municipality(code).org
            base = self.directory.url(org)
            r = residents_table
            with self.registry(code).engine.connect() as conn:
                people = conn.execute(
                    select(r.c.id, r.c.my_number, r.c.birth_date)
                    .where(r.c.status == "active", r.c.my_number.is_not(None))
                    .order_by(r.c.id)
                    .limit(per_municipality)
                ).all()
            if not people:
                continue
            ids = [p.id for p in people]
            call(base + "/api/linkage/enrol", json={"resident_ids": ids}).raise_for_status()
            taxes = []
            for p in people:
                age = age_on(p.birth_date, today)
                total += 1
                if age >= 18 and rng.random() < 0.85:
                    base_income = int(rng.lognormvariate(15.1, 0.5)) // 1000 * 1000
                    for y in (year - 2, year - 1, year):
                        income = max(0, int(base_income * rng.uniform(0.9, 1.1)) // 1000 * 1000)
                        filings.append({"my_number": p.my_number, "year": y, "income_yen": income})
                        taxes.append(
                            {
                                "resident_id": p.id,
                                "year": y,
                                "amount_yen": max(0, (income - 430_000) // 10 // 100 * 100),
                            }
                        )
                if age >= 20:
                    receiving = age >= 65
                    pensions.append(
                        {
                            "my_number": p.my_number,
                            "category": "R" if receiving else rng.choice("112"),
                            "contribution_months": min(480, (age - 20) * 12),
                            "annual_benefit_yen": rng.randint(600, 2400) * 1000
                            if receiving
                            else None,
                        }
                    )
                if rng.random() < 0.7:
                    start = max(p.birth_date, today - timedelta(days=rng.randint(30, 3650)))
                    insured.append(
                        {
                            "my_number": p.my_number,
                            "symbol": str(rng.randint(1, 9999)),
                            "number": str(rng.randint(1, 99999)),
                            "branch": "00",
                            "valid_from": start.isoformat(),
                        }
                    )
            call(base + "/api/linkage/resident-taxes", json={"records": taxes}).raise_for_status()
        for org, path, body in (
            ("tax", "/api/filings", {"filings": filings}),
            ("pension", "/api/members", {"members": pensions}),
            ("insurer", "/api/members", {"members": insured}),
        ):
            call(self.directory.url(org) + path, json=body).raise_for_status()
        return total

    # --- banks and public-fund accounts ------------------------------------------------

    def seed_accounts(self, *, per_municipality: int = LINKAGE_SEED_PER_MUNICIPALITY) -> int:
        """Once: open demo bank accounts for a share of the residents the agencies know, in
        their own names (a few in a family member's name instead), and register a share of
        the own-name ones as public-fund accounts. Returns how many were registered."""
        banks = [c for c in DEMO_BANKS if bank_org(c) in self.apps]
        if "accounts" not in self.apps or not banks:
            return 0
        if any(self.apps[bank_org(c)].state.health().get("accounts") for c in banks):
            return 0
        rng = random.Random(secrets.randbits(64))
        r = residents_table
        opened: dict[str, list[dict[str, str]]] = {c: [] for c in banks}
        holders: dict[str, list[tuple[str, dict[str, str]]]] = {c: [] for c in banks}
        drawn: set[tuple[str, str, str]] = set()
        for code in self.settings.municipalities:
            with self.registry(code).engine.connect() as conn:
                people = conn.execute(
                    select(r.c.my_number, r.c.family_name_kana, r.c.given_name_kana, r.c.birth_date)
                    .where(r.c.status == "active", r.c.my_number.is_not(None))
                    .order_by(r.c.id)
                    .limit(per_municipality)
                ).all()
            today = date.today()
            for p in people:
                if age_on(p.birth_date, today) < 18 or rng.random() >= BANK_SEED_SHARE:
                    continue
                at = rng.choice(banks)
                branches = self._demo_branches(at)
                family = rng.random() < FAMILY_ACCOUNT_SHARE
                given = rng.choice(("ハナコ", "タロウ", "ヨウコ")) if family else p.given_name_kana
                branch = rng.choice(branches)
                number = f"{rng.randrange(10**7):07d}"
                while (at, branch, number) in drawn:  # thousands of draws would collide
                    number = f"{rng.randrange(10**7):07d}"
                drawn.add((at, branch, number))
                account = {
                    "branch_code": branch,
                    "deposit_type": "1",
                    "account_number": number,
                    "holder_kana": f"{p.family_name_kana} {given}",
                }
                opened[at].append(account)
                if not family and rng.random() < ACCOUNT_SEED_SHARE:
                    holders[at].append((p.my_number, account))
        entries: list[tuple[str, Account]] = []
        for at in banks:
            self.apps[bank_org(at)].state.bank.open_accounts(opened[at])
            for my_number, a in holders[at]:
                entries.append(
                    (
                        my_number,
                        Account.checked(
                            bank_code=at,
                            branch_code=a["branch_code"],
                            deposit_type="1",
                            number=a["account_number"],
                            holder_kana=a["holder_kana"],
                        ),
                    )
                )
        registered: int = self.apps["accounts"].state.registry.register_demo(entries)
        return registered

    @staticmethod
    def _demo_branches(code: str) -> list[str]:
        """The first few branches of a demo bank (from the Zengin code list)."""
        return sorted(zengin_code.Bank.all[code].branches)[:5]

    # --- cards, through the municipalities' API ------------------------------------------

    @property
    def wallet(self) -> Path:
        """Where the demo cards live: ``DATA/wallet/<municipality>.card`` (+ ``.json``)."""
        return self.settings.data_dir / "wallet"

    def _municipality_api(self, code: str) -> ServiceClient:
        org = municipality(code).org
        api = Directory({org: self.directory.url(org) + "/api"}, self.admin_http)
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

    @property
    def staff_wallet(self) -> Path:
        """Where the demo staff cards live: ``DATA/staff-wallet/<name>.card`` (+ ``.json``)."""
        return self.settings.data_dir / "staff-wallet"

    def enrol_demo_staff(self) -> list[Path]:
        """Two demo staff members, once, each with their own card (PINs printed: demo
        values): 職員A holds every role of every organisation; 職員B is a second supervisor
        at the municipalities and the approver at the benefit office, so that what needs two
        people (a number re-issue, a benefit programme) can be walked through."""
        code = self.settings.municipalities[0]
        made: list[Path] = []
        for name, seats in (
            ("staff-a", None),
            (
                "staff-b",
                {
                    **{municipality(c).org: ["supervisor"] for c in self.settings.municipalities},
                    "benefits": ["approver"],
                },
            ),
        ):
            path = self.staff_wallet / f"{name}.card"
            if path.exists():
                continue
            person = self.register_synthetic_adult(code)
            issued = self.issue_card(
                code, person["id"], auth_pin=DEMO_AUTH_PIN, sign_password=DEMO_SIGN_PASSWORD
            )
            self.staff_wallet.mkdir(parents=True, exist_ok=True)
            CardFile(path).save(issued["card_image"].encode("utf-8"))
            serial = next(
                c["serial"] for c in issued["summary"]["certificates"] if c["hierarchy"] == "auth"
            )
            holder = f"{person['family_name']} {person['given_name']}"
            enrolled: dict[str, list[str]] = {}
            for org, app in self.apps.items():
                staff: Staff = app.state.staff
                roles = (
                    [r for r in staff.roles.by_name if r != "admin"]
                    if seats is None
                    else seats.get(org)
                )
                if roles:
                    staff.add(name=f"{holder} (demo)", roles=roles, auth_serial=serial)
                    enrolled[org] = roles
            note = {
                "card": path.name,
                "municipality": code,
                "holder": holder,
                "staff_at": enrolled,
                "auth_pin": DEMO_AUTH_PIN,
                "sign_password": DEMO_SIGN_PASSWORD,
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
        if self._admin_http is not None:
            self._admin_http.close()
        self.directory.http.close()
        if self.phone_http is not None:
            self.phone_http.close()
        for app in self.apps.values():
            engine = getattr(app.state, "engine", None) or getattr(
                getattr(app.state, "registry", None), "engine", None
            )
            if engine is not None:
                engine.dispose()


def build(settings: Settings, *, in_process: bool = True) -> Federation:
    """Build every organisation; ``in_process`` wires them without sockets."""
    keys = KeyFolder(settings.data_dir / "keys")
    orgs = org_names(settings)
    base = INTERNAL_BASE if in_process else settings.base_url
    directory = Directory({org: base + mount_path(org) for org in orgs})
    federation = Federation(settings=settings, directory=directory)

    def context(org: str) -> OrgContext:
        return OrgContext(org=org, settings=settings, keys=keys, directory=directory)

    federation.apps["jlis"] = create_jlis(context("jlis"))
    for code in settings.municipalities:
        m = municipality(code)
        federation.apps[m.org] = create_municipality(context(m.org), m)
    federation.apps["portal"] = create_portal(context("portal"))
    for org in LINKAGE_ORGS:
        federation.apps[org] = _LINKAGE_FACTORIES[org](context(org))
    for code in DEMO_BANKS:
        federation.apps[bank_org(code)] = create_bank(context(bank_org(code)), code)
    for org in PAYING_ORGS:
        federation.apps[org] = _PAYING_FACTORIES[org](context(org))

    for app in federation.apps.values():
        limits.configure(app, settings)
    federation.root = _root_app(federation)
    # the phone reaches the sites' challenge resources through the same root app, without
    # a socket: the same in one process under uvicorn or in tests
    federation.phone_http = httpx.Client(
        transport=InProcessTransport(federation.root), timeout=60.0
    )
    federation.phone = create_phone(settings, http=federation.phone_http)
    federation.root.mount(PHONE_PATH, federation.phone)
    if in_process:
        directory.http = httpx.Client(
            transport=InProcessTransport(federation.root), base_url=INTERNAL_BASE, timeout=60.0
        )
    else:
        directory.http = httpx.Client(timeout=60.0)
    return federation


def _root_app(federation: Federation) -> FastAPI:
    root = FastAPI(title="mynumber", description="Japan's My Number system, runnable.")
    root.add_middleware(SecurityHeaders)
    root.add_middleware(AccessLog)

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

    index_page = templates_for(Path(__file__).with_name("templates"))

    @root.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        """What runs here, in the shared pages' look: each organisation and its API."""
        orgs = [(app.title, mount_path(org)) for org, app in federation.apps.items()]
        orgs.append(("マイナポータルアプリ (the resident's phone)", PHONE_PATH))
        return index_page.TemplateResponse(request, "index.html", {"orgs": orgs})

    for org, app in federation.apps.items():
        root.mount(mount_path(org), app)
    return root


# --- split deployment: one organisation per process ---------------------------------------


def org_names(settings: Settings) -> list[str]:
    """Every organisation of a deployment, in the order ``mynumber run --split`` gives them
    ports."""
    return [
        "jlis",
        *(municipality(code).org for code in settings.municipalities),
        "portal",
        *LINKAGE_ORGS,
        *(bank_org(code) for code in DEMO_BANKS),
        *PAYING_ORGS,
    ]


def split_urls(settings: Settings) -> dict[str, str]:
    """Each organisation at ``http://host:(port + index)`` under its usual mount path."""
    return {
        org: f"http://{settings.host}:{settings.port + i}{mount_path(org)}"
        for i, org in enumerate(org_names(settings))
    }


def build_one(settings: Settings, org: str, urls: dict[str, str]) -> FastAPI:
    """One organisation's app, mounted at its usual path, reaching the others by ``urls``."""
    keys = KeyFolder(settings.data_dir / "keys")
    directory = Directory(urls, httpx.Client(timeout=60.0))
    if org == "portal" and settings.public_url is None:
        # the portal's links (QR codes, the phone app beside it) name its own process
        own = urls[org].removesuffix(mount_path(org))
        settings = settings.model_copy(update={"public_url": own})
    ctx = OrgContext(org=org, settings=settings, keys=keys, directory=directory)
    if org == "jlis":
        app = create_jlis(ctx)
    elif org == "portal":
        app = create_portal(ctx)
    elif org in _LINKAGE_FACTORIES:
        app = _LINKAGE_FACTORIES[org](ctx)
    elif org.startswith("bank-"):
        app = create_bank(ctx, org.removeprefix("bank-"))
    elif org in _PAYING_FACTORIES:
        app = _PAYING_FACTORIES[org](ctx)
    else:
        app = create_municipality(ctx, municipality(org.removeprefix("municipality-")))
    limits.configure(app, settings)
    root = FastAPI(title=app.title)

    @root.get("/healthz")
    def healthz() -> dict[str, Any]:
        report = app.state.health()
        return {"ok": bool(report.get("ok")), "orgs": {org: report}}

    root.mount(mount_path(org), app)
    if org == "portal":
        # this project's choice: split, the phone app shares the portal's process (and its
        # port); it may reach every organisation of the deployment by its split URL
        phone = create_phone(
            settings,
            http=httpx.Client(timeout=60.0),
            allowed=[settings.base_url, *urls.values()],
        )
        root.mount(PHONE_PATH, phone)
    root.state.org_app = app
    return root
