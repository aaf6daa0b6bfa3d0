"""J-LIS's linkage route: an agency's codes for the My Numbers it holds, through the hub
(:mod:`mynumber.orgs.jlis.acquisition`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.clients import HubCodesClient
from mynumber.orgs.jlis.oqs_link import CODED_FOR_OQS, OQS
from mynumber.orgs.jlis.schemas import EnrolIn, EnrolOut
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(*, acquisition: Acquisition, hub: HubCodesClient) -> APIRouter:
    from_agency = Depends(signed_by(lambda org: org not in ("jlis", "hub"), who="an agency"))
    api = APIRouter(tags=["linkage"])

    @api.post("/linkage/enrol", response_model=EnrolOut)
    def enrol(body: EnrolIn, agency: Annotated[str, from_agency], uow: Work) -> EnrolOut:
        """機関別符号の取得: the caller's codes for My Numbers it holds, through the hub."""
        found = acquisition.acquisition_numbers(uow, body.numbers)
        known = [a for a in found if a is not None]
        codes = iter(hub.codes(agency, known) if known else [])
        if known and agency.partition("-")[0] in CODED_FOR_OQS:
            hub.codes(OQS, known)  # the 中間サーバー's copy is registered under its own code
        return EnrolOut(codes=[None if a is None else next(codes) for a in found])

    return api
