"""J-LIS's LGPKI routes (the root for anyone, 職責証明書 for municipalities) and the
証明書交付センター's routes for kiosks (signed by their store chain) and J-LIS's operator."""

# no `from __future__ import annotations`: FastAPI resolves the dependency aliases
import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Query, Response

from mynumber import errors, jst
from mynumber.orgs.jlis.kiosk_center import CHAINS, KioskCenter
from mynumber.orgs.jlis.lgpki import LgpkiAuthority
from mynumber.orgs.jlis.schemas import (
    KioskIssuedOut,
    KioskRequestIn,
    KioskSessionOut,
    OfficialIn,
    OfficialOut,
)
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work

PEM_FILE = "application/x-pem-file"

Settler = Annotated[Acting, Depends(staff_permission("kiosk.settle"))]


def router(*, lgpki: LgpkiAuthority, center: KioskCenter) -> APIRouter:
    api = APIRouter()
    from_municipality = Depends(
        signed_by(lambda org: org.startswith("municipality-"), who="a municipality")
    )
    from_kiosk = Depends(signed_by(lambda org: org in CHAINS, who="a store chain's kiosks"))

    @api.get(
        "/lgpki/ca.pem",
        tags=["lgpki"],
        response_class=Response,
        dependencies=[public("the LGPKI root is published for anyone checking a certificate")],
    )
    def lgpki_root() -> Response:
        """The LGPKI root certificate (PEM): the trust anchor of the mayors' signatures."""
        return Response(lgpki.ca_pem(), media_type=PEM_FILE)

    @api.post("/lgpki/officials", tags=["lgpki"], response_model=OfficialOut, status_code=201)
    def official(body: OfficialIn, caller: Annotated[str, from_municipality]) -> OfficialOut:
        """A 職責証明書 for the calling municipality's post-holder (its mayor)."""
        cert = lgpki.issue_official(
            public_key_pem=body.public_key_pem,
            prefecture=body.prefecture,
            municipality=body.municipality,
            title=body.title,
            holder=body.holder,
        )
        return OfficialOut(
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            ca_pem=lgpki.ca_pem().decode("ascii"),
        )

    @api.post("/kiosk/sessions", tags=["kiosk"], response_model=KioskSessionOut, status_code=201)
    def open_session(chain: Annotated[str, from_kiosk], uow: Work) -> KioskSessionOut:
        """A challenge for the card on a kiosk (during service hours)."""
        return KioskSessionOut.model_validate(center.open_session(uow, chain))

    @api.post("/kiosk/requests", tags=["kiosk"], response_model=KioskIssuedOut)
    def kiosk_request(
        body: KioskRequestIn, chain: Annotated[str, from_kiosk], uow: Work
    ) -> KioskIssuedOut:
        """The card's answer and the person's choice, relayed to the municipality."""
        try:
            base64.b64decode(body.signature, validate=True)
            base64.b64decode(body.certificate_der, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.InvalidInput(
                "signature and certificate are base64", field="signature"
            ) from exc
        answer = center.request(uow, chain, body.model_dump())
        return KioskIssuedOut.model_validate(answer)

    @api.get("/kiosk/transactions", tags=["kiosk"])
    def transactions(
        acting: Settler, uow: Work, day: Annotated[dt.date | None, Query()] = None
    ) -> list[dict[str, Any]]:
        """The day's transaction log (JST; today by default)."""
        return center.transactions(uow, day or jst.today())

    @api.get("/kiosk/settlement", tags=["kiosk"])
    def settlement(
        acting: Settler, uow: Work, day: Annotated[dt.date | None, Query()] = None
    ) -> list[dict[str, Any]]:
        """The day's fees per chain and municipality (JST; today by default)."""
        return center.settlement(uow, day or jst.today())

    return api
