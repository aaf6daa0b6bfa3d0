"""J-LIS's routes for certified platform operators: their notice as 署名検証者 and
利用者証明検証者 (公的個人認証法 Art. 17(1), 36(1)), and the sign → auth serial link a
registered verifier may ask for (services-reference §5)."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from mynumber.orgs.jlis import verifiers
from mynumber.orgs.jlis.cards import parse_serial
from mynumber.orgs.jlis.schemas import VerifierOut
from mynumber.platform.policy import tagged
from mynumber.platform.web import signed_by

_bearer = HTTPBearer(auto_error=False, description="a registered verifier's credential")


class SerialIn(BaseModel):
    serial: str = Field(min_length=1, max_length=60, description="signing certificate serial (hex)")


class SerialLinkOut(BaseModel):
    sign_serial: str
    auth_serial: str
    auth_status: str


def router(*, engine: Engine) -> APIRouter:
    api = APIRouter(tags=["verifiers"])
    from_platform = Depends(
        signed_by(lambda org: org in verifiers.PLATFORM_OPERATORS, who="a platform operator")
    )

    @tagged("verifier", "a registered verifier's credential (Authorization: Bearer jv_…)")
    def registered_verifier(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        header = None if credentials is None else f"{credentials.scheme} {credentials.credentials}"
        return verifiers.authenticate(engine, header)

    @api.post("/verifiers/platform", response_model=VerifierOut, status_code=201)
    def register_platform(org: Annotated[str, from_platform]) -> VerifierOut:
        """A platform operator files its notice; the credential is shown this once."""
        verifier, credential = verifiers.register(
            engine, name=f"{org} (署名検証者・利用者証明検証者: プラットフォーム事業者)"
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
        body: SerialIn, verifier: Annotated[str, Depends(registered_verifier)]
    ) -> SerialLinkOut:
        """署名用 → 利用者証明用 serial of the same card, for a registered verifier."""
        sign = parse_serial(body.serial)
        auth, status = verifiers.auth_serial_of(engine, sign)
        return SerialLinkOut(sign_serial=f"{sign:x}", auth_serial=auth, auth_status=status)

    return api
