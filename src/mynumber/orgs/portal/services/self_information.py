"""Mynaportal on the linkage hub: わたしの情報 (自己情報) and やりとり履歴.

The portal never holds a My Number. For the hub it needs its own code for the person
(開示システム用符号), which J-LIS derives from the login certificate's serial
(``POST /jlis/portal/codes``); the portal asks once per account, on first need, with the
serial of the person's latest successful login, and keeps the code on the account. Then it
asks each holding agency through the hub under the permitted rows (``self_information``),
opens the sealed answers with its own key, and shows the hub's records of every exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.orgs.portal.clients.jlis import JlisPortalClient
from mynumber.orgs.portal.model.names import Label
from mynumber.platform.hub_client import HubClient

ORG = "portal"
SELF_INFORMATION = "self_information"
#: マイナ免許証: the licence view, from the police once the holder linked (a permitted row)
LICENCE_INFORMATION = "licence_information"
POLICE = "police"

#: 自己情報 the portal shows: (provider, items, heading) per permitted row of the hub's table.
SOURCES: tuple[tuple[str, tuple[str, ...], Label], ...] = (
    ("tax", ("income",), Label("所得（国税庁）", "Income (National Tax Agency)")),
    ("pension", ("pension",), Label("年金（日本年金機構）", "Pension (Japan Pension Service)")),
    ("insurer", ("eligibility",), Label("医療保険の資格", "Health-insurance eligibility")),
    (
        "municipality",
        ("basic_items", "resident_tax", "household", "care_insurance"),
        Label(
            "基本4情報・住民税・世帯・介護保険（お住まいの市区町村）",
            "Basic items, resident tax, household, long-term care insurance (your municipality)",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Section:
    """One agency's answer on わたしの情報: the data, or why there is none."""

    provider: str
    heading: Label
    data: dict[str, Any] | None
    problem: str | None = None


class HubLink:
    """The portal's requests through the hub on behalf of the person logged in."""

    def __init__(self, *, engine: Engine, jlis: JlisPortalClient, hub: HubClient) -> None:
        self.engine = engine
        self.jlis = jlis
        self.hub = hub

    def hub_code(self, portal_code: str) -> str:
        """The portal's hub code for the person: kept on the account, else asked of J-LIS
        with the serial of the person's latest successful login (once per account)."""
        a, g = store.accounts.c, store.logins.c
        with self.engine.connect() as conn:
            kept = conn.scalar(select(a.hub_code).where(a.portal_code == portal_code))
            serial = conn.scalar(
                select(g.serial)
                .where(g.portal_code == portal_code, g.result == "success", g.serial.is_not(None))
                .order_by(g.at.desc(), g.id.desc())
                .limit(1)
            )
        if kept:
            return str(kept)
        if serial is None:
            raise errors.NotFound("no login certificate known for this account", code="no_login")
        code = self.jlis.hub_code(serial)
        with self.engine.begin() as conn:
            conn.execute(
                update(store.accounts)
                .where(a.portal_code == portal_code, a.hub_code.is_(None))
                .values(hub_code=code)
            )
        return code

    def ask(self, portal_code: str, *, procedure: str, provider: str, items: list[str]) -> Any:
        """情報照会 through the hub; the provider's answer, opened with the portal's key and
        checked: signed by the provider, for this exchange and procedure."""
        return self.hub.exchange(
            self.hub_code(portal_code), procedure=procedure, provider=provider, items=items
        ).data

    def self_information(self, portal_code: str) -> list[Section]:
        """自己情報: each holding agency's data about the person, or why it is missing."""
        sections = []
        for provider, items, heading in SOURCES:
            try:
                data = self.ask(
                    portal_code, procedure=SELF_INFORMATION, provider=provider, items=list(items)
                )
                sections.append(Section(provider, heading, dict(data)))
            except errors.NotFound:
                sections.append(
                    Section(provider, heading, None, "記録はありません / No record held")
                )
            except errors.Error as exc:
                sections.append(
                    Section(
                        provider,
                        heading,
                        None,
                        f"現在表示できません / Not available now ({exc.code})",
                    )
                )
        return sections

    def licence(self, portal_code: str) -> Section:
        """運転免許情報: the police's answer for a holder who presented the signing
        certificate to them; otherwise why there is none."""
        heading = Label("運転免許（公安委員会）", "Driver's licence (public safety commission)")
        try:
            data = self.ask(
                portal_code, procedure=LICENCE_INFORMATION, provider=POLICE, items=["licence"]
            )
            return Section(POLICE, heading, dict(data))
        except errors.NotFound:
            return Section(
                POLICE,
                heading,
                None,
                "連携されていません。警察で署名用電子証明書を提示してください / Not linked: "
                "present the signing certificate to the police",
            )
        except errors.Error as exc:
            return Section(
                POLICE, heading, None, f"現在表示できません / Not available now ({exc.code})"
            )

    def records(self, portal_code: str) -> list[dict[str, Any]]:
        """やりとり履歴: every exchange about the person, newest first."""
        found = self.hub.records(self.hub_code(portal_code))
        return [r.model_dump(mode="json") for r in reversed(found)]

    def export(self, portal_code: str) -> dict[str, Any]:
        """The hub's JSON export of the records, with the chain head to check them against."""
        return self.hub.export(self.hub_code(portal_code)).model_dump(mode="json")
