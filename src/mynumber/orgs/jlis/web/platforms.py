"""J-LIS's routes for certified platform operators: their notice as 署名検証者 and
利用者証明検証者 (公的個人認証法 Art. 17(1), 36(1)), and the sign → auth serial link a
registered verifier may ask for (services-reference §5)."""

import base64
import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from mynumber.errors import Forbidden, InvalidInput
from mynumber.orgs.jlis import verifiers
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.cards import parse_serial
from mynumber.orgs.jlis.clients import MunicipalityClients
from mynumber.orgs.jlis.schemas import VerifierOut
from mynumber.pki import Purpose
from mynumber.pki.cms import verify_detached
from mynumber.platform.policy import tagged
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work

_bearer = HTTPBearer(auto_error=False, description="a registered verifier's credential")


class SerialIn(BaseModel):
    serial: str = Field(min_length=1, max_length=60, description="signing certificate serial (hex)")


class SerialLinkOut(BaseModel):
    sign_serial: str
    auth_serial: str
    auth_status: str


class LatestItemsIn(BaseModel):
    """The signing serial, and the person's consent: the bytes they signed (base64 JSON
    ``{"consent": "latest-basic-items", "serial": "<hex>", …}``) and the detached CMS
    made with that very certificate (base64)."""

    serial: str = Field(min_length=1, max_length=60)
    consent_data: str = Field(min_length=1, max_length=4000)
    consent_signature: str = Field(min_length=1, max_length=20000)


class LatestItemsOut(BaseModel):
    status: str  # active | deceased | unknown
    name: str | None = None
    gender: int | None = None
    birth_date: str | None = None
    address: str | None = None


CONSENT = "latest-basic-items"


def router(*, authority: AuthorityStore, municipalities: MunicipalityClients) -> APIRouter:
    api = APIRouter(tags=["verifiers"])
    from_platform = Depends(
        signed_by(lambda org: org in verifiers.PLATFORM_OPERATORS, who="a platform operator")
    )

    @tagged("verifier", "a registered verifier's credential (Authorization: Bearer jv_…)")
    def registered_verifier(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        uow: Work,
    ) -> str:
        header = None if credentials is None else f"{credentials.scheme} {credentials.credentials}"
        return verifiers.authenticate(uow, header)

    @api.post("/verifiers/platform", response_model=VerifierOut, status_code=201)
    def register_platform(org: Annotated[str, from_platform], uow: Work) -> VerifierOut:
        """A platform operator files its notice; the credential is shown this once."""
        verifier, credential = verifiers.register(
            uow, name=f"{org} (署名検証者・利用者証明検証者: プラットフォーム事業者)"
        )
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @api.post("/platforms/serial-link", response_model=SerialLinkOut)
    def serial_link(
        body: SerialIn, verifier: Annotated[str, Depends(registered_verifier)], uow: Work
    ) -> SerialLinkOut:
        """署名用 → 利用者証明用 serial of the same card, for a registered verifier."""
        sign = parse_serial(body.serial)
        auth, status = verifiers.auth_serial_of(uow, sign)
        return SerialLinkOut(sign_serial=f"{sign:x}", auth_serial=auth, auth_status=status)

    @api.post("/platforms/latest-items", response_model=LatestItemsOut)
    def latest_items(
        body: LatestItemsIn, verifier: Annotated[str, Depends(registered_verifier)], uow: Work
    ) -> LatestItemsOut:
        """基本4情報の最新情報: the person's current four items, with their consent signed
        with the signing certificate asked about (a registered verifier only)."""
        serial = parse_serial(body.serial)
        try:
            data = base64.b64decode(body.consent_data, validate=True)
            cms = base64.b64decode(body.consent_signature, validate=True)
            consent = json.loads(data)
        except ValueError as exc:
            raise InvalidInput("consent is base64 JSON and CMS", field="consent_data") from exc
        if not isinstance(consent, dict) or consent.get("consent") != CONSENT:
            raise Forbidden("no consent to provide the latest items", code="consent_missing")
        roots = authority.roots(Purpose.SIGN)  # either card generation
        signed = verify_detached(cms, data, roots, dt.datetime.now(dt.UTC))
        # a consent given while the certificate was good still holds after a move revoked it
        if signed.certificate.serial_number != serial or consent.get("serial") != f"{serial:x}":
            raise Forbidden(
                "the consent was not signed with this signing certificate", code="consent_missing"
            )
        manufacture_number, municipality = verifiers.card_of_sign_serial(uow, serial)
        answer = municipalities.holder_items(municipality, manufacture_number)
        return LatestItemsOut(**{k: answer.get(k) for k in LatestItemsOut.model_fields})

    return api
