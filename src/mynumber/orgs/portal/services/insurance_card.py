"""健康保険証利用登録 (マイナ保険証) and the record of who viewed the person's drug data.

``GET /insurance-card`` shows whether the card is registered as insurance card and every
view of the person's 薬剤情報 by a clinic or pharmacy; ``POST /insurance-card`` registers it.
The portal sends the オンライン資格確認等システム only the serial of the person's newest login
certificate (the card they log in with); the system links it through J-LIS — neither the
portal nor the system handles a My Number. Only the person themself may register (not a
proxy: this project's choice, as for 公金受取口座).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient
from mynumber.platform.uow import UnitOfWork

OQS = "oqs"
KIND_LABEL = {"drugs": "薬剤情報 / Drug data"}


class InsuranceCard:
    """The portal's side of マイナ保険証: the person's login serial, sent to the system."""

    def __init__(self, ctx: OrgContext) -> None:
        self.oqs = ServiceClient(ctx.directory, OQS, ctx.identity)

    def serial_of(self, uow: UnitOfWork, portal_code: str) -> str:
        """The serial of the newest login certificate the person used."""
        t = store.login_certificates.c
        with uow as conn:
            serial = conn.scalar(
                select(t.serial)
                .where(t.portal_code == portal_code)
                .order_by(t.learned_at.desc())
                .limit(1)
            )
        if serial is None:
            raise errors.NotFound("log in with the card first", code="no_login_certificate")
        return str(serial)

    def register(self, uow: UnitOfWork, portal_code: str) -> dict[str, Any]:
        return dict(
            self.oqs.request(
                "POST", "/api/registrations", {"serial": self.serial_of(uow, portal_code)}
            )
        )

    def status(self, uow: UnitOfWork, portal_code: str) -> dict[str, Any]:
        serial = self.serial_of(uow, portal_code)
        registered = self.oqs.request("POST", "/api/registrations/check", {"serial": serial})
        views: list[dict[str, Any]] = []
        if registered["registered"]:
            views = list(self.oqs.request("POST", "/api/views", {"serial": serial})["views"])
        return {"registered": bool(registered["registered"]), "views": views}
