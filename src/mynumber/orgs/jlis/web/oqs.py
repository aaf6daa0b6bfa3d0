"""J-LIS's routes for the オンライン資格確認等システム: the system's code for a registered card
and the card's status (:mod:`mynumber.orgs.jlis.oqs_link`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.clients import HubCodesClient, MunicipalityClients
from mynumber.orgs.jlis.oqs_link import (
    OQS,
    followed_card_serial,
    holder_matches,
    oqs_code,
    status,
)
from mynumber.orgs.jlis.schemas import (
    CardStatusOut,
    HolderCheckIn,
    HolderCheckOut,
    OqsCodeOut,
    ResolveIn,
)
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(
    *,
    acquisition: Acquisition,
    hub: HubCodesClient,
    municipalities: MunicipalityClients,
) -> APIRouter:
    from_oqs = Depends(signed_by(lambda org: org == OQS, who="the eligibility system"))
    api = APIRouter(prefix="/oqs", tags=["eligibility system link"])

    @api.post("/link", response_model=OqsCodeOut)
    def link(body: ResolveIn, caller: Annotated[str, from_oqs], uow: Work) -> OqsCodeOut:
        """マイナ保険証の利用登録: the system's hub code for the holder of an auth serial."""
        return OqsCodeOut(code=oqs_code(uow, acquisition, hub, body.serial))

    @api.post("/status", response_model=CardStatusOut)
    def card_status(body: ResolveIn, caller: Annotated[str, from_oqs], uow: Work) -> CardStatusOut:
        """The card's and the auth certificate's status (suspended, revoked, good), and for
        a smartphone's certificate the serial of the card's it follows."""
        card, certificate = status(uow, body.serial)
        return CardStatusOut(
            card_status=card,
            certificate_status=certificate,
            card_serial=followed_card_serial(uow, body.serial),
        )

    @api.post("/holder-check", response_model=HolderCheckOut)
    def holder_check(
        body: HolderCheckIn, caller: Annotated[str, from_oqs], uow: Work
    ) -> HolderCheckOut:
        """本人確認判定: whether an eligibility copy's name, sex and birth date are the
        card holder's, as the issuing municipality has them now (no personal data back)."""
        return HolderCheckOut(
            matches=holder_matches(
                uow,
                municipalities,
                body.serial,
                name=body.name,
                sex=body.sex,
                birth_date=body.birth_date,
            )
        )

    return api
