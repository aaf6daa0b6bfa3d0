"""J-LIS's web API.

- numbers: only municipalities, signing their requests, may ask for My Numbers;
- cards: municipalities apply for cards; municipalities and J-LIS's own operator (staff)
  suspend cards and revoke certificates (``cards_api``);
- PKI: CA certificates for anyone, OCSP and CRLs for registered verifiers, verifier
  registration and withdrawal for J-LIS's operator (``revocation_api``).

Who may call each route is in ``deps`` (staff permissions) and the ``signed_by`` and
``public`` declarations beside the routes.
"""

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from mynumber.orgs.jlis import (
    cards_api,
    linkage,
    portal_link,
    revocation_api,
    services,
    store,
    verifiers,
)
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.cards import CardIssuer
from mynumber.orgs.jlis.deps import is_municipality
from mynumber.orgs.jlis.model import ROLES
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.revocation import RevocationService
from mynumber.orgs.jlis.schemas import (
    NumbersIn,
    NumbersOut,
    ReissueIn,
    ReissueOut,
    VerifierOut,
)
from mynumber.orgs.jlis.verifiers import VerifierUnauthorized
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate, retrying
from mynumber.platform.policy import public
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, problem, signed_by

ORG = "jlis"


async def _verifier_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VerifierUnauthorized)
    response = problem(401, exc.code, exc.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="jlis"'
    return response


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.jlis.migrations")
    numbering = Numbering(secret_bytes(ctx.settings.data_dir / "jlis" / "numbering.key"))
    from_municipality = Depends(signed_by(is_municipality, who="a municipality"))
    from_any_org = Depends(signed_by(lambda org: True, who="any organisation"))
    # key material is made on first use (the first card, CA certificate or OCSP answer)
    authority = AuthorityStore(ctx.settings.data_dir)
    issuer = CardIssuer(
        engine=engine,
        authority=authority,
        seal_key_path=ctx.settings.data_dir / "card-seal.key",
        base_url=ctx.settings.base_url,
        code_fingerprint=lambda code: numbering.fingerprint("code", code),
    )
    revocation = RevocationService(engine=engine, authority=authority)

    app = new_app(
        title="J-LIS",
        description="地方公共団体情報システム機構: My Numbers from resident record codes; the JPKI "
        "certificate authority, card issuance, suspension, OCSP and CRLs.",
    )
    app.add_exception_handler(VerifierUnauthorized, _verifier_refused)
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(cards_api.router(issuer, from_municipality=from_municipality, staff=staff))
    app.include_router(
        revocation_api.router(
            engine=engine, authority=authority, revocation=revocation, staff=staff
        )
    )

    acquisition = linkage.acquisition_for(ctx, engine=engine, numbering=numbering)
    hub = linkage.HubClient(ctx.directory, "hub", ctx.identity)
    app.include_router(
        portal_link.router(
            engine=engine,
            key=secret_bytes(ctx.settings.data_dir / "jlis" / "portal-code.key"),
            from_portal=Depends(signed_by(lambda org: org == portal_link.PORTAL, who="Mynaportal")),
            acquisition=acquisition,
            hub=hub,
        )
    )

    app.include_router(linkage.router(ctx, acquisition=acquisition, hub=hub))

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.issued_numbers))
            cards = conn.scalar(select(func.count()).select_from(store.cards))
        return {"org": ORG, "ok": True, "numbers_issued": count, "cards_issued": cards}

    @app.post("/numbers", response_model=NumbersOut)
    def generate_numbers(
        body: NumbersIn, municipality: Annotated[str, from_municipality]
    ) -> NumbersOut:
        """番号法 Art. 8: the My Number of each resident code, generated on first request.

        With ``reserve``, fresh codes are first reserved nationwide for the caller; codes
        another municipality holds come back in ``taken``.
        """
        numbers, taken = retrying(
            engine,
            lambda conn: services.generate_numbers(
                conn,
                numbering,
                municipality=municipality.removeprefix("municipality-"),
                codes=body.resident_codes,
                reserve=body.reserve,
            ),
        )
        return NumbersOut(numbers=numbers, taken=taken)

    @app.post(
        "/verifiers/municipality", response_model=VerifierOut, status_code=201, tags=["verifiers"]
    )
    def register_municipality(municipality: Annotated[str, from_municipality]) -> VerifierOut:
        """A municipality files its notice as a 署名検証者 (公的個人認証法 Art. 17(1)) to check
        the signatures on e-applications; the credential is shown this once."""
        verifier, credential = verifiers.register(engine, name=f"{municipality} (署名検証者)")
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @app.post("/verifiers/staff", response_model=VerifierOut, status_code=201, tags=["verifiers"])
    def register_staff_verifier(org: Annotated[str, from_any_org]) -> VerifierOut:
        """An organisation files its notice as a 利用者証明検証者 (公的個人認証法 Art. 36(1)) to
        check its staff's cards at sign-in; the credential is shown this once."""
        verifier, credential = verifiers.register(
            engine, name=f"{org} (利用者証明検証者: 職員認証)"
        )
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @app.post("/numbers/reissue", response_model=ReissueOut)
    def reissue(body: ReissueIn, municipality: Annotated[str, from_municipality]) -> ReissueOut:
        """Retire a leaked number and issue a new one that was never issued before."""
        number = retrying(
            engine,
            lambda conn: services.reissue_number(
                conn,
                numbering,
                code=body.resident_code,
                old_number=body.old_number,
                reason=body.reason,
            ),
        )
        return ReissueOut(number=number)

    app.state.engine = engine
    app.state.authority = authority
    app.state.cards = issuer
    app.state.revocation = revocation
    app.state.health = healthz
    return app
