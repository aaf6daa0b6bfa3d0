"""J-LIS's number and verifier routes: My Numbers for municipalities (generation and
re-issue), the notices of 署名検証者 and 利用者証明検証者, and a health report."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam

from mynumber.orgs.jlis import services, verifiers
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.schemas import NumbersIn, NumbersOut, ReissueIn, ReissueOut, VerifierOut
from mynumber.platform.policy import public
from mynumber.platform.web.uow import Work


def router(
    *,
    numbering: Numbering,
    from_municipality: DependsParam,
    from_any_org: DependsParam,
) -> APIRouter:
    """The number and verifier routes, over J-LIS's database and numbering key."""
    api = APIRouter()

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz(uow: Work) -> dict[str, object]:
        return services.health(uow)

    @api.post("/numbers", response_model=NumbersOut)
    def generate_numbers(
        body: NumbersIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> NumbersOut:
        """番号法 Art. 8: the My Number of each resident code, generated on first request.

        With ``reserve``, fresh codes are first reserved nationwide for the caller; codes
        another municipality holds come back in ``taken``.
        """
        numbers, taken = services.generate_numbers(
            uow,
            numbering,
            municipality=municipality.removeprefix("municipality-"),
            codes=body.resident_codes,
            reserve=body.reserve,
        )
        return NumbersOut(numbers=numbers, taken=taken)

    @api.post(
        "/verifiers/municipality", response_model=VerifierOut, status_code=201, tags=["verifiers"]
    )
    def register_municipality(
        municipality: Annotated[str, from_municipality], uow: Work
    ) -> VerifierOut:
        """A municipality files its notice as a 署名検証者 (公的個人認証法 Art. 17(1)) to check
        the signatures on e-applications; the credential is shown this once."""
        verifier, credential = verifiers.register(uow, name=f"{municipality} (署名検証者)")
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @api.post("/verifiers/staff", response_model=VerifierOut, status_code=201, tags=["verifiers"])
    def register_staff_verifier(org: Annotated[str, from_any_org], uow: Work) -> VerifierOut:
        """An organisation files its notice as a 利用者証明検証者 (公的個人認証法 Art. 36(1)) to
        check its staff's cards at sign-in; the credential is shown this once."""
        verifier, credential = verifiers.register(uow, name=f"{org} (利用者証明検証者: 職員認証)")
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @api.post("/numbers/reissue", response_model=ReissueOut)
    def reissue(
        body: ReissueIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> ReissueOut:
        """Retire a leaked number and issue a new one that was never issued before."""
        number = services.reissue_number(
            uow,
            numbering,
            code=body.resident_code,
            old_number=body.old_number,
            reason=body.reason,
        )
        return ReissueOut(number=number)

    return api
