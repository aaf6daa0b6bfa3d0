"""J-LIS's linkage route: an agency's codes for the My Numbers it holds, through the hub
(:mod:`mynumber.orgs.jlis.acquisition`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.orgs.jlis import verifiers
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.clients import HubCodesClient
from mynumber.orgs.jlis.licence_link import POLICE, police_code
from mynumber.orgs.jlis.oqs_link import CODED_FOR_OQS, OQS
from mynumber.orgs.jlis.schemas import EnrolIn, EnrolOut, HubCodeOut, PoliceLinkIn, VerifierOut
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(*, acquisition: Acquisition, hub: HubCodesClient) -> APIRouter:
    from_agency = Depends(signed_by(lambda org: org not in ("jlis", "hub"), who="an agency"))
    from_police = Depends(signed_by(lambda org: org == POLICE, who="the police"))
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

    @api.post("/linkage/licence", response_model=HubCodeOut)
    def licence(body: PoliceLinkIn, police: Annotated[str, from_police], uow: Work) -> HubCodeOut:
        """マイナ免許証の紐付け: the police's hub code for the holder of a signing
        certificate presented to them (the police only)."""
        return HubCodeOut(hub_code=police_code(uow, acquisition, hub, body.serial))

    @api.post("/verifiers/police", response_model=VerifierOut, status_code=201)
    def register_police(police: Annotated[str, from_police], uow: Work) -> VerifierOut:
        """The police file their notice as a 署名検証者 (公的個人認証法 Art. 17(1)) to check
        the signatures on licence applications; the credential is shown this once."""
        verifier, credential = verifiers.register(uow, name=f"{police} (署名検証者)")
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    return api
