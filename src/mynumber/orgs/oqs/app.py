"""支払基金 / オンライン資格確認等システム (``/oqs``): the 医療保険者等向け中間サーバー's
eligibility copies and the system clinics and pharmacies query (services-reference §1).

- ``POST /api/deliveries`` (the hub only): insurers' eligibility copies, by our codes;
- ``POST /api/registrations`` (Mynaportal): マイナ保険証の利用登録 by the auth serial, linked
  through J-LIS; ``/api/registrations/check``, ``/api/views`` (who viewed the drug data);
- ``POST /api/challenges``, ``/api/confirmations``, ``/api/confirmations/insurance``,
  ``/api/confirmations/batch``, ``/api/reference-numbers`` (照会番号), ``/api/drugs``,
  ``/api/claims`` (a clinic or pharmacy);
- ``POST /api/face-locks/reset`` (a municipality); ``GET /healthz``.

It never holds a My Number: insurers send copies by its hub code, cards are linked by serial.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from mynumber.orgs.oqs import web
from mynumber.orgs.oqs.clients import Jlis
from mynumber.orgs.oqs.model import ROLES
from mynumber.orgs.oqs.services import EligibilitySystem
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.deliveries import Answer, Opened, Receivers
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app
from mynumber.platform.web.deliveries import receiver_router

ORG = "oqs"


@dataclass(frozen=True, slots=True)
class OqsServices(OrgServices):
    """The eligibility system's services."""

    system: EligibilitySystem


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.oqs.migrations")
    jlis = Jlis(ctx, ctx.settings.data_dir / ORG / "jlis-verifier.credential")
    system = EligibilitySystem(jlis=jlis)
    app = new_app(
        title="オンライン資格確認等システム (online eligibility, 支払基金)",
        description="Insurers' eligibility copies (中間サーバー) and the eligibility answers "
        "clinics and pharmacies get with the My Number card; never a My Number.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    keys = EncryptionKeys(ctx.settings.data_dir / "keys")
    keys.ensure(ORG)  # insurers seal their copies to us
    receivers = Receivers(org=ORG, keys=keys)

    def take_copies(opened: Opened) -> Answer:
        return system.take_copies(UnitOfWork(engine), opened)

    receivers["eligibility_registration"] = take_copies
    app.include_router(receiver_router(ctx, receivers))
    app.include_router(web.router(system))
    expose(
        app,
        OqsServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: system.health(UnitOfWork(engine)),
            system=system,
        ),
    )
    return app
