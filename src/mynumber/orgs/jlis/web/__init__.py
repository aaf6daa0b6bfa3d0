"""J-LIS's routes, one module per family: cards (:mod:`.cards`), PKI and verifiers
(:mod:`.revocation`), Mynaportal's link (:mod:`.portal`), the eligibility system's
(:mod:`.oqs`), agency codes (:mod:`.linkage`), numbers (:mod:`.numbers`). Each route
parses, is authorised, and calls a service."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.callcentre import CallCentre
from mynumber.orgs.jlis.cards import CardIssuer
from mynumber.orgs.jlis.clients import HubCodesClient, MunicipalityClients
from mynumber.orgs.jlis.deps import is_municipality
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.phones import PhoneIssuer
from mynumber.orgs.jlis.pin_reset import PinResets
from mynumber.orgs.jlis.portal_link import PORTAL
from mynumber.orgs.jlis.revocation import RevocationService
from mynumber.orgs.jlis.web import (
    callcentre,
    cards,
    linkage,
    numbers,
    oqs,
    phones,
    pin_reset,
    platforms,
    portal,
    revocation,
)
from mynumber.platform.staff.services import Staff
from mynumber.platform.web import signed_by

__all__ = ["router"]


def router(
    *,
    numbering: Numbering,
    authority: AuthorityStore,
    issuer: CardIssuer,
    phone_issuer: PhoneIssuer,
    revocation_service: RevocationService,
    acquisition: Acquisition,
    hub: HubCodesClient,
    portal_key: bytes,
    staff: Staff,
    pin_resets: PinResets,
    municipalities: MunicipalityClients,
) -> APIRouter:
    """Every route of J-LIS, over its services."""
    from_municipality = Depends(signed_by(is_municipality, who="a municipality"))
    from_any_org = Depends(signed_by(lambda org: True, who="any organisation"))
    from_portal = Depends(signed_by(lambda org: org == PORTAL, who="Mynaportal"))
    api = APIRouter()
    api.include_router(cards.router(issuer, from_municipality=from_municipality, staff=staff))
    api.include_router(phones.router(phone_issuer))
    api.include_router(callcentre.router(CallCentre(issuer), staff=staff))
    api.include_router(pin_reset.router(pin_resets, issuer, from_municipality=from_municipality))
    api.include_router(
        revocation.router(authority=authority, revocation=revocation_service, staff=staff)
    )
    api.include_router(
        portal.router(
            key=portal_key,
            from_portal=from_portal,
            acquisition=acquisition,
            hub=hub,
        )
    )
    api.include_router(platforms.router(authority=authority, municipalities=municipalities))
    api.include_router(linkage.router(acquisition=acquisition, hub=hub))
    api.include_router(oqs.router(acquisition=acquisition, hub=hub, municipalities=municipalities))
    api.include_router(
        numbers.router(
            numbering=numbering,
            from_municipality=from_municipality,
            from_any_org=from_any_org,
        )
    )
    return api
