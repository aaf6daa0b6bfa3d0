"""J-LIS's routes for Mynaportal: the portal's code for a login certificate, its hub code,
and its registration as a verifier (:mod:`mynumber.orgs.jlis.portal_link`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam

from mynumber.orgs.jlis import verifiers
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.clients import HubCodesClient
from mynumber.orgs.jlis.portal_link import VERIFIER_NAME, hub_code, resolve
from mynumber.orgs.jlis.schemas import HubCodeOut, ResolveIn, ResolveOut, VerifierOut
from mynumber.platform.web.uow import Work


def router(
    *,
    key: bytes,
    from_portal: DependsParam,
    acquisition: Acquisition,
    hub: HubCodesClient,
) -> APIRouter:
    api = APIRouter(prefix="/portal", tags=["portal link"])

    @api.post("/resolve", response_model=ResolveOut)
    def resolve_serial(
        body: ResolveIn, caller: Annotated[str, from_portal], uow: Work
    ) -> ResolveOut:
        """利用者証明用電子証明書のシリアル番号 → 開示システム用符号 (Mynaportal only)."""
        return resolve(uow, key, body.serial)

    @api.post("/codes", response_model=HubCodeOut)
    def codes(body: ResolveIn, caller: Annotated[str, from_portal], uow: Work) -> HubCodeOut:
        """開示システム用符号 at the hub for the holder of a login certificate (Mynaportal only)."""
        return HubCodeOut(hub_code=hub_code(uow, acquisition, hub, body.serial))

    @api.post("/verifier", response_model=VerifierOut, status_code=201)
    def register_portal(caller: Annotated[str, from_portal], uow: Work) -> VerifierOut:
        """The portal files its notice as a 利用者証明検証者; the credential is shown once."""
        verifier, credential = verifiers.register(uow, name=VERIFIER_NAME)
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    return api
