"""The composition root: every organisation built from one set of settings.

Each organisation gets its own database and its own FastAPI app, mounted under its path
on one server (``/jlis``, ``/municipality/131016`` …). Organisations reach each other only
through :class:`~mynumber.platform.http.Directory`: over loopback HTTP when served, or
in-process (the same HTTP requests, without a socket) for the command line and tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from mynumber.devices.kiosk import STORES
from mynumber.devices.kiosk import create_app as create_kiosk
from mynumber.devices.phone import create_app as create_phone
from mynumber.federation import demo
from mynumber.federation.demo import DEMO_BANKS
from mynumber.federation.paths import INTERNAL_BASE, KIOSK_PATH, PHONE_PATH, mount_path
from mynumber.federation.split import distribute
from mynumber.orgs.accounts.app import AccountServices
from mynumber.orgs.accounts.app import create_app as create_accounts
from mynumber.orgs.bank.app import BankServices
from mynumber.orgs.bank.app import create_app as create_bank
from mynumber.orgs.bank.app import org_name as bank_org
from mynumber.orgs.benefits.app import BenefitServices
from mynumber.orgs.benefits.app import create_app as create_benefits
from mynumber.orgs.clinic.app import ClinicServices
from mynumber.orgs.clinic.app import create_app as create_clinic
from mynumber.orgs.clinic.app import org_name as clinic_org
from mynumber.orgs.clinic.model import DEMO_INSTITUTIONS
from mynumber.orgs.hub.app import HubServices
from mynumber.orgs.hub.app import create_app as create_hub
from mynumber.orgs.insurer.app import InsurerServices
from mynumber.orgs.insurer.app import create_app as create_insurer
from mynumber.orgs.jlis.app import JlisServices
from mynumber.orgs.jlis.app import create_app as create_jlis
from mynumber.orgs.municipality.app import MunicipalityServices
from mynumber.orgs.municipality.app import create_app as create_municipality
from mynumber.orgs.municipality.model import municipality
from mynumber.orgs.municipality.seed import SeedReport
from mynumber.orgs.municipality.services import ResidentRegistry
from mynumber.orgs.oqs.app import OqsServices
from mynumber.orgs.oqs.app import create_app as create_oqs
from mynumber.orgs.pension.app import create_app as create_pension
from mynumber.orgs.police.app import PoliceServices
from mynumber.orgs.police.app import create_app as create_police
from mynumber.orgs.portal.app import PortalServices
from mynumber.orgs.portal.app import create_app as create_portal
from mynumber.orgs.tax.app import create_app as create_tax
from mynumber.orgs.trustplatform.app import TrustPlatformServices
from mynumber.orgs.trustplatform.app import create_app as create_trustplatform
from mynumber.platform import limits
from mynumber.platform.composition import OrgServices, S, services_of
from mynumber.platform.context import OrgContext
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.headers import SecurityHeaders
from mynumber.platform.http import Directory, InProcessTransport
from mynumber.platform.settings import Settings
from mynumber.platform.signing import KeyFolder
from mynumber.platform.staff.services import Staff
from mynumber.platform.web import AccessLog, templates_for
from mynumber.platform.web.agency import AgencyServices

#: The linkage network: the hub and the agencies that answer through it (see ``orgs/hub``);
#: the insurers (健保組合, 協会けんぽ, 国保) register eligibility with ``oqs`` (支払基金's
#: オンライン資格確認等システム) through it.
LINKAGE_ORGS = (
    "hub",
    "tax",
    "pension",
    "insurer",
    "insurer-kyokai",
    "insurer-kokuho",
    "accounts",
    "oqs",
    "police",
)
_LINKAGE_FACTORIES: dict[str, Callable[[OrgContext], FastAPI]] = {
    "hub": create_hub,
    "tax": create_tax,
    "pension": create_pension,
    "insurer": create_insurer,
    "insurer-kyokai": create_insurer,
    "insurer-kokuho": create_insurer,
    "accounts": create_accounts,  # 公金受取口座 registry (Digital Agency)
    "oqs": create_oqs,
    "police": create_police,  # 東京都公安委員会: driver's licences (マイナ免許証)
}
#: The demo clinic and pharmacy (``/clinic/<10-digit code>``), relying parties of the card.
CLINIC_CODES = tuple(i.code for i in DEMO_INSTITUTIONS)
#: Paying bodies: the benefit office (給付金事務局) pays designated public benefits into
#: public-fund accounts by Zengin files to the banks (see ``orgs/benefits``).
PAYING_ORGS = ("benefits",)
_PAYING_FACTORIES: dict[str, Callable[[OrgContext], FastAPI]] = {"benefits": create_benefits}
#: Private parties: a certified platform operator (認定プラットフォーム事業者) with its
#: service providers and time-stamp authority (see ``orgs/trustplatform``).
PRIVATE_ORGS = ("trustplatform",)
_PRIVATE_FACTORIES: dict[str, Callable[[OrgContext], FastAPI]] = {
    "trustplatform": create_trustplatform
}


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
                staff: Staff = self.federation.services(org).staff
                self._tokens[org] = staff.local_admin_token(ttl=timedelta(hours=8))
            return self._tokens[org]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        org = self.federation.org_at(request.url.path)
        if org is not None and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token(org)}"
        yield request


class Apps(Mapping[str, FastAPI]):
    """Each organisation's app by name, built when first asked for, once: a command or a
    test uses a few of the twenty organisations, and building one (its routes analysed by
    FastAPI, its database migrated) costs tens of milliseconds. A server builds them all
    before it listens (:meth:`build_all`)."""

    def __init__(self, makers: dict[str, Callable[[], FastAPI]]) -> None:
        self._makers = makers
        self._built: dict[str, FastAPI] = {}
        # one lock per organisation: building one may call another, from another thread
        self._locks = {org: threading.Lock() for org in makers}

    def __getitem__(self, org: str) -> FastAPI:
        app = self._built.get(org)
        if app is not None:
            return app
        with self._locks[org]:  # KeyError: no such organisation
            if org not in self._built:
                self._built[org] = self._makers[org]()
            return self._built[org]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def get_built(self, org: str) -> FastAPI | None:
        """``org``'s app if it was built, without building it."""
        return self._built.get(org)

    def built(self) -> list[FastAPI]:
        return list(self._built.values())

    def build_all(self) -> None:
        for org in self:
            self[org]


@dataclass
class Federation:
    settings: Settings
    directory: Directory
    apps: Apps = field(default_factory=lambda: Apps({}))
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

    def services(self, org: str, kind: type[S] = OrgServices) -> S:  # type: ignore[assignment]
        """The services ``org``'s app exposes, typed (see :mod:`mynumber.platform.composition`)."""
        return services_of(self.apps[org], kind)

    def municipality(self, code: str) -> MunicipalityServices:
        return self.services(municipality(code).org, MunicipalityServices)

    def registry(self, code: str) -> ResidentRegistry:
        return self.municipality(code).registry

    def jlis(self) -> JlisServices:
        return self.services("jlis", JlisServices)

    def hub(self) -> HubServices:
        return self.services("hub", HubServices)

    def accounts(self) -> AccountServices:
        return self.services("accounts", AccountServices)

    def benefits(self) -> BenefitServices:
        return self.services("benefits", BenefitServices)

    def bank(self, org: str) -> BankServices:
        """``bank-0001``'s services."""
        return self.services(org, BankServices)

    def portal(self) -> PortalServices:
        return self.services("portal", PortalServices)

    def agency(self, org: str) -> AgencyServices:
        """A provider agency's services (``tax``, ``pension``, an insurer)."""
        return self.services(org, AgencyServices)

    def insurer(self, org: str = "insurer") -> InsurerServices:
        return self.services(org, InsurerServices)

    def police(self) -> PoliceServices:
        return self.services("police", PoliceServices)

    def oqs(self) -> OqsServices:
        return self.services("oqs", OqsServices)

    def trustplatform(self) -> TrustPlatformServices:
        return self.services("trustplatform", TrustPlatformServices)

    def clinic(self, org: str) -> ClinicServices:
        """``clinic-<code>``'s services."""
        return self.services(org, ClinicServices)

    def urls(self) -> dict[str, str]:
        return {org: self.settings.base_url + mount_path(org) + "/" for org in self.apps}

    # --- the demo seeding (:mod:`mynumber.federation.demo`) ----------------------------------

    def seed_demo(
        self, progress: Callable[[str, int], None] = lambda org, n: None
    ) -> list[SeedReport]:
        """:func:`~mynumber.federation.demo.seed_demo`."""
        return demo.seed_demo(self, progress)

    def seed(
        self, code: str, count: int, progress: Callable[[int], None] = lambda n: None
    ) -> SeedReport:
        """:func:`~mynumber.federation.demo.seed_residents`."""
        return demo.seed_residents(self, code, count, progress)

    def seed_linkage(self, *, per_municipality: int = demo.LINKAGE_SEED_PER_MUNICIPALITY) -> int:
        """:func:`~mynumber.federation.demo.seed_linkage`."""
        return demo.seed_linkage(self, per_municipality=per_municipality)

    def seed_accounts(self, *, per_municipality: int = demo.LINKAGE_SEED_PER_MUNICIPALITY) -> int:
        """:func:`~mynumber.federation.demo.seed_accounts`."""
        return demo.seed_accounts(self, per_municipality=per_municipality)

    def register_synthetic_adult(self, code: str) -> dict[str, Any]:
        """:func:`~mynumber.federation.demo.register_synthetic_adult`."""
        return demo.register_synthetic_adult(self, code)

    def issue_card(
        self,
        code: str,
        resident_id: str,
        *,
        auth_pin: str | None,
        sign_password: str | None = None,
        text_pin: str | None = None,
        juki_pin: str | None = None,
        generation: int = 1,
        face_only: bool = False,
    ) -> dict[str, Any]:
        """:func:`~mynumber.federation.demo.issue_card`."""
        return demo.issue_card(
            self,
            code,
            resident_id,
            auth_pin=auth_pin,
            sign_password=sign_password,
            text_pin=text_pin,
            juki_pin=juki_pin,
            generation=generation,
            face_only=face_only,
        )

    def demo_holder(self, code: str) -> dict[str, Any] | None:
        return demo.demo_holder(self, code)

    def issue_demo_cards(self) -> list[Path]:
        """:func:`~mynumber.federation.demo.issue_demo_cards`."""
        return demo.issue_demo_cards(self)

    def enrol_demo_staff(self) -> list[Path]:
        """:func:`~mynumber.federation.demo.enrol_demo_staff`."""
        return demo.enrol_demo_staff(self)

    def demo_wallet(self) -> list[dict[str, Any]]:
        """:func:`~mynumber.federation.demo.demo_wallet`."""
        return demo.demo_wallet(self)

    @property
    def wallet(self) -> Path:
        """Where the demo cards live: ``DATA/wallet/<municipality>.card`` (+ ``.json``)."""
        return demo.wallet(self)

    @property
    def staff_wallet(self) -> Path:
        """Where the demo staff cards live: ``DATA/staff-wallet/<name>.card`` (+ ``.json``)."""
        return demo.staff_wallet(self)

    def close(self) -> None:
        if self._admin_http is not None:
            self._admin_http.close()
        self.directory.http.close()
        if self.phone_http is not None:
            self.phone_http.close()
        for app in self.apps.built():
            services_of(app, OrgServices).engine.dispose()


def build(settings: Settings, *, in_process: bool = True) -> Federation:
    """Every organisation, each built when first used (see :class:`Apps`);
    ``in_process`` wires them without sockets."""
    keys = KeyFolder(settings.data_dir / "keys")
    orgs = org_names(settings)
    base = INTERNAL_BASE if in_process else settings.base_url
    directory = Directory({org: base + mount_path(org) for org in orgs})
    federation = Federation(settings=settings, directory=directory)
    makers: dict[str, Callable[[OrgContext], FastAPI]] = {"jlis": create_jlis}
    for code in settings.municipalities:
        m = municipality(code)
        makers[m.org] = partial(create_municipality, municipality=m)
    makers["portal"] = create_portal
    makers |= _LINKAGE_FACTORIES
    for code in DEMO_BANKS:
        makers[bank_org(code)] = partial(create_bank, code=code)
    makers |= _PAYING_FACTORIES | _PRIVATE_FACTORIES
    for code in CLINIC_CODES:
        makers[clinic_org(code)] = partial(create_clinic, code=code)

    def make(org: str) -> FastAPI:
        app = makers[org](OrgContext(org=org, settings=settings, keys=keys, directory=directory))
        if org in PAYING_ORGS:
            distribute(app, settings)
        limits.configure(app, settings)
        return app

    federation.apps = Apps({org: partial(make, org) for org in orgs})
    # every organisation's encryption key is published before any is built: one may seal a
    # message to another that this process has not built yet (an insurer's copy to oqs)
    sealing = EncryptionKeys(settings.data_dir / "keys", keys)
    for org in orgs:
        sealing.ensure(org)
    federation.root = _root_app(federation)
    # the phone reaches the sites' challenge resources through the same root app, without
    # a socket: the same in one process under uvicorn or in tests
    federation.phone_http = httpx.Client(
        transport=InProcessTransport(federation.root), timeout=60.0
    )
    federation.phone = create_phone(settings, http=federation.phone_http)
    federation.root.mount(PHONE_PATH, federation.phone)
    # the kiosks of each store reach J-LIS's 証明書交付センター the same way
    for store in STORES.values():
        federation.root.mount(
            f"{KIOSK_PATH}/{store.id}",
            create_kiosk(
                settings,
                store,
                http=federation.phone_http,
                jlis_url=INTERNAL_BASE + mount_path("jlis"),
            ),
        )
    if in_process:
        directory.http = httpx.Client(
            transport=InProcessTransport(federation.root), base_url=INTERNAL_BASE, timeout=60.0
        )
    else:
        directory.http = httpx.Client(timeout=60.0)
    return federation


class _Mounted:
    """The ASGI app mounted at an organisation's path: its app, built on the first request
    (on a worker thread: building migrates its database and may ask other organisations)."""

    def __init__(self, apps: Apps, org: str) -> None:
        self.apps = apps
        self.org = org

    @property
    def routes(self) -> list[BaseRoute]:
        return self.apps[self.org].routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.apps.get_built(self.org)
        if app is None:
            app = await anyio.to_thread.run_sync(self.apps.__getitem__, self.org)
        await app(scope, receive, send)


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
                report[org] = services_of(app, OrgServices).health()
            except Exception as exc:  # a broken organisation must not hide the others
                report[org] = {"org": org, "ok": False, "error": type(exc).__name__}
        return {"ok": all(r.get("ok") for r in report.values()), "orgs": report}

    index_page = templates_for(Path(__file__).with_name("templates"))

    @root.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        """What runs here, in the shared pages' look: each organisation and its API."""
        orgs = [(app.title, mount_path(org)) for org, app in federation.apps.items()]
        orgs.append(("マイナポータルアプリ (the resident's phone)", PHONE_PATH))
        for store in STORES.values():
            orgs.append((f"{store.name} コンビニ交付 (kiosk)", f"{KIOSK_PATH}/{store.id}"))
        return index_page.TemplateResponse(request, "index.html", {"orgs": orgs})

    # the longest mount first: ``/insurer/kyokai`` before ``/insurer``
    for org in sorted(federation.apps, key=lambda org: -len(mount_path(org))):
        root.mount(mount_path(org), _Mounted(federation.apps, org))
    return root


# --- split deployment: one organisation per process (its app: :mod:`.split`) ---------------


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
        *PRIVATE_ORGS,
        *(clinic_org(code) for code in CLINIC_CODES),
    ]


def split_urls(settings: Settings) -> dict[str, str]:
    """Each organisation at ``http://host:(port + index)`` under its usual mount path."""
    return {
        org: f"http://{settings.host}:{settings.port + i}{mount_path(org)}"
        for i, org in enumerate(org_names(settings))
    }
