"""The police (``/police``): a prefecture's 公安委員会 keeping driver's licence records —
the counter (:mod:`.web`), the holder's link with the signing certificate and the online
renewal course, the intermediate server answering Mynaportal's licence view, and the
one-stop address change municipalities deliver through the hub. The licence goes onto the
card through the desk (``mynumber licence write``): the police sign its data here, J-LIS
grants the free-area session, and the desk writes it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.police import web
from mynumber.orgs.police.clients import Jlis, Portal
from mynumber.orgs.police.model import ROLES, TOKYO, Commission
from mynumber.orgs.police.services import ADDRESS_CHANGE, Licences
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Answer, Opened, Receivers
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.intermediate import IntermediateServer
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app
from mynumber.platform.web.deliveries import receiver_router
from mynumber.platform.web.intermediate import provide_router

ORG = "police"
#: What the intermediate server provides (Mynaportal's licence view).
ITEMS = frozenset({"licence"})


@dataclass(frozen=True, slots=True)
class PoliceServices(OrgServices):
    """The police's services: the commission and its licences."""

    commission: Commission
    licences: Licences


def create_app(ctx: OrgContext, commission: Commission = TOKYO) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.police.migrations")
    app = new_app(
        title=f"{commission.name} (police: driver's licences)",
        description="運転免許: licence records (number, types, conditions, validity, photo, "
        "the way it is held), the licence written to the card's free area, the link with "
        "the signing certificate, Mynaportal's licence view, the online renewal course, "
        "the one-stop address change.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    licences = Licences(commission=commission, key_folder=ctx.settings.data_dir / ORG)
    jlis = Jlis(ctx)
    keys = EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys)
    server = IntermediateServer.of(ctx, ITEMS)
    portal = Portal(ctx, keys)

    app.include_router(web.counter_router(licences, staff))
    app.include_router(web.holder_router(licences, jlis))
    app.include_router(
        provide_router(
            ctx,
            lambda body: server.answer(
                body, lambda code, items: licences.information(UnitOfWork(engine), code)
            ),
        )
    )
    receivers = Receivers(org=ORG, keys=keys)

    def address_change(opened: Opened) -> Answer:
        return licences.address_changes(UnitOfWork(engine), portal, opened)

    receivers[ADDRESS_CHANGE] = address_change
    app.include_router(receiver_router(ctx, receivers))
    expose(
        app,
        PoliceServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: {"org": ORG, "ok": True},
            commission=commission,
            licences=licences,
        ),
    )
    return app
