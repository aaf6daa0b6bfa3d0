"""The demo seeding: synthetic residents, the agencies' records, bank and public-fund
accounts, demo cards and demo staff, on first start.

Everything past the residents' bulk seeding goes through the organisations' APIs, as their
local administrator (:attr:`~mynumber.federation.assembly.Federation.admin_http`): the
municipalities export their residents page by page (``POST /api/residents/export``), the
agencies, banks and the account registry receive what they would hold through their own
routes, and each organisation records what was done in its access log.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zengin_code
from faker.providers.person.ja_JP import Provider as JaPerson

from mynumber import jst
from mynumber.card import CardFile
from mynumber.devices.clinic import CardReader, Terminal
from mynumber.devices.phone.wallet import open_card
from mynumber.orgs.bank.app import org_name as bank_org
from mynumber.orgs.insurer.model import PLANS
from mynumber.orgs.municipality.model import age_on, municipality
from mynumber.orgs.municipality.seed import SeedReport, seed
from mynumber.platform.composition import OrgServices, services_of
from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork

#: The insurers demo members are spread over (健保組合, 協会けんぽ, 国保).
INSURER_ORGS = tuple(plan.org for plan in PLANS)

if TYPE_CHECKING:
    from mynumber.federation.assembly import Federation

#: The demo banks (全銀協 bank codes), each its own organisation at ``/bank/<code>``.
DEMO_BANKS = ("0001", "0005", "9900")
#: Share of the residents seeded for the agencies who get accounts at the demo banks,
#: of those the share registered as public-fund accounts, and the share of accounts a
#: family member opened in their own name (the 2023 audit's ~130,000 such registrations).
BANK_SEED_SHARE = 0.6
ACCOUNT_SEED_SHARE = 0.5
FAMILY_ACCOUNT_SHARE = 0.03
#: Residents per municipality the agencies get demo records for (keeps first start fast).
LINKAGE_SEED_PER_MUNICIPALITY = 300
#: Residents per page of a municipality's export (its bound is 5,000).
EXPORT_PAGE = 1_000
#: Accounts per bulk call to a bank or the account registry (their bound is 10,000).
BULK_PAGE = 5_000
#: A bulk call of the seeding may take long on a large first start.
SEED_CALL_TIMEOUT = 600.0

#: PINs of the demo cards in ``DATA/wallet/`` (printed by ``mynumber run``): demo values.
DEMO_AUTH_PIN = "1234"
DEMO_SIGN_PASSWORD = "ABC123"  # noqa: S105 - a printed demo value


def seed_demo(
    fed: Federation, progress: Callable[[str, int], None] = lambda org, n: None
) -> list[SeedReport]:
    """On first start, give every municipality its synthetic residents, the agencies and
    banks their records, and one resident of each municipality a card in the demo wallet."""
    reports = []
    for code in fed.settings.municipalities:
        org = municipality(code).org
        if _municipality_api(fed, code).request("GET", "/residents?status=&limit=1")["total"] == 0:
            reports.append(
                seed_residents(fed, code, fed.settings.seed_residents, partial(progress, org))
            )
    seed_linkage(fed)
    seed_accounts(fed)
    approve_demo_commission(fed)
    issue_demo_cards(fed)
    seed_kiosk_demo(fed)
    enrol_demo_staff(fed)
    return reports


def seed_residents(
    fed: Federation, code: str, count: int, progress: Callable[[int], None] = lambda n: None
) -> SeedReport:
    """Bulk-register ``count`` synthetic residents at a municipality, with numbers from J-LIS.

    This one step writes through the municipality's own seeding code on its own database
    (hundreds of thousands of rows in bulk, too many for its per-resident API)."""
    registry = fed.registry(code)
    report = seed(
        uow=UnitOfWork(fed.municipality(code).engine),
        municipality=registry.municipality,
        jlis=registry.jlis,
        count=count,
        progress=progress,
    )
    # every resident not yet enrolled (registration enrols at once; seeding in bulk)
    base = fed.directory.url(registry.municipality.org)
    enrolled = fed.admin_http.post(base + "/api/linkage/enrol", json={}, timeout=3600.0)
    enrolled.raise_for_status()
    report.enrolled = int(enrolled.json()["enrolled"])
    return report


def exported_residents(fed: Federation, code: str, *, limit: int) -> Iterator[dict[str, Any]]:
    """Up to ``limit`` active residents of a municipality with their My Numbers, in id order,
    through its export route (each one recorded in its access log)."""
    api = _municipality_api(fed, code)
    after: str | None = None
    left = limit
    while left > 0:
        page = api.request(
            "POST",
            "/residents/export",
            {"after": after, "limit": min(left, EXPORT_PAGE)},
            timeout=SEED_CALL_TIMEOUT,
        )
        for resident in page["residents"]:
            resident["birth_date"] = date.fromisoformat(resident["birth_date"])
            yield resident
        left -= len(page["residents"])
        after = page["next"]
        if after is None:
            return


# --- the linkage network's demo data ---------------------------------------------------------


def seed_linkage(fed: Federation, *, per_municipality: int = LINKAGE_SEED_PER_MUNICIPALITY) -> int:
    """Once: give the agencies demo records for residents they would legitimately know.

    The seeding driver hands each agency the My Numbers it would hold (the tax office
    from filings, the pension service and the insurer from their members) through that
    agency's API; each enrols them once, in bulk, for its own codes (J-LIS → hub). Each
    municipality enrols its residents and records their resident tax. Returns how many
    residents got agency records.
    """
    if "tax" not in fed.apps:
        return 0
    call = partial(fed.admin_http.post, timeout=SEED_CALL_TIMEOUT)
    if fed.admin_http.get(fed.directory.url("tax") + "/healthz").json().get("taxpayers"):
        return 0
    rng = random.Random(secrets.randbits(64))
    today = jst.today()
    year = today.year - 1
    filings: list[dict[str, Any]] = []
    pensions: list[dict[str, Any]] = []
    insured: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for code in fed.settings.municipalities:
        base = fed.directory.url(municipality(code).org)
        holder = demo_holder(fed, code)
        details = resident_details(fed, code)
        people: list[dict[str, Any]] = []
        for resident in exported_residents(fed, code, limit=10**9):
            if len(people) < per_municipality:
                people.append(resident)
            elif holder is None or holder["id"] in {p["id"] for p in people}:
                break
            elif resident["id"] == holder["id"]:
                people.append(resident)  # the demo card holder gets records too
                break
        if not people:
            continue
        # every resident not yet enrolled (registration enrols at once; seeding in bulk)
        call(base + "/api/linkage/enrol", json={}).raise_for_status()
        taxes = []
        for p in people:
            my_number, born = p["my_number"], p["birth_date"]
            age = age_on(born, today)
            total += 1
            sure = holder is not None and p["id"] == holder["id"]  # the demo card shows them
            if age >= 18 and (sure or rng.random() < 0.85):
                base_income = int(rng.lognormvariate(15.1, 0.5)) // 1000 * 1000
                for y in (year - 2, year - 1, year):
                    income = max(0, int(base_income * rng.uniform(0.9, 1.1)) // 1000 * 1000)
                    filings.append({"my_number": my_number, "year": y, "income_yen": income})
                    taxes.append(
                        {
                            "resident_id": p["id"],
                            "year": y,
                            "amount_yen": max(0, (income - 430_000) // 10 // 100 * 100),
                        }
                    )
            if age >= 20:
                receiving = age >= 65
                pensions.append(
                    {
                        "my_number": my_number,
                        "category": "R" if receiving else rng.choice("112"),
                        "contribution_months": min(480, (age - 20) * 12),
                        "annual_benefit_yen": rng.randint(600, 2400) * 1000 if receiving else None,
                    }
                )
            if sure or rng.random() < 0.7:
                start = max(born, today - timedelta(days=rng.randint(30, 3650)))
                who = details.get(p["id"], {})
                # the demo card holder is in the 健保組合 (an 8-digit insurer number)
                plan = INSURER_ORGS[0] if sure else rng.choice(INSURER_ORGS)
                insured.setdefault(plan, []).append(
                    {
                        "my_number": my_number,
                        "symbol": str(rng.randint(1, 9999)),
                        "number": str(rng.randint(1, 99999)),
                        "branch": f"{rng.choice((0, 0, 0, 1, 2)):02d}",
                        "valid_from": start.isoformat(),
                        "name": who.get("name"),
                        "name_kana": f"{p['family_name_kana']}　{p['given_name_kana']}",
                        "sex": who.get("sex") if who.get("sex") in ("1", "2") else None,
                        "birth_date": born.isoformat(),
                    }
                )
        call(base + "/api/linkage/resident-taxes", json={"records": taxes}).raise_for_status()
    for org, path, body in (
        ("tax", "/api/filings", {"filings": filings}),
        ("pension", "/api/members", {"members": pensions}),
        *(
            (plan, "/api/members", {"members": members})
            for plan, members in insured.items()
            if plan in fed.apps
        ),
    ):
        call(fed.directory.url(org) + path, json=body).raise_for_status()
    return total


def resident_details(fed: Federation, code: str) -> dict[str, dict[str, str]]:
    """The active residents' names and sex (ISO 5218) by id, from the register's list
    (an insurer's 資格取得届 carries them)."""
    api = _municipality_api(fed, code)
    found: dict[str, dict[str, str]] = {}
    offset = 0
    while True:
        page = api.request(
            "GET", f"/residents?status=active&limit=500&offset={offset}", timeout=SEED_CALL_TIMEOUT
        )
        for r in page["residents"]:
            found[r["id"]] = {"name": f"{r['family_name']}　{r['given_name']}", "sex": r["sex"]}
        offset += len(page["residents"])
        if not page["residents"] or offset >= page["total"]:
            return found


# --- banks and public-fund accounts ----------------------------------------------------------


def seed_accounts(fed: Federation, *, per_municipality: int = LINKAGE_SEED_PER_MUNICIPALITY) -> int:
    """Once: open demo bank accounts for a share of the residents the agencies know, in
    their own names (a few in a family member's name instead), through each bank's back-office
    route, and register a share of the own-name ones as public-fund accounts through the
    registry operator's bulk route. Returns how many were registered."""
    banks = [c for c in DEMO_BANKS if bank_org(c) in fed.apps]
    if "accounts" not in fed.apps or not banks:
        return 0
    http = fed.admin_http
    if any(
        http.get(fed.directory.url(bank_org(c)) + "/healthz").json().get("accounts") for c in banks
    ):
        return 0
    rng = random.Random(secrets.randbits(64))
    opening: dict[str, list[dict[str, str]]] = {c: [] for c in banks}
    #: per bank, in the order opened: the holder's My Number when it is to be registered
    to_register: dict[str, list[str | None]] = {c: [] for c in banks}
    drawn: set[tuple[str, str, str]] = set()
    today = jst.today()
    for code in fed.settings.municipalities:
        for p in exported_residents(fed, code, limit=per_municipality):
            if age_on(p["birth_date"], today) < 18 or rng.random() >= BANK_SEED_SHARE:
                continue
            at = rng.choice(banks)
            family = rng.random() < FAMILY_ACCOUNT_SHARE
            given = rng.choice(("ハナコ", "タロウ", "ヨウコ")) if family else p["given_name_kana"]
            branch = rng.choice(_demo_branches(at))
            number = f"{rng.randrange(10**7):07d}"
            while (at, branch, number) in drawn:  # thousands of draws would collide
                number = f"{rng.randrange(10**7):07d}"
            drawn.add((at, branch, number))
            opening[at].append(
                {
                    "branch_code": branch,
                    "deposit_type": "1",
                    "account_number": number,
                    "holder_kana": f"{p['family_name_kana']} {given}",
                }
            )
            own = not family and rng.random() < ACCOUNT_SEED_SHARE
            to_register[at].append(p["my_number"] if own else None)
    registrations: list[dict[str, Any]] = []
    for at in banks:
        for start in range(0, len(opening[at]), BULK_PAGE):
            answer = http.post(
                fed.directory.url(bank_org(at)) + "/api/accounts/bulk",
                json={"accounts": opening[at][start : start + BULK_PAGE]},
                timeout=SEED_CALL_TIMEOUT,
            )
            answer.raise_for_status()
            holders = to_register[at][start : start + BULK_PAGE]
            for my_number, a in zip(holders, answer.json()["accounts"], strict=True):
                if my_number is not None:
                    registrations.append(
                        {
                            "my_number": my_number,
                            "account": {
                                "bank_code": at,
                                "branch_code": a["branch_code"],
                                "deposit_type": a["deposit_type"],
                                "account_number": a["account_number"],
                                "holder_kana": a["holder_kana"],
                            },
                        }
                    )
    registered = 0
    for start in range(0, len(registrations), BULK_PAGE):
        answer = http.post(
            fed.directory.url("accounts") + "/api/registrations/bulk",
            json={"registrations": registrations[start : start + BULK_PAGE]},
            timeout=SEED_CALL_TIMEOUT,
        )
        answer.raise_for_status()
        registered += int(answer.json()["registered"])
    return registered


def _demo_branches(code: str) -> list[str]:
    """The first few branches of a demo bank (from the Zengin code list)."""
    return sorted(zengin_code.Bank.all[code].branches)[:5]


# --- cards, through the municipalities' API --------------------------------------------------


def wallet(fed: Federation) -> Path:
    """Where the demo cards live: ``DATA/wallet/<municipality>.card`` (+ ``.json``)."""
    return fed.settings.data_dir / "wallet"


def staff_wallet(fed: Federation) -> Path:
    """Where the demo staff cards live: ``DATA/staff-wallet/<name>.card`` (+ ``.json``)."""
    return fed.settings.data_dir / "staff-wallet"


def _municipality_api(fed: Federation, code: str) -> ServiceClient:
    org = municipality(code).org
    api = Directory({org: fed.directory.url(org) + "/api"}, fed.admin_http)
    return ServiceClient(api, org, None)


def register_synthetic_adult(fed: Federation, code: str) -> dict[str, Any]:
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
        "birth_date": (jst.today() - timedelta(days=age_days)).isoformat(),
        "sex": sex,
        "address": address,
        "reason": "move_in",
    }
    return dict(_municipality_api(fed, code).request("POST", "/residents", body))


def issue_card(
    fed: Federation,
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
    """交付申請 + 交付 at the municipality; returns ``summary`` and ``card_image``
    (``face_only``: a 顔認証マイナンバーカード, no PINs)."""
    body: dict[str, Any] = {
        "auth_pin": auth_pin,
        "sign_password": sign_password,
        "text_pin": text_pin,
        "juki_pin": juki_pin,
        "generation": generation,
    }
    if face_only:
        body = {"generation": generation, "face_only": True}
    api = _municipality_api(fed, code)
    return dict(api.request("POST", f"/residents/{resident_id}/card", body))


def demo_holder(fed: Federation, code: str) -> dict[str, Any] | None:
    """Who gets the municipality's demo card: the first adult on its register's list."""
    found = _municipality_api(fed, code).request("GET", "/residents?status=active&limit=200")
    adults = [
        r
        for r in found["residents"]
        if (jst.today() - date.fromisoformat(r["birth_date"])).days >= 20 * 366
    ]
    return adults[0] if adults else None


def issue_demo_cards(fed: Federation) -> list[Path]:
    """One demo card per seeded municipality, for an adult resident, once.

    The card image goes to ``DATA/wallet/<municipality>.card``, what the console prints
    about it (holder, PINs — demo values) to the ``.json`` beside it.
    """
    made = []
    for code in fed.settings.municipalities:
        m = municipality(code)
        path = wallet(fed) / f"{m.name_en.lower()}.card"
        if path.exists():
            continue
        holder = demo_holder(fed, code)
        if holder is None:
            continue
        issued = issue_card(
            fed, code, holder["id"], auth_pin=DEMO_AUTH_PIN, sign_password=DEMO_SIGN_PASSWORD
        )
        CardFile(path).save(issued["card_image"].encode("utf-8"))
        note = {
            "card": path.name,
            "municipality": code,
            "resident_id": holder["id"],
            "holder": f"{holder['family_name']} {holder['given_name']}",
            "manufacture_number": issued["summary"]["manufacture_number"],
            "auth_pin": DEMO_AUTH_PIN,
            "sign_password": DEMO_SIGN_PASSWORD,
            "text_pin": DEMO_AUTH_PIN,
            "juki_pin": DEMO_AUTH_PIN,
            "security_code": issued["summary"]["security_code"],
            # printed on the card face: what a clinic's reader scans for 照合番号B
            "birth_date": str(holder["birth_date"]),
            "expires_on": str(issued["summary"]["expires_on"]),
            "demo": "demo values: never use these PINs anywhere else",
        }
        licence = demo_licence(fed, holder)
        if licence is not None:  # the police's record; `mynumber licence write` puts it on
            note["licence_number"] = licence
        path.with_suffix(".json").write_text(
            json.dumps(note, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        made.append(path)
        register_insurance_card(fed, path, DEMO_AUTH_PIN)
    return made


#: The demo commission (``orgs/police``): J-LIS's standing approval for the licence application.
DEMO_COMMISSION = "東京都公安委員会"


def approve_demo_commission(fed: Federation) -> None:
    """J-LIS's standing free-area approval of the demo commission, once."""
    if "police" not in fed.apps:
        return
    jlis = ServiceClient(Directory(fed.directory.urls, fed.admin_http), "jlis", None)
    standing = jlis.request("GET", "/free-area/approvals?active=true")
    if not any(a["issuer"] == DEMO_COMMISSION for a in standing):
        jlis.request(
            "POST",
            "/free-area/approvals",
            {"issuer": DEMO_COMMISSION, "application": "licence"},
        )


def demo_licence(fed: Federation, holder: dict[str, Any]) -> str | None:
    """A card-only licence (普通, synthetic) for a demo card's holder at the police; its
    number. No-op without the police."""
    if "police" not in fed.apps:
        return None
    police = ServiceClient(Directory(fed.directory.urls, fed.admin_http), "police", None)
    issued = police.request(
        "POST",
        "/api/licences",
        {
            "name": f"{holder['family_name']} {holder['given_name']}",
            "birth_date": str(holder["birth_date"]),
            "address": holder["address"],
            "types": ["普通"],
            "conditions": [],
            "holding": "card",
        },
    )
    return str(issued["licence"]["number"])


def register_insurance_card(fed: Federation, card: Path, pin: str) -> bool:
    """マイナ保険証の利用登録 of a card at the demo clinic's reader (PIN mode), as the holder
    would at any reader; whether an insurer has records for them. No-op without a clinic."""
    clinic = next((org for org in fed.apps if org.startswith("clinic-")), None)
    if clinic is None or "oqs" not in fed.apps:
        return False
    terminal = Terminal(fed.admin_http, fed.directory.url(clinic))
    reader = CardReader(open_card(card, fed.settings.data_dir / "card-seal.key"))
    return terminal.register(reader, pin=pin)


def enrol_demo_staff(fed: Federation) -> list[Path]:
    """Two demo staff members, once, each with their own card (PINs printed: demo
    values): 職員A holds every role of every organisation; 職員B is a second supervisor
    at the municipalities and the approver at the benefit office, so that what needs two
    people (a number re-issue, a benefit programme) can be walked through.

    Enrolment is the local administrator's work on each organisation's staff directory
    (as ``mynumber staff add`` does): no organisation offers it over HTTP."""
    code = fed.settings.municipalities[0]
    folder = staff_wallet(fed)
    made: list[Path] = []
    for name, seats in (
        ("staff-a", None),
        (
            "staff-b",
            {
                **{municipality(c).org: ["supervisor"] for c in fed.settings.municipalities},
                "benefits": ["approver"],
            },
        ),
    ):
        path = folder / f"{name}.card"
        if path.exists():
            continue
        person = register_synthetic_adult(fed, code)
        issued = issue_card(
            fed, code, person["id"], auth_pin=DEMO_AUTH_PIN, sign_password=DEMO_SIGN_PASSWORD
        )
        folder.mkdir(parents=True, exist_ok=True)
        CardFile(path).save(issued["card_image"].encode("utf-8"))
        serial = next(
            c["serial"] for c in issued["summary"]["certificates"] if c["hierarchy"] == "auth"
        )
        holder = f"{person['family_name']} {person['given_name']}"
        enrolled: dict[str, list[str]] = {}
        for org, app in fed.apps.items():
            staff: Staff = services_of(app, OrgServices).staff
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


def demo_wallet(fed: Federation) -> list[dict[str, Any]]:
    """What :func:`issue_demo_cards` noted about each demo card."""
    notes = []
    for path in sorted(wallet(fed).glob("*.json")):
        note = json.loads(path.read_text(encoding="utf-8"))
        note["path"] = str(path.with_suffix(".card"))
        notes.append(note)
    return notes


# --- コンビニ交付: what the demo card holders' certificates need ----------------------------


def seed_kiosk_demo(fed: Federation) -> int:
    """Once per demo card: a registered seal (印鑑登録) at the holder's municipality, and a
    戸籍 at another municipality (the 本籍地) with the card registered there for 本籍地
    issuance, through the municipalities' staff APIs. The note beside the card says so."""
    done = 0
    codes = list(fed.settings.municipalities)
    for note in demo_wallet(fed):
        if "kiosk" in note or len(codes) < 2:
            continue
        code = note["municipality"]
        honseki = next(c for c in codes if c != code)
        town = _municipality_api(fed, code)
        seal = town.request("POST", f"/residents/{note['resident_id']}/seal", {"impression": "印"})
        person = town.request("GET", f"/residents/{note['resident_id']}?purpose=counter")
        there = _municipality_api(fed, honseki)
        full = municipality(honseki).full_name
        koseki = there.request(
            "POST",
            "/koseki",
            {
                "honseki": f"{full}{municipality(honseki).towns[0]}一丁目1番地",
                "members": [
                    {
                        "name": f"{person['family_name']} {person['given_name']}",
                        "birth_date": person["birth_date"],
                        "sex": person["sex"],
                        "relationship": "筆頭者",
                        "address": person["address"],
                        "events": [[person["birth_date"], "出生"]],
                    }
                ],
            },
        )
        there.request(
            "POST",
            "/koseki/registrations",
            {
                "member_id": koseki["member_ids"][0],
                "manufacture_number": note["manufacture_number"],
            },
        )
        path = Path(note.pop("path")).with_suffix(".json")
        note["kiosk"] = {
            "seal_card_number": seal["card_number"],
            "honseki": honseki,
            "demo": "mynumber kiosk issue --card … --certificate koseki --honseki " + honseki,
        }
        path.write_text(json.dumps(note, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        done += 1
    return done
