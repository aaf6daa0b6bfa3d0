"""The platform operator's routes. Each parses, is authorised, and makes one service call
(in the request's unit of work where something is kept or read).

- public: the TSA (RFC 3161, ``application/timestamp-query``), its root, the providers;
  completing a card-signed contract (the file carries its own proof: only signatures by a
  good JPKI signing certificate are completed) and validating one; a person's eKYC
  submission (the card signature is the identity check);
- staff (``contracts.manage``, ``status.check``, ``ekyc.read``): a provider's kept
  contracts, their signers' 現況確認, the identity-check records. Every staff read is in
  the access log.
"""

import base64
import binascii
from typing import Annotated

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Query, Request, Response

from mynumber.errors import InvalidInput
from mynumber.orgs.trustplatform import model
from mynumber.orgs.trustplatform.schemas import (
    AuthSerialOut,
    ConsentOut,
    ContractOut,
    EkycIn,
    EkycOut,
    LatestItemsOut,
    ProviderOut,
    SignatureReportOut,
    SignedStatementIn,
    SignerOut,
    StatusOut,
    VerifyOut,
    WithdrawnOut,
)
from mynumber.orgs.trustplatform.services import Platform
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web.uow import Work

PDF = "application/pdf"
TS_REPLY = "application/timestamp-reply"

Contracts = Annotated[Acting, Depends(staff_permission("contracts.manage"))]
StatusCheck = Annotated[Acting, Depends(staff_permission("status.check"))]
EkycReader = Annotated[Acting, Depends(staff_permission("ekyc.read"))]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(_raw_body)]


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64", field=field) from exc


def router(*, platform: Platform, staff: Staff) -> APIRouter:
    api = APIRouter()

    by_design = public("the time-stamp service and the providers are public by design")
    self_proving = public(
        "a contract carries its own proof: only good JPKI signatures are completed or reported"
    )

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, object]:
        return {"org": model.ORG, "ok": True}

    @api.post("/tsa", tags=["tsa"], response_class=Response, dependencies=[by_design])
    def timestamp(body: Body) -> Response:
        """RFC 3161: a DER TimeStampReq in, a DER TimeStampResp out."""
        return Response(platform.tsa.respond(body), media_type=TS_REPLY)

    @api.get("/tsa/root.pem", tags=["tsa"], response_class=Response, dependencies=[by_design])
    def tsa_root() -> Response:
        """The TSA's root certificate (PEM), for trust stores."""
        return Response(platform.tsa.root.public_bytes(Encoding.PEM), media_type="text/plain")

    @api.get("/api/providers", response_model=list[ProviderOut], dependencies=[by_design])
    def providers() -> list[ProviderOut]:
        """The service providers this platform verifies for."""
        return [ProviderOut(**vars_of(p)) for p in model.PROVIDERS.values()]

    @api.post(
        "/api/providers/{provider}/contracts",
        tags=["contracts"],
        response_class=Response,
        status_code=201,
        dependencies=[self_proving],
    )
    def complete(
        provider: str,
        body: Body,
        uow: Work,
        title: Annotated[str, Query(min_length=1, max_length=200)] = "契約書",
    ) -> Response:
        """A card-signed PDF (``application/pdf``) back with the chain, J-LIS's OCSP answers
        (DSS) and a document time-stamp; kept for the provider (``X-Contract-Id``)."""
        done = platform.complete(uow, provider, title, body)
        return Response(
            done["pdf"], status_code=201, media_type=PDF, headers={"X-Contract-Id": done["id"]}
        )

    @api.post(
        "/api/verify", response_model=VerifyOut, tags=["contracts"], dependencies=[self_proving]
    )
    def verify(body: Body) -> VerifyOut:
        """Validate a contract from the file alone, and each signer's status today."""
        report = platform.verify(body)
        return VerifyOut(
            ok=report["ok"],
            document_timestamp=report["document_timestamp"],
            document_timestamp_ok=report["document_timestamp_ok"],
            signatures=[SignatureReportOut(**s) for s in report["signatures"]],
        )

    @api.get("/api/providers/{provider}/contracts/{contract_id}", response_model=ContractOut)
    def contract(provider: str, contract_id: str, acting: Contracts, uow: Work) -> ContractOut:
        """A kept contract and its signers' four items, as their certificates carry them."""
        found = platform.contract(uow, provider, contract_id)
        staff.log(
            acting,
            action="contracts.read",
            purpose="contract",
            detail={"provider": provider, "contract": contract_id},
        )
        return ContractOut(
            id=found["id"],
            provider=provider,
            title=found["title"],
            completed_at=found["completed_at"],
            signers=[
                SignerOut(field=s["field"], serial=s["serial"], items=s["items"])
                for s in found["signers"]
            ],
        )

    @api.get(
        "/api/providers/{provider}/contracts/{contract_id}/contract.pdf",
        response_class=Response,
        tags=["contracts"],
    )
    def contract_pdf(provider: str, contract_id: str, acting: Contracts, uow: Work) -> Response:
        """The kept file, as completed."""
        found = platform.contract(uow, provider, contract_id)
        staff.log(
            acting,
            action="contracts.download",
            purpose="contract",
            detail={"provider": provider, "contract": contract_id},
        )
        return Response(found["pdf"], media_type=PDF)

    @api.get(
        "/api/providers/{provider}/contracts/{contract_id}/status",
        response_model=list[StatusOut],
        tags=["contracts"],
    )
    def status(provider: str, contract_id: str, acting: StatusCheck, uow: Work) -> list[StatusOut]:
        """現況確認: J-LIS's answer today about each signer's certificate, with the reason."""
        answers = platform.contract_status(uow, provider, contract_id)
        staff.log(
            acting,
            action="status.check",
            purpose="現況確認",
            detail={"provider": provider, "contract": contract_id},
        )
        return [StatusOut(**a) for a in answers]

    @api.post(
        "/api/providers/{provider}/ekyc",
        response_model=EkycOut,
        status_code=201,
        tags=["ekyc"],
        dependencies=[self_proving],
    )
    def ekyc(provider: str, body: EkycIn, uow: Work) -> EkycOut:
        """犯収法 identity check by the person's JPKI signature; the record is kept."""
        record = platform.ekyc(
            uow, provider, _b64(body.data, "data"), _b64(body.signature, "signature")
        )
        return EkycOut(**record)

    @api.get("/api/providers/{provider}/ekyc/{record_id}", response_model=EkycOut, tags=["ekyc"])
    def ekyc_record(provider: str, record_id: str, acting: EkycReader, uow: Work) -> EkycOut:
        """A kept identity-check record (確認記録)."""
        record = platform.ekyc_record(uow, provider, record_id)
        staff.log(
            acting,
            action="ekyc.read",
            purpose="確認記録",
            detail={"provider": provider, "record": record_id},
        )
        return EkycOut(**record)

    @api.post(
        "/api/providers/{provider}/consents",
        response_model=ConsentOut,
        status_code=201,
        tags=["latest items"],
        dependencies=[self_proving],
    )
    def consent(provider: str, body: SignedStatementIn, uow: Work) -> ConsentOut:
        """The person consents, signing ``{"consent": "latest-basic-items", "serial": …}``
        with the card, to J-LIS telling this provider their current four items."""
        record = platform.give_consent(
            uow, provider, _b64(body.data, "data"), _b64(body.signature, "signature")
        )
        return ConsentOut(**record)

    @api.post(
        "/api/providers/{provider}/consents/withdraw",
        response_model=WithdrawnOut,
        tags=["latest items"],
        dependencies=[self_proving],
    )
    def withdraw(provider: str, body: SignedStatementIn, uow: Work) -> WithdrawnOut:
        """The person withdraws, signing ``{"withdraw": "latest-basic-items", "serial": …}``."""
        count = platform.withdraw_consent(
            uow, provider, _b64(body.data, "data"), _b64(body.signature, "signature")
        )
        return WithdrawnOut(withdrawn=count)

    @api.get(
        "/api/providers/{provider}/contracts/{contract_id}/signers/{field}/latest-items",
        response_model=LatestItemsOut,
        tags=["latest items"],
    )
    def latest_items(
        provider: str, contract_id: str, field: str, acting: StatusCheck, uow: Work
    ) -> LatestItemsOut:
        """J-LIS's current four items of a signer who consented; ``changed`` names the
        items that differ from their certificate's."""
        found = platform.latest_items(uow, provider, contract_id, field)
        staff.log(
            acting,
            action="latest_items.read",
            purpose="基本4情報の最新情報",
            detail={"provider": provider, "contract": contract_id, "field": field},
        )
        return LatestItemsOut(**found)

    @api.get(
        "/api/providers/{provider}/contracts/{contract_id}/signers/{field}/auth-serial",
        response_model=AuthSerialOut,
        tags=["latest items"],
    )
    def auth_serial(
        provider: str, contract_id: str, field: str, acting: StatusCheck, uow: Work
    ) -> AuthSerialOut:
        """The user-authentication serial on the signer's card (J-LIS's serial link)."""
        found = platform.auth_serial(uow, provider, contract_id, field)
        staff.log(
            acting,
            action="serial_link.read",
            purpose="シリアル番号紐付け",
            detail={"provider": provider, "contract": contract_id, "field": field},
        )
        return AuthSerialOut(**found)

    return api


def vars_of(p: model.Provider) -> dict[str, object]:
    return {"id": p.id, "name": p.name, "service": p.service, "ekyc": p.ekyc}
